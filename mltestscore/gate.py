"""The deploy gate: is the score high enough? The decision lives here, not in the plugin.

The decision is a pure function of finite numbers: a minimum that is NaN, infinite or
negative is refused (:class:`ValueError`), and a score that is not a finite number
fails the gate, as does a report of a run that did not finish (``complete`` false).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from mltestscore.results import TestStatus


def check_minimum(value: float, shown: object) -> float:
    """``value`` if it is a finite number >= 0; ValueError quoting ``shown`` otherwise.

    NaN is refused because every comparison with it is false: ``score < nan`` would
    let any score through.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {shown!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {shown!r}")
    if value < 0:
        raise ValueError(f"expected a number >= 0, got {shown!r}")
    return float(value)


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reasons: tuple[str, ...]
    fail_under: float | None
    section_min: Mapping[str, float]
    final: float | None = None
    checked: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> str:
        """One line: why the gate failed, or what it checked and passed."""
        if self.passed:
            detail = "; ".join(self.checked)
            return "ML Test Score gate passed" + (f": {detail}" if detail else "")
        return "ML Test Score gate failed: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "fail_under": self.fail_under,
            "section_min": dict(self.section_min),
        }


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def decide(
    final: float,
    sections: Mapping[str, float],
    *,
    fail_under: float | None = None,
    section_min: Mapping[str, float] | None = None,
    require_pass: Mapping[str, str] | None = None,
    complete: bool = True,
    incomplete_reason: str = "",
) -> GateDecision:
    """Compare a score with the required minimums (like ``--cov-fail-under``).

    ``require_pass`` maps rubric ids that must be automated and passing to their
    status in the report (e.g. ``infra.4``: the candidate was validated before serving).
    A minimum that is not a finite number >= 0 raises :class:`ValueError`; a score
    that is not finite, or a run that did not complete, fails.
    """
    if fail_under is not None:
        fail_under = check_minimum(fail_under, fail_under)
    minimums = {s: check_minimum(v, f"{s}={v}") for s, v in (section_min or {}).items()}
    reasons: list[str] = []
    checked: list[str] = []
    if not complete:
        reasons.append(
            "the run did not complete"
            + (f" ({incomplete_reason})" if incomplete_reason else "")
            + ": nothing it did not judge can pass"
        )
    for test_id, status in (require_pass or {}).items():
        if status != TestStatus.AUTOMATED:
            reasons.append(f"{test_id} must be automated and passing, but is {status}")
        else:
            checked.append(f"{test_id} automated")
    score = _finite(final)
    if score is None:
        reasons.append(f"final score {final!r} is not a finite number")
    elif fail_under is not None:
        if score < fail_under:
            reasons.append(f"final score {score:g} is below --fail-under {fail_under:g}")
        else:
            checked.append(f"score {score:g} \u2265 {fail_under:g}")
    for section, minimum in minimums.items():
        raw = sections.get(section)
        value = _finite(raw)
        if raw is None:
            reasons.append(f"section {section!r} missing from the report")
        elif value is None:
            reasons.append(f"section {section} score {raw!r} is not a finite number")
        elif value < minimum:
            reasons.append(f"section {section} scored {value:g}, below the minimum {minimum:g}")
        else:
            checked.append(f"{section} {value:g} \u2265 {minimum:g}")
    return GateDecision(not reasons, tuple(reasons), fail_under, minimums, score, tuple(checked))
