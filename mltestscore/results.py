"""Result types: what a check returns, and what the scorer consumes.

All results are frozen dataclasses holding JSON-able evidence; renderers are
separate pure functions (see :mod:`mltestscore.reports`).

The one status vocabulary lives here: :class:`Status` for what a check (or a smoke
finding, or a marked test) found, :class:`TestStatus` for a rubric test once scored.
Both are string enums: a member equals, hashes, formats and serializes as its value.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

# Evidence is data, not objects: what is not plain JSON is converted (arrays and
# scalars by their own ``tolist``/``item``, sets sorted, the rest by a short repr).
_MAX_DEPTH = 64
_MAX_REPR = 500
SANITIZED_NOTE = "non_finite_replaced"


class Status(enum.StrEnum):
    """Outcome of one automated check, smoke finding or marked test."""

    PASS = "pass"
    WARN = "warn"  # passed, with something a person should look at
    FAIL = "fail"
    ERROR = "error"  # the check itself crashed
    NOT_AUTOMATED = "not_automated"  # inputs missing: no evidence either way
    # The check ran but could not judge (nothing to compare with, too few rows, a
    # baseline just recorded): no evidence of a pass, so no points, shown apart.
    INCONCLUSIVE = "inconclusive"
    # Not applicable, or its inputs are missing (a smoke finding, a skipped or xfailed
    # marked test): not evidence, not a pass. As rubric evidence it reads NOT_AUTOMATED.
    SKIP = "skip"

    @property
    def counts_as_pass(self) -> bool:
        return self in (Status.PASS, Status.WARN)

    @property
    def is_evidence(self) -> bool:
        """True when the outcome says something about the system."""
        return self not in (Status.NOT_AUTOMATED, Status.INCONCLUSIVE, Status.SKIP)


class TestStatus(enum.StrEnum):
    """Status of a rubric test after scoring (values stable in reports)."""

    __test__ = False  # not a pytest test class, whatever its name

    AUTOMATED = "automated"  # automated evidence, all passing
    FAILED = "failed"  # automated evidence ran and failed
    ERROR = "error"  # a check crashed
    MANUAL = "manual"  # valid manual evidence only
    UNJUDGED = "unjudged"  # a check ran but could not judge; no manual evidence
    NOT_DONE = "not_done"  # nothing that earns points


@dataclass(frozen=True)
class CheckResult:
    """What a check function returns.

    ``evidence`` holds numbers, names and small tables (JSON-able values only);
    ``message`` says what was found; ``next_step`` what to do when it is not a pass.
    """

    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    next_step: str = ""

    @classmethod
    def passed(cls, message: str, evidence: Mapping[str, Any] | None = None) -> CheckResult:
        return cls(Status.PASS, message, dict(evidence or {}))

    @classmethod
    def warned(
        cls, message: str, evidence: Mapping[str, Any] | None = None, next_step: str = ""
    ) -> CheckResult:
        return cls(Status.WARN, message, dict(evidence or {}), next_step)

    @classmethod
    def failed(
        cls, message: str, evidence: Mapping[str, Any] | None = None, next_step: str = ""
    ) -> CheckResult:
        return cls(Status.FAIL, message, dict(evidence or {}), next_step)

    @classmethod
    def not_automated(cls, message: str, next_step: str = "") -> CheckResult:
        return cls(Status.NOT_AUTOMATED, message, {}, next_step)

    @classmethod
    def inconclusive(
        cls, message: str, evidence: Mapping[str, Any] | None = None, next_step: str = ""
    ) -> CheckResult:
        """The check ran but could not judge: it earns no point (scored as not automated)."""
        return cls(Status.INCONCLUSIVE, message, dict(evidence or {}), next_step)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "message": self.message,
            "evidence": dict(self.evidence),
            "next_step": self.next_step,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            Status(data["status"]),
            str(data.get("message", "")),
            dict(data.get("evidence") or {}),
            str(data.get("next_step", "")),
        )


def json_safe(value: object) -> tuple[Any, list[str]]:
    """``value`` as strict JSON data, and where non-finite numbers became ``null``.

    Strict JSON has no NaN or Infinity, and evidence has to cross process boundaries
    (pytest-xdist) as plain data: numpy arrays and scalars become lists and numbers,
    sets and tuples become lists, mapping keys become strings, anything else a short
    ``repr``. The second item lists the paths (``loss[3]``) of replaced non-finite values.
    """
    replaced: list[str] = []
    return _safe(value, "", replaced, 0), replaced


def _safe(value: object, path: str, replaced: list[str], depth: int) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        replaced.append(path or "(value)")
        return None
    if depth >= _MAX_DEPTH:
        return _short_repr(value)
    if isinstance(value, Mapping):
        return {
            str(k): _safe(v, f"{path}.{k}" if path else str(k), replaced, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_safe(v, f"{path}[{i}]", replaced, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, (Set, frozenset)):
        items = sorted(value, key=repr)
        return [_safe(v, f"{path}[{i}]", replaced, depth + 1) for i, v in enumerate(items)]
    for attr in ("tolist", "item"):  # numpy/torch arrays and scalars
        method = getattr(value, attr, None)
        if callable(method):
            try:
                plain = method()
            except Exception:
                break
            if plain is not value:
                return _safe(plain, path, replaced, depth + 1)
    if isinstance(value, (bytes, bytearray)):
        return _short_repr(bytes(value))
    if hasattr(value, "isoformat"):
        try:
            return str(value.isoformat())
        except Exception:
            pass
    if hasattr(value, "__fspath__"):
        return str(value)
    return _short_repr(value)


def _short_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 1] + "\u2026"


def safe_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Evidence as strict JSON, with a note listing values that were not finite."""
    clean, replaced = json_safe(dict(evidence))
    if replaced:
        clean[SANITIZED_NOTE] = replaced[:50]
    return dict(clean)


class NotAutomated(Exception):
    """Raised by a check whose inputs are present but cannot support it.

    The check is reported *not automated* (no points, no failure) with this message.
    """


@dataclass(frozen=True)
class AutomatedEvidence:
    """One piece of automated evidence for a rubric test.

    ``source`` names where it came from: ``builtin:data.1``, ``check:pkg.mod.fn``
    (a team's registered check) or ``test:tests/test_x.py::test_y`` (a marked test).
    """

    source: str
    status: Status
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    next_step: str = ""
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        if self.status is Status.SKIP:  # rubric evidence has no "skip": it is not automated
            object.__setattr__(self, "status", Status.NOT_AUTOMATED)
        # Evidence is strict JSON from the start, so a run scores the same in one
        # process and across pytest-xdist workers, and the report stays valid JSON.
        object.__setattr__(self, "evidence", safe_evidence(self.evidence))
        duration = self.duration_s
        if not isinstance(duration, (int, float)) or not math.isfinite(duration):
            object.__setattr__(self, "duration_s", 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status.value,
            "message": self.message,
            "evidence": dict(self.evidence),
            "next_step": self.next_step,
            "duration_s": round(self.duration_s, 6),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AutomatedEvidence:
        return cls(
            source=str(data["source"]),
            status=Status(data["status"]),
            message=str(data.get("message", "")),
            evidence=dict(data.get("evidence") or {}),
            next_step=str(data.get("next_step", "")),
            duration_s=float(data.get("duration_s", 0.0)),
        )
