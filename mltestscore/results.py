"""Result types: what a check returns, and what the scorer consumes.

All results are frozen dataclasses holding JSON-able evidence; renderers are
separate pure functions (see :mod:`mltestscore.reports`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    """Outcome of one automated check."""

    PASS = "pass"
    WARN = "warn"  # passed, with something a person should look at
    FAIL = "fail"
    ERROR = "error"  # the check itself crashed
    NOT_AUTOMATED = "not_automated"  # inputs missing: no evidence either way
    # The check ran but could not judge (nothing to compare with, too few rows, a
    # baseline just recorded): no evidence of a pass, so no points, shown apart.
    INCONCLUSIVE = "inconclusive"

    @property
    def counts_as_pass(self) -> bool:
        return self in (Status.PASS, Status.WARN)

    @property
    def is_evidence(self) -> bool:
        """True when the outcome says something about the system."""
        return self not in (Status.NOT_AUTOMATED, Status.INCONCLUSIVE)


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
