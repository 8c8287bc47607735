"""Mergeable counts: what drift statistics need, built per chunk or partition and added up.

Every engine (pandas, Polars, Parquet row groups, Spark partitions) reduces its
data to the same small objects, so a 50M-row table never has to sit in one
process:

- :class:`NumericCounts` — counts in the slots of fixed ``edges`` (the
  alternating open intervals and edge atoms of
  :class:`~mltestscore.stats.summary.NumericSummary`), the missing count,
  and the moments (count, mean, M2) of the finite values. Two parts with the same
  edges merge exactly: counts add, moments combine by Chan's formula.
- :class:`CategoryCounts` — value frequencies (all values, or the reference's
  categories plus an ``other`` count) and the missing count; merged by adding.
- :class:`CurrentCounts` — one of those per column for the current side of
  :func:`mltestscore.stats.compare`, plus the row count and column names;
  ``a.merge(b)`` adds two partitions' counts, and ``compare(summary, counts)``
  judges them as if the rows had been one frame.
- :func:`merge_summaries` — add :class:`ReferenceSummary` objects built per
  chunk with the same edges (``summarize(part, edges=plan_edges(...))``).
- :func:`split_columns` — which columns a summary covers and which count as numbers,
  from the column kinds an engine reads off its schema.

Streamed engines take the reference's quantile edges from a
:class:`~mltestscore.engines.sketch.QuantileSketch`; only those edges are
approximate, the counts in them are exact.

Nothing here imports an engine; the kernels take numpy arrays.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mltestscore.stats.summary import (
    DEFAULT_TOP_K,
    CategoricalSummary,
    ColumnSummary,
    NumericSummary,
    ReferenceSummary,
    interval_counts,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NumericCounts:
    """A numeric column's counts in the slots of ``edges`` and its finite-value moments."""

    name: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]  # 2 * len(edges) + 1 slots
    nan_count: int
    finite: int = 0
    mean: float = math.nan
    m2: float = 0.0  # sum of squared deviations from the mean (finite values)

    kind = "numeric"

    def merge(self, other: NumericCounts) -> NumericCounts:
        if other.name != self.name or other.edges != self.edges:
            raise ValueError(
                f"column {self.name!r}: counts over different edges cannot be merged exactly "
                "(build every part with the same edges)"
            )
        counts = tuple(a + b for a, b in zip(self.counts, other.counts, strict=True))
        n, mean, m2 = _chan((self.finite, self.mean, self.m2), (other.finite, other.mean, other.m2))
        return NumericCounts(self.name, self.edges, counts, self.nan_count + other.nan_count,
                             n, mean, m2)  # fmt: skip

    def to_summary(self) -> NumericSummary:
        mean = self.mean if self.finite else None
        std = math.sqrt(self.m2 / self.finite) if self.finite else None
        return NumericSummary(self.name, self.edges, self.counts, self.nan_count, mean, std)


@dataclass(frozen=True)
class CategoryCounts:
    """Value frequencies of a categorical column (keys are the values' string forms)."""

    name: str
    values: Mapping[str, int]
    nan_count: int
    other: int = 0  # values counted outside ``values`` (current side: not a reference category)

    kind = "categorical"

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        if other.name != self.name:
            raise ValueError(f"cannot merge counts of {self.name!r} with {other.name!r}")
        values = Counter(self.values)
        values.update(other.values)
        return CategoryCounts(self.name, dict(values), self.nan_count + other.nan_count,
                              self.other + other.other)  # fmt: skip

    def to_summary(self, top_k: int | None) -> CategoricalSummary:
        ordered = sorted(self.values.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = ordered if top_k is None else ordered[:top_k]
        rest = sum(c for _, c in ordered[len(kept) :]) + self.other
        return CategoricalSummary(self.name, tuple(k for k, _ in kept),
                                  (*(int(c) for _, c in kept), int(rest)), self.nan_count)  # fmt: skip


ColumnCounts = NumericCounts | CategoryCounts


@dataclass(frozen=True)
class CurrentCounts:
    """Current-side counts in a reference's bins: mergeable input of ``stats.compare``."""

    columns: Mapping[str, ColumnCounts]
    n_rows: int
    names: tuple[str, ...]  # every column of the current data (new columns are reported)
    engine: str = "pandas"
    notes: tuple[str, ...] = field(default=(), compare=False)

    def merge(self, other: CurrentCounts) -> CurrentCounts:
        if set(self.columns) != set(other.columns):
            raise ValueError("cannot merge counts of different column sets")
        merged: dict[str, ColumnCounts] = {}
        for name, mine in self.columns.items():
            merged[name] = merge_column(mine, other.columns[name])
        names = tuple(dict.fromkeys((*self.names, *other.names)))
        engine = self.engine if self.engine == other.engine else f"{self.engine}+{other.engine}"
        return CurrentCounts(merged, self.n_rows + other.n_rows, names, engine,
                             tuple(dict.fromkeys((*self.notes, *other.notes))))  # fmt: skip


def merge_column(a: ColumnCounts, b: ColumnCounts) -> ColumnCounts:
    """Two parts' counts of one column, added."""
    if isinstance(a, NumericCounts) and isinstance(b, NumericCounts):
        return a.merge(b)
    if isinstance(a, CategoryCounts) and isinstance(b, CategoryCounts):
        return a.merge(b)
    raise ValueError(f"column {a.name!r} is numeric in one part, categorical in another")


def merge_all(parts: Iterable[CurrentCounts]) -> CurrentCounts:
    out: CurrentCounts | None = None
    for part in parts:
        out = part if out is None else out.merge(part)
    if out is None:
        raise ValueError("no parts to merge")
    return out


# -- kernels (numpy, one chunk) -----------------------------------------------------------


def numeric_counts(name: str, values: FloatArray, edges: Sequence[float]) -> NumericCounts:
    """One chunk's :class:`NumericCounts` (``values`` float64, NaN = missing).

    One sort per chunk (numpy's vectorized sort beats a per-value binary search of
    the edges), then the edges are searched in the sorted values.
    """
    ordered = np.sort(values)  # NaN sort last, ±inf at the ends
    n_valid = int(np.count_nonzero(~np.isnan(ordered)))
    valid = ordered[:n_valid]
    counts = interval_counts(valid, np.asarray(edges, dtype=np.float64))
    lo = int(np.searchsorted(valid, -np.inf, side="right"))
    finite = valid[lo : int(np.searchsorted(valid, np.inf, side="left"))]
    n = int(finite.size)
    mean = float(finite.mean()) if n else math.nan
    m2 = float(np.square(finite - mean).sum()) if n else 0.0
    return NumericCounts(name, tuple(edges), tuple(int(c) for c in counts),
                         len(values) - n_valid, n, mean, m2)  # fmt: skip


def restricted(counts: Mapping[str, int], categories: Sequence[str]) -> tuple[dict[str, int], int]:
    """Counts of the reference ``categories`` and the total of every other value."""
    wanted = set(categories)
    kept = {k: int(v) for k, v in counts.items() if k in wanted}
    return kept, int(sum(counts.values())) - sum(kept.values())


def _chan(a: tuple[int, float, float], b: tuple[int, float, float]) -> tuple[int, float, float]:
    (na, ma, qa), (nb, mb, qb) = a, b
    if nb == 0:
        return na, ma, qa
    if na == 0:
        return nb, mb, qb
    n = na + nb
    delta = mb - ma
    return n, ma + delta * nb / n, qa + qb + delta * delta * na * nb / n


def split_columns(
    kinds: Mapping[str, str], columns: Sequence[str] | None, categorical: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The columns to summarize and which of them are counted as numbers.

    ``kinds`` maps each column of the data to ``"numeric"``, ``"datetime"``, ``"bool"``
    or ``"categorical"`` (as every engine reads its schema); ``categorical`` forces
    columns to categorical. A requested column the data lacks raises ``KeyError``.
    """
    names = list(kinds) if columns is None else list(columns)
    missing = [c for c in names if c not in kinds]
    if missing:
        raise KeyError(f"reference data has no column(s) {', '.join(map(repr, missing))}")
    forced = set(categorical)
    numeric = [n for n in names if n not in forced and kinds[n] in ("numeric", "datetime")]
    return names, numeric


# -- reference summaries ------------------------------------------------------------------


def summary_from_counts(
    columns: Sequence[ColumnCounts], n_rows: int, top_k: int | None = DEFAULT_TOP_K
) -> ReferenceSummary:
    out: list[ColumnSummary] = [
        c.to_summary() if isinstance(c, NumericCounts) else c.to_summary(top_k) for c in columns
    ]
    return ReferenceSummary(tuple(out), n_rows)


def merge_summaries(
    summaries: Sequence[ReferenceSummary], *, top_k: int | None = DEFAULT_TOP_K
) -> ReferenceSummary:
    """Add reference summaries of disjoint parts of one data set (exact; see module doc).

    Numeric columns must share their edges (``summarize(part, edges=...)``);
    means and standard deviations combine weighted by each part's non-missing
    count. Categorical counts add; a part that folded values into "other"
    (``top_k`` reached) can only be merged when that loses nothing, otherwise a
    ``ValueError`` asks for the parts to be summarized with ``top_k=None``.
    """
    if not summaries:
        raise ValueError("merge_summaries: no summaries given")
    names = summaries[0].names
    for s in summaries[1:]:
        if s.names != names:
            raise ValueError(f"merge_summaries: column lists differ ({names} vs {s.names})")
    merged: list[ColumnCounts] = []
    for name in names:
        parts = [s.column(name) for s in summaries]
        if all(isinstance(p, NumericSummary) for p in parts):
            merged.append(_merge_numeric([p for p in parts if isinstance(p, NumericSummary)]))
        elif all(isinstance(p, CategoricalSummary) for p in parts):
            merged.append(
                _merge_categorical([p for p in parts if isinstance(p, CategoricalSummary)])
            )
        else:
            raise ValueError(f"merge_summaries: column {name!r} changes kind between parts")
    return summary_from_counts(merged, sum(s.n_rows for s in summaries), top_k)


def _merge_numeric(parts: Sequence[NumericSummary]) -> NumericCounts:
    out: NumericCounts | None = None
    for p in parts:
        n = p.count
        mean = math.nan if p.mean is None else p.mean
        m2 = 0.0 if p.std is None else p.std * p.std * n
        part = NumericCounts(p.name, p.edges, p.counts, p.nan_count, n if p.mean is not None else 0,
                             mean, m2)  # fmt: skip
        out = part if out is None else out.merge(part)
    if out is None:
        raise ValueError("no parts")
    return out


def _merge_categorical(parts: Sequence[CategoricalSummary]) -> CategoryCounts:
    known = [set(p.categories) for p in parts]
    union = set().union(*known)
    for p, cats in zip(parts, known, strict=True):
        if p.counts[-1] and union - cats:
            raise ValueError(
                f"column {p.name!r}: a part folded values into 'other' (top_k reached) that "
                "other parts count by name; summarize every part with top_k=None to merge exactly"
            )
    out: CategoryCounts | None = None
    for p in parts:
        part = CategoryCounts(p.name, dict(zip(p.categories, p.counts[:-1], strict=True)),
                              p.nan_count, p.counts[-1])  # fmt: skip
        out = part if out is None else out.merge(part)
    if out is None:
        raise ValueError("no parts")
    return out


def edges_of(summary: ReferenceSummary) -> dict[str, tuple[float, ...]]:
    """The numeric columns' edges of ``summary``: the plan every part is counted with."""
    return {c.name: c.edges for c in summary.columns if isinstance(c, NumericSummary)}
