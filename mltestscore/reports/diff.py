"""What changed between two report documents: score, sections, tests that rose or fell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class TestChange:
    """One rubric test whose points or status changed."""

    __test__: ClassVar[bool] = False  # not a pytest test class, whatever its name

    id: str
    title: str
    status_before: str
    status_after: str
    points_before: float
    points_after: float

    @property
    def delta(self) -> float:
        return self.points_after - self.points_before


@dataclass(frozen=True)
class ReportDiff:
    previous_created: str
    same_scale: bool
    final_before: float
    final_after: float
    band_before: str
    band_after: str
    sections: Mapping[str, tuple[float, float]]  # section -> (before, after)
    rose: tuple[TestChange, ...]
    fell: tuple[TestChange, ...]
    status_changed: tuple[TestChange, ...]  # same points, different status

    @property
    def final_delta(self) -> float:
        return self.final_after - self.final_before

    def to_dict(self) -> dict[str, Any]:
        def change(c: TestChange) -> dict[str, Any]:
            return {
                "id": c.id,
                "title": c.title,
                "before": [c.status_before, c.points_before],
                "after": [c.status_after, c.points_after],
            }

        return {
            "previous_created": self.previous_created,
            "same_scale": self.same_scale,
            "final": [self.final_before, self.final_after],
            "band": [self.band_before, self.band_after],
            "sections": {s: list(v) for s, v in self.sections.items()},
            "rose": [change(c) for c in self.rose],
            "fell": [change(c) for c in self.fell],
            "status_changed": [change(c) for c in self.status_changed],
        }


def diff_reports(current: Mapping[str, Any], previous: Mapping[str, Any]) -> ReportDiff:
    """Compare two report documents (pure; both already validated)."""
    now, before = current["score"], previous["score"]
    old_tests = {t["id"]: t for t in previous["tests"]}
    rose: list[TestChange] = []
    fell: list[TestChange] = []
    changed: list[TestChange] = []
    for test in current["tests"]:
        old = old_tests.get(test["id"])
        if old is None:
            continue
        c = TestChange(
            test["id"],
            str(test["title"]),
            str(old["status"]),
            str(test["status"]),
            float(old["points"]),
            float(test["points"]),
        )
        if c.delta > 0:
            rose.append(c)
        elif c.delta < 0:
            fell.append(c)
        elif c.status_before != c.status_after:
            changed.append(c)
    sections = {
        s: (float(before["sections"].get(s, {}).get("score", 0.0)), float(v["score"]))
        for s, v in now["sections"].items()
    }
    return ReportDiff(
        previous_created=str(previous.get("created", "")),
        same_scale=now.get("scale") == before.get("scale"),
        final_before=float(before["final"]),
        final_after=float(now["final"]),
        band_before=str(before["band"]["name"]),
        band_after=str(now["band"]["name"]),
        sections=sections,
        rose=tuple(sorted(rose, key=lambda c: -c.delta)),
        fell=tuple(sorted(fell, key=lambda c: c.delta)),
        status_changed=tuple(changed),
    )


def signed(value: float) -> str:
    """+0.5 / -1 / ±0 for deltas."""
    return "\u00b10" if value == 0 else f"{value:+g}"
