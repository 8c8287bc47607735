"""What to fix next: failing tests first, then the gaps in the section that holds the score.

The final score is the minimum of the four sections, so only the weakest section(s) raise
it; a failing automated check is a bug to fix before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mltestscore.results import TestStatus


@dataclass(frozen=True)
class Action:
    test_id: str
    title: str
    status: str
    gain: float  # points this test can add to its section
    what: str  # the test's next step


def weakest_sections(report: Mapping[str, Any]) -> list[str]:
    sections = report["score"]["sections"]
    low = min(float(v["score"]) for v in sections.values())
    return [s for s, v in sections.items() if float(v["score"]) == low]


def fix_next(report: Mapping[str, Any], limit: int = 6) -> list[Action]:
    """Ordered actions: failed/errored tests, then not-done and manual tests of the weakest
    section(s) (automating a not-done test gains the most)."""
    score = report["score"]
    automated_points = float(score["max_section"]) / 7
    rank = {s: float(v["score"]) for s, v in score["sections"].items()}
    tests = list(report["tests"])
    weakest = set(weakest_sections(report))

    def action(t: Mapping[str, Any]) -> Action:
        gain = automated_points - float(t["points"])
        what = str(t.get("next_step") or t.get("reason") or "")
        return Action(str(t["id"]), str(t["title"]), str(t["status"]), gain, what)

    broken = sorted(
        (t for t in tests if t["status"] in (TestStatus.FAILED, TestStatus.ERROR)),
        key=lambda t: (rank.get(t["section"], 0.0), t["id"]),
    )
    order: dict[str, int] = {TestStatus.UNJUDGED: 0, TestStatus.NOT_DONE: 0, TestStatus.MANUAL: 1}
    gaps = sorted(
        (t for t in tests if t["section"] in weakest and t["status"] in order),
        key=lambda t: (order[t["status"]], t["id"]),
    )
    return [action(t) for t in [*broken, *gaps][:limit]]


def holding_back(report: Mapping[str, Any]) -> str:
    """One sentence on which section holds the final score and by how much."""
    sections = report["score"]["sections"]
    weakest = weakest_sections(report)
    low = float(sections[weakest[0]]["score"])
    others = sorted(float(v["score"]) for s, v in sections.items() if s not in weakest)
    names = " and ".join(weakest)
    if not others:
        if low >= float(report["score"]["max_section"]):
            return f"All four sections score {low:g}, the most they can."
        return f"All four sections score {low:g}: raise all of them to raise the final score."
    verb = "holds" if len(weakest) == 1 else "hold"
    return (
        f"{names} ({low:g}) {verb} the final score down: it is the minimum of the four "
        f"sections, and the next lowest scores {others[0]:g}."
    )
