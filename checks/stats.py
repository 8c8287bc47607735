"""Drift and skew statistics shared by the data, model and monitoring checks.

Stable API (used by monitor.3 / monitor.7)::

    from mltestscore.checks import stats

    summary = stats.summarize(train_df)             # once, at training time
    summary.save("reference.json")                  # JSON; ReferenceSummary.load(path)
    report = stats.compare(summary, serving_df)     # or compare(train_df, serving_df)
    report.drifted_columns                          # ("income", ...)
    report.column("income").statistics["psi"]       # per-column statistic values
    report.to_evidence()                            # small JSON-able dict for a CheckResult

``summarize(data, *, columns=None, categorical=(), n_quantiles=200, top_k=50)``
reduces reference data (DataFrame, Series, or 1-D/2-D array — columns ``value`` /
``x0, x1, …``) to a :class:`ReferenceSummary`: per numeric column exact counts in
bins cut at ~``n_quantiles`` reference quantiles, per categorical column the
``top_k`` value frequencies plus an "other" bucket, and missing-value counts.

``compare(reference, current, *, columns=None, categorical=(), ks_threshold=0.1,
psi_threshold=0.2, linf_threshold=0.1, nan_threshold=0.05, js_threshold=None,
alpha=0.001, psi_bins=10)`` returns a frozen :class:`DriftReport`; ``reference`` is a
:class:`ReferenceSummary`, its ``to_dict()`` form, or data (summarized on the fly).

Statistics per column (``ColumnDrift.statistics``; ``None`` where undefined):

- numeric: ``ks`` (two-sample KS *D* evaluated on both sides of every summary
  edge: exact there, and below the exact *D* by at most ``ks_resolution``, the
  largest reference mass strictly between two edges), ``ks_pvalue`` (asymptotic), ``psi``, ``js`` and ``chi2`` /
  ``chi2_pvalue`` on ``psi_bins`` bins of equal reference mass, ``mean_reference``,
  ``mean_current``;
- categorical: ``linf`` (TFDV's L∞ distance), ``psi``, ``js``, ``chi2`` /
  ``chi2_pvalue`` over the reference's top-k values plus "other", and
  ``other_share`` (current share outside the reference's top-k: new values);
- both: ``nan_share_reference``, ``nan_share_current``, ``nan_pvalue`` — the
  missing-value share is its own signal and never enters the other statistics.

A column is *drifted* when an effect size crosses its threshold **and** the change
is significant (p < ``alpha``): ``ks`` (with the KS p-value), ``psi`` (with the
binned chi-square p-value), ``linf`` (with the chi-square p-value), ``nan_share``
(absolute change with the two-proportion z-test), and ``js`` when a threshold is
given. Effect sizes, not p-values, do the judging: with a million rows a KS
p-value flags differences nobody cares about, and with fifty rows an effect size
alone flags noise. ``ColumnDrift.tests`` names the tests that fired.
Everything is vectorized: one sort per numeric column, then matrix operations
over all columns (:mod:`mltestscore.checks.stats_distances`).

Data bigger than memory: ``summarize`` and ``compare`` also take Polars frames
(eager or lazy), Parquet files/folders, ``pyarrow`` tables/datasets and Spark
DataFrames, computed on that engine (:mod:`mltestscore.checks.engines`); the
report's ``engine`` (and ``to_evidence()["engine"]``) says which one ran, and a
summary's ``provenance`` whether its edges are exact or sketched (with the rank
error). The current side may also be a :class:`CurrentCounts` — counts made per
chunk or partition (``engines.current_counts``) and added with ``merge`` — and
reference summaries of parts counted with shared edges add up with
:func:`merge_summaries`. Counts are exact on every engine; only sketched edges
move, by at most their rank error, so verdicts match the pandas path's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.checks import engines
from mltestscore.checks.engine_counts import (
    CategoryCounts,
    CurrentCounts,
    NumericCounts,
    merge_summaries,
)
from mltestscore.checks.stats_distances import (
    chi_square,
    js_distance,
    ks_from_counts,
    linf_distance,
    proportion_test,
    psi,
)
from mltestscore.checks.stats_summary import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
    as_frame,
    category_counts,
    interval_counts,
    numeric_values,
    summarize,
)

__all__ = [
    "CategoricalSummary",
    "ColumnDrift",
    "CurrentCounts",
    "DriftReport",
    "NumericSummary",
    "ReferenceSummary",
    "chi_square",
    "compare",
    "js_distance",
    "ks_from_counts",
    "linf_distance",
    "merge_summaries",
    "proportion_test",
    "psi",
    "summarize",
]


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(f"{value:.6g}")


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


def _coarse_bins(ref: npt.NDArray[np.float64], n_bins: int) -> npt.NDArray[np.int64]:
    """Group fine bins (rows of ``ref``) into ``n_bins`` bins of about equal reference mass."""
    totals = ref.sum(axis=1, keepdims=True)
    before = np.cumsum(ref, axis=1) - ref
    with np.errstate(invalid="ignore", divide="ignore"):
        mid = np.where(totals > 0, (before + ref / 2.0) / totals, 1.0)
    grouped: npt.NDArray[np.int64] = np.clip(np.floor(mid * n_bins), 0, n_bins - 1).astype(np.int64)
    return grouped


def _regroup(
    counts: npt.NDArray[np.float64], groups: npt.NDArray[np.int64], n_bins: int
) -> npt.NDArray[np.float64]:
    rows = counts.shape[0]
    flat = (np.arange(rows)[:, None] * n_bins + groups).ravel()
    summed = np.bincount(flat, weights=counts.ravel(), minlength=rows * n_bins)
    return summed.astype(np.float64).reshape(rows, n_bins)


def _padded(rows: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    width = max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), width))
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _numeric_counts(
    summary: NumericSummary, series: pd.Series
) -> tuple[npt.NDArray[np.float64], int, float]:
    """Current counts in the summary's bins, missing count, and mean of the finite values."""
    values = np.sort(numeric_values(series))  # NaN sort last, ±inf at the ends
    n_valid = int(np.count_nonzero(~np.isnan(values)))
    valid = values[:n_valid]
    counts = interval_counts(valid, np.asarray(summary.edges, dtype=np.float64))
    lo, hi = (
        np.searchsorted(valid, [-np.inf, np.inf], side="right")[0],
        np.searchsorted(valid, np.inf),
    )
    mean = float(valid[lo:hi].mean()) if hi > lo else float("nan")
    return counts.astype(np.float64), len(values) - n_valid, mean


def _categorical_counts(
    summary: CategoricalSummary, series: pd.Series
) -> tuple[npt.NDArray[np.float64], int]:
    counts = category_counts(series)
    index = {c: i for i, c in enumerate(summary.categories)}
    out = np.zeros(len(summary.categories) + 1)
    positions = np.array(
        [index.get(k, len(summary.categories)) for k in counts.index], dtype=np.int64
    )
    np.add.at(out, positions, counts.to_numpy(dtype=np.float64))
    return out, int(series.isna().sum())


def _current_counts(
    summary: ReferenceSummary, current: object, columns: Sequence[str] | None
) -> CurrentCounts | None:
    """Engine-side counts of ``current`` (None: a pandas frame, counted here)."""
    if isinstance(current, CurrentCounts):
        return current
    if engines.is_engine_data(current):
        return engines.current_counts(summary, current, columns)
    return None


def _numeric_from(
    summary: NumericSummary, counts: CurrentCounts
) -> tuple[npt.NDArray[np.float64], int, float]:
    part = counts.columns.get(summary.name)
    if not isinstance(part, NumericCounts) or part.edges != summary.edges:
        raise ValueError(
            f"current counts of {summary.name!r} were not made with this reference summary's "
            "edges: count the current data with the same summary"
        )
    mean = part.mean if part.finite else float("nan")
    return np.asarray(part.counts, dtype=np.float64), part.nan_count, mean


def _categorical_from(
    summary: CategoricalSummary, counts: CurrentCounts
) -> tuple[npt.NDArray[np.float64], int]:
    part = counts.columns.get(summary.name)
    if not isinstance(part, CategoryCounts):
        raise ValueError(f"current counts of {summary.name!r} are not categorical counts")
    known = set(summary.categories)
    out = np.zeros(len(summary.categories) + 1)
    out[:-1] = [part.values.get(c, 0) for c in summary.categories]
    out[-1] = part.other + sum(v for k, v in part.values.items() if k not in known)
    return out, part.nan_count


def _resolve(
    reference: object, columns: Iterable[str] | None, categorical: Iterable[str]
) -> ReferenceSummary:
    if isinstance(reference, ReferenceSummary):
        return reference
    if isinstance(reference, Mapping) and "format" in reference:
        return ReferenceSummary.from_dict(reference)
    return summarize(reference, columns=columns, categorical=categorical)


def compare(
    reference: object,
    current: object,
    *,
    columns: Iterable[str] | None = None,
    categorical: Iterable[str] = (),
    ks_threshold: float = 0.1,
    psi_threshold: float = 0.2,
    linf_threshold: float = 0.1,
    nan_threshold: float = 0.05,
    js_threshold: float | None = None,
    alpha: float = 0.001,
    psi_bins: int = 10,
) -> DriftReport:
    """Compare current data with a reference summary (or reference data); see the module doc."""
    if psi_bins < 2:
        raise ValueError(f"psi_bins must be >= 2, got {psi_bins}")
    columns = None if columns is None else [str(c) for c in columns]
    summary = _resolve(reference, columns, categorical)
    counts = _current_counts(summary, current, columns)
    if counts is None:
        frame = as_frame(current, "current data")
        current_list = [str(c) for c in frame.columns]
        n_current, engine = len(frame), "pandas"
    else:
        if counts.n_rows == 0:
            raise ValueError("current data has no rows")
        current_list, n_current, engine = list(counts.names), counts.n_rows, counts.engine
    wanted = summary.names if columns is None else tuple(columns)
    current_names = set(current_list)
    missing = tuple(c for c in wanted if c not in current_names)
    new = tuple(c for c in current_list if c not in set(summary.names))
    compared = [summary.column(c) for c in wanted if c in current_names]
    numeric = [c for c in compared if isinstance(c, NumericSummary)]
    cats = [c for c in compared if isinstance(c, CategoricalSummary)]
    thresholds: dict[str, float | None] = {
        "ks": ks_threshold, "psi": psi_threshold, "linf": linf_threshold,
        "nan_share": nan_threshold, "js": js_threshold, "alpha": alpha,
    }  # fmt: skip
    results: dict[str, ColumnDrift] = {}
    if numeric:
        pairs = [
            _numeric_counts(s, frame[s.name]) if counts is None else _numeric_from(s, counts)
            for s in numeric
        ]
        ref = _padded([np.asarray(s.counts, dtype=np.float64) for s in numeric])
        cur = _padded([p[0] for p in pairs])
        d, d_p = ks_from_counts(ref, cur)
        groups = _coarse_bins(ref, psi_bins)
        ref_c, cur_c = _regroup(ref, groups, psi_bins), _regroup(cur, groups, psi_bins)
        stats = {
            "ks": d,
            "ks_pvalue": d_p,
            "psi": psi(ref_c, cur_c),
            "js": js_distance(ref_c, cur_c),
        }
        stats["chi2"], stats["chi2_pvalue"] = chi_square(ref_c, cur_c)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats["ks_resolution"] = np.max(ref[:, 0::2], axis=1) / ref.sum(axis=1)
        stats["mean_reference"] = np.array([np.nan if s.mean is None else s.mean for s in numeric])
        stats["mean_current"] = np.array([p[2] for p in pairs])
        _judge(results, numeric, stats, (cur.sum(axis=1), _nan_counts(pairs)), thresholds)
    if cats:
        cat_pairs = [
            _categorical_counts(s, frame[s.name])
            if counts is None
            else _categorical_from(s, counts)
            for s in cats
        ]
        ref = _padded([np.asarray(s.counts, dtype=np.float64) for s in cats])
        cur = _padded([p[0] for p in cat_pairs])
        stats = {"linf": linf_distance(ref, cur), "psi": psi(ref, cur), "js": js_distance(ref, cur)}
        stats["chi2"], stats["chi2_pvalue"] = chi_square(ref, cur)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats["other_share"] = np.array([p[0][-1] / p[0].sum() for p in cat_pairs])
        _judge(results, cats, stats, (cur.sum(axis=1), _nan_counts(cat_pairs)), thresholds)
    ordered = tuple(results[c.name] for c in compared)
    return DriftReport(ordered, thresholds, summary.n_rows, n_current, missing, new,
                       tuple(c.name for c in compared), engine,
                       dict(summary.provenance))  # fmt: skip


def _nan_counts(pairs: Sequence[tuple[Any, ...]]) -> npt.NDArray[np.float64]:
    return np.array([p[1] for p in pairs], dtype=np.float64)


def _judge(
    out: dict[str, ColumnDrift],
    summaries: list[NumericSummary] | list[CategoricalSummary],
    stats: dict[str, npt.NDArray[np.float64]],
    current: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    thresholds: Mapping[str, float | None],
) -> None:
    """Turn the statistics of one column kind into verdicts (effect size and p < alpha)."""
    alpha = float(thresholds["alpha"] or 0.0)
    cur_valid, cur_nan = current
    ref_nan = np.array([s.nan_count for s in summaries], dtype=np.float64)
    ref_n = ref_nan + np.array([s.count for s in summaries], dtype=np.float64)
    cur_n = cur_nan + cur_valid
    with np.errstate(invalid="ignore", divide="ignore"):
        stats["nan_share_reference"] = ref_nan / ref_n
        stats["nan_share_current"] = cur_nan / cur_n
    stats["nan_pvalue"] = proportion_test(ref_nan, ref_n, cur_nan, cur_n)
    for i, s in enumerate(summaries):
        row = {k: _clean(float(v[i])) for k, v in stats.items()}
        fired = [
            test
            for test, p_key in _EFFECTS.items()
            if _fires(row.get(test), thresholds.get(test), row.get(p_key), alpha)
        ]
        share_change = abs((row["nan_share_current"] or 0.0) - (row["nan_share_reference"] or 0.0))
        if _fires(share_change, thresholds.get("nan_share"), row["nan_pvalue"], alpha):
            fired.append("nan_share")
        out[s.name] = ColumnDrift(s.name, s.kind, bool(fired), tuple(fired), row)


# effect-size statistic -> the p-value that must also be significant
_EFFECTS = {"ks": "ks_pvalue", "psi": "chi2_pvalue", "linf": "chi2_pvalue", "js": "chi2_pvalue"}


def _fires(value: float | None, limit: float | None, p: float | None, alpha: float) -> bool:
    return (
        value is not None and limit is not None and p is not None and value >= limit and p < alpha
    )
