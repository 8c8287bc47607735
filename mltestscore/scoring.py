"""Scoring exactly as the paper.

2017 scale (Breck et al., 2017): per test 0 (not done), 0.5 (done manually,
documented), 1 (automated and passing); an automated check that ran and failed
or errored scores 0 whatever the manual evidence says. A section is the sum of
its seven tests (0–7); the final score is the minimum of the four sections.

2016 scale ("What's your ML test score?", 2016): 1 point for a manual test with
documented results, 2 for one that is automated (the manual point plus one);
sections 0–14, final = minimum. The 2016 bands are 0, 1–2, 3–4, 5–6, 7–10 and
12+, which leaves 11 unassigned. The 2017 revision halved the scale with the
same bands, (0,1], (1,2], (2,3], (3,5], >5, under which 11 (= 5.5) is
"exceptional"; this implementation follows that revision and puts 11 in the
top band, so a system gets the same band on either scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from mltestscore.manual import ManualEvidence
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.results import TestStatus as TestStatus  # re-exported: its home before results
from mltestscore.rubric import RUBRIC, SECTIONS

Scale = Literal["2017", "2016"]
SCALES: tuple[str, ...] = ("2017", "2016")

BAND_TEXTS: tuple[str, ...] = (
    "More of a research project than a productionized system",
    "Not totally untested, but it is worth considering the possibility of serious holes "
    "in reliability",
    "There's been first pass at basic productionization, but additional investment may be needed",
    "Reasonably tested, but it's possible that more of those tests and procedures may be automated",
    "Strong levels of automated testing and monitoring, appropriate for mission-critical systems",
    "Exceptional levels of automated testing and monitoring",
)
BAND_NAMES: tuple[str, ...] = (
    "research",
    "untested",
    "first-pass",
    "reasonable",
    "strong",
    "exceptional",
)
# Upper bounds (inclusive) of bands 0..4 on the 2017 scale; band 5 is above 5.
_UPPER_2017 = (0.0, 1.0, 2.0, 3.0, 5.0)
_RANGES_2017 = ("0", "(0, 1]", "(1, 2]", "(2, 3]", "(3, 5]", "> 5")
_RANGES_2016 = ("0", "1-2", "3-4", "5-6", "7-10", "11+ (2016 text: 12+)")


@dataclass(frozen=True)
class Band:
    index: int
    name: str
    text: str
    range: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "text": self.text, "range": self.range}


def points_per_test(scale: Scale) -> tuple[float, float]:
    """(manual points, automated points) for a scale."""
    return (0.5, 1.0) if scale == "2017" else (1.0, 2.0)


def max_section(scale: Scale) -> float:
    return 7 * points_per_test(scale)[1]


def band_for(score: float, scale: Scale = "2017") -> Band:
    """Interpretation band (Table V of the 2017 paper; Table 4 of 2016)."""
    value = score if scale == "2017" else score / 2
    index = 5
    for i, upper in enumerate(_UPPER_2017):
        if value <= upper:
            index = i
            break
    ranges = _RANGES_2017 if scale == "2017" else _RANGES_2016
    return Band(index, BAND_NAMES[index], BAND_TEXTS[index], ranges[index])


@dataclass(frozen=True)
class TestScore:
    """One rubric test, scored: its status, points, and why."""

    __test__: ClassVar[bool] = False  # not a pytest test class, whatever its name

    test_id: str
    section: str
    title: str
    status: TestStatus
    points: float
    reason: str
    next_step: str
    automated: tuple[AutomatedEvidence, ...] = ()
    manual: ManualEvidence | None = None
    manual_reason: str = ""


@dataclass(frozen=True)
class Scorecard:
    scale: Scale
    tests: tuple[TestScore, ...]
    sections: Mapping[str, float]
    final: float
    band: Band
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def max_section(self) -> float:
        return max_section(self.scale)

    def test(self, test_id: str) -> TestScore:
        for t in self.tests:
            if t.test_id == test_id:
                return t
        raise KeyError(test_id)


def _score_test(
    test_id: str,
    automated: Sequence[AutomatedEvidence],
    manual: ManualEvidence | None,
    manual_problem: str,
    scale: Scale,
    today: dt.date,
) -> TestScore:
    rubric = next(t for t in RUBRIC if t.id == test_id)
    manual_points, auto_points = points_per_test(scale)
    ran = tuple(a for a in automated if a.status.is_evidence)
    manual_ok, manual_reason = (False, manual_problem or "no manual evidence recorded")
    if manual is not None:
        manual_ok, manual_reason = manual.verdict(today)

    def make(status: TestStatus, points: float, reason: str, next_step: str) -> TestScore:
        return TestScore(
            test_id,
            rubric.section,
            rubric.title,
            status,
            points,
            reason,
            next_step,
            tuple(automated),
            manual,
            manual_reason,
        )

    errored = [a for a in ran if a.status is Status.ERROR]
    failed = [a for a in ran if a.status is Status.FAIL]
    if errored or failed:
        bad = (failed or errored)[0]
        status = TestStatus.FAILED if failed else TestStatus.ERROR
        count = len(failed) + len(errored)
        reason = (
            f"{count} of {len(ran)} automated evidence did not pass: {bad.source}: {bad.message}"
        )
        return make(status, 0.0, reason, bad.next_step or "Fix the failing evidence and rerun.")
    unjudged = [a for a in automated if a.status is Status.INCONCLUSIVE]
    if ran:
        reason = f"automated, {len(ran)} evidence passing"
        warnings = [a for a in ran if a.status is Status.WARN]
        if warnings:
            reason += f" ({len(warnings)} with warnings: {warnings[0].message})"
        return make(
            TestStatus.AUTOMATED, auto_points, reason, warnings[0].next_step if warnings else ""
        )
    missing = sorted({f for a in automated for f in a.evidence.get("missing_fixtures", [])})
    automate_hint = (
        f"Define fixture(s) {', '.join(missing)} to automate it"
        if missing
        else f"Automate it ({rubric.automated})"
    )
    if unjudged:
        automate_hint = unjudged[0].next_step.rstrip(".") or automate_hint
    if manual_ok:
        could_not = f"; {unjudged[0].source} could not judge" if unjudged else ""
        return make(
            TestStatus.MANUAL,
            manual_points,
            manual_reason + could_not,
            f"{automate_hint} for {auto_points:g} point(s).",
        )
    if unjudged:
        return make(
            TestStatus.UNJUDGED,
            0.0,
            f"could not judge: {unjudged[0].source}: {unjudged[0].message}",
            f"{automate_hint} for {auto_points:g} point(s).",
        )
    manual_hint = (
        f'or record reviewed manual evidence in [tool.mltestscore.manual."{test_id}"] '
        f"for {manual_points:g}"
    )
    blocker = f"not automated: define fixture(s) {', '.join(missing)}; " if missing else ""
    return make(
        TestStatus.NOT_DONE,
        0.0,
        f"not done: {blocker}{manual_reason}",
        f"{automate_hint} for {auto_points:g} point(s), {manual_hint}.",
    )


def score(
    automated: Mapping[str, Sequence[AutomatedEvidence]],
    manual: Mapping[str, ManualEvidence] | None = None,
    *,
    manual_problems: Mapping[str, str] | None = None,
    scale: Scale = "2017",
    today: dt.date | None = None,
) -> Scorecard:
    """Score all 28 tests from automated and manual evidence."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected '2017' or '2016'")
    today = today or dt.date.today()
    manual = manual or {}
    manual_problems = manual_problems or {}
    tests = tuple(
        _score_test(
            t.id,
            automated.get(t.id, ()),
            manual.get(t.id),
            manual_problems.get(t.id, ""),
            scale,
            today,
        )
        for t in RUBRIC
    )
    sections = {s: sum(t.points for t in tests if t.section == s) for s in SECTIONS}
    final = min(sections.values())
    return Scorecard(scale, tests, sections, final, band_for(final, scale), today)
