"""What a drift comparison returns: frozen per-column verdicts and their report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ColumnDrift:
    """One column's statistics and verdict."""

    column: str
    kind: str  # "numeric" | "categorical"
    drifted: bool
    tests: tuple[str, ...]  # the tests that fired, e.g. ("ks", "psi")
    statistics: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind, "drifted": self.drifted,
                "tests": list(self.tests), **self.statistics}  # fmt: skip


@dataclass(frozen=True)
class DriftReport:
    """Drift of current data against a reference, per column."""

    columns: tuple[ColumnDrift, ...]
    thresholds: Mapping[str, float | None]
    n_reference: int
    n_current: int
    missing_columns: tuple[str, ...] = ()  # in the reference, absent from current data
    new_columns: tuple[str, ...] = ()  # in current data, absent from the reference
    compared: tuple[str, ...] = field(default=(), repr=False)
    engine: str = "pandas"  # where the current counts were computed
    reference_provenance: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    def column(self, name: str) -> ColumnDrift:
        for col in self.columns:
            if col.column == name:
                return col
        raise KeyError(f"column {name!r} was not compared")

    def to_evidence(self, max_rows: int = 50) -> dict[str, Any]:
        """Small JSON-able dict: verdicts, thresholds, and the most drifted columns first."""
        rows = sorted(self.columns, key=lambda c: (not c.drifted, -_severity(c, self.thresholds)))
        return {
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "thresholds": dict(self.thresholds),
            "drifted_columns": list(self.drifted_columns),
            "missing_columns": list(self.missing_columns),
            "new_columns": list(self.new_columns),
            "columns": [c.to_dict() for c in rows[:max_rows]],
            "columns_not_shown": max(0, len(rows) - max_rows),
            "engine": self.engine,
            **({"reference": dict(self.reference_provenance)} if self.reference_provenance else {}),
        }


def _severity(col: ColumnDrift, thresholds: Mapping[str, float | None]) -> float:
    ratios = [0.0]
    for stat, key in (("ks", "ks"), ("psi", "psi"), ("linf", "linf"), ("js", "js")):
        value, limit = col.statistics.get(stat), thresholds.get(key)
        if value is not None and limit:
            ratios.append(value / limit)
    return max(ratios)
