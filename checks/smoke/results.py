"""Result types of the smoke suite: one :class:`Finding` per check, one :class:`SmokeReport` per run.

Both are frozen dataclasses holding JSON-able numbers; turning them into text lives in
:mod:`mltestscore.checks.smoke.render`.
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mltestscore.loss_curve import fmt as fmt  # one number format for every message
from mltestscore.results import Status

#: What a smoke finding can say, in :class:`mltestscore.results.Status`'s one vocabulary:
#: PASS; WARN (passed, with a soft signal a person should look at); FAIL (a bug, or
#: something that behaves exactly like one); ERROR (the check itself raised; the exception
#: is summarized in the message); SKIP (not applicable, or its inputs are missing).
FINDING_STATUSES: tuple[Status, ...] = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.ERROR,
    Status.SKIP,
)
#: The smoke suite's earlier name for :class:`~mltestscore.results.Status`.
FindingStatus = Status


@dataclass(frozen=True)
class Finding:
    """What one check found.

    ``message`` says what is wrong and what to do next; ``metrics`` holds the evidence
    (JSON-able numbers, short lists and strings) the judgement was made from.
    """

    name: str
    status: Status
    message: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in FINDING_STATUSES:
            raise ValueError(
                f"finding {self.name!r}: status {self.status!r} is not one of "
                f"{[s.value for s in FINDING_STATUSES]}"
            )

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "message": self.message,
            "metrics": dict(self.metrics),
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True)
class SmokeReport:
    """The findings of :func:`mltestscore.checks.smoke.run`, in the order the checks ran.

    ``passed`` is true when no finding failed *and* none crashed: a check that raised
    (an ``error`` finding, listed in :attr:`errors`) judged nothing, and "could not judge"
    is never a pass. Skipped checks (not applicable, not enough time to judge) do not
    count against it; they are listed in :attr:`skipped`.
    """

    findings: tuple[Finding, ...]
    seconds: float = 0.0
    seed: int = 0

    @property
    def passed(self) -> bool:
        return not any(f.status in (Status.FAIL, Status.ERROR) for f in self.findings)

    @property
    def skipped(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.SKIP]

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.FAIL]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.WARN]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.ERROR]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.findings]

    def __getitem__(self, name: str) -> Finding:
        for finding in self.findings:
            if finding.name == name:
                return finding
        raise KeyError(f"no finding named {name!r}; the report has {self.names}")

    def get(self, name: str, default: Finding | None = None) -> Finding | None:
        return next((f for f in self.findings if f.name == name), default)

    def __contains__(self, name: object) -> bool:
        return any(f.name == name for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "seconds": round(self.seconds, 4),
            "seed": self.seed,
            "counts": {
                status.value: sum(f.status is status for f in self.findings)
                for status in FINDING_STATUSES
            },
            "findings": [f.to_dict() for f in self.findings],
        }


def finding(
    name: str, status: Status, message: str, metrics: Mapping[str, Any] | None = None
) -> Finding:
    """Build a :class:`Finding` whose metrics are made JSON-able (floats rounded, no tensors)."""
    return Finding(name, status, message, {k: jsonable(v) for k, v in (metrics or {}).items()})


def jsonable(value: Any) -> Any:
    """Turn numbers, numpy/torch scalars, tuples and nested containers into JSON-able values."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)  # JSON has no NaN/Inf
        return float(f"{value:.6g}")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays/scalars, torch tensors
        return jsonable(value.tolist())
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    return str(value)


def summarize_exception(exc: BaseException) -> str:
    """``TypeError: message (at file.py:12 in forward)`` — the innermost frame named."""
    text = str(exc).strip().splitlines()
    head = f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        head += f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name})"
    return head


def fmt_names(names: list[str], limit: int = 6) -> str:
    """```a`, `b` and 3 more`` for a message."""
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "") or "none"
