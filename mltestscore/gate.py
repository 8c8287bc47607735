"""The deploy gate: is the score high enough? The decision lives here, not in the plugin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reasons: tuple[str, ...]
    fail_under: float | None
    section_min: Mapping[str, float]

    @property
    def summary(self) -> str:
        """One line: why the gate failed, or that it passed."""
        if self.passed:
            return "ML Test Score gate passed"
        return "ML Test Score gate failed: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "fail_under": self.fail_under,
            "section_min": dict(self.section_min),
        }


def decide(
    final: float,
    sections: Mapping[str, float],
    *,
    fail_under: float | None = None,
    section_min: Mapping[str, float] | None = None,
    require_pass: Mapping[str, str] | None = None,
) -> GateDecision:
    """Compare a score with the required minimums (like ``--cov-fail-under``).

    ``require_pass`` maps rubric ids that must be automated and passing to their
    status in the report (e.g. ``infra.4``: the candidate was validated before serving).
    """
    reasons: list[str] = []
    for test_id, status in (require_pass or {}).items():
        if status != "automated":
            reasons.append(f"{test_id} must be automated and passing, but is {status}")
    section_min = dict(section_min or {})
    if fail_under is not None and final < fail_under:
        reasons.append(f"final score {final:g} is below --fail-under {fail_under:g}")
    for section, minimum in section_min.items():
        value = sections.get(section)
        if value is None:
            reasons.append(f"section {section!r} missing from the report")
        elif value < minimum:
            reasons.append(f"section {section} scored {value:g}, below the minimum {minimum:g}")
    return GateDecision(not reasons, tuple(reasons), fail_under, section_min)
