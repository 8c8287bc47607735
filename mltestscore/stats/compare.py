"""Compare current data with a reference summary: statistics per column, then verdicts.

Every engine, pandas included, first reduces the current data to mergeable counts in
the reference's bins (:class:`~mltestscore.engines.counts.CurrentCounts`, built by the
same numpy kernels); the statistics and verdicts below only ever see those counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.engines.counts import (
    CategoryCounts,
    ColumnCounts,
    CurrentCounts,
    NumericCounts,
    numeric_counts,
    restricted,
)
from mltestscore.stats.distances import (
    chi_square,
    js_distance,
    ks_from_counts,
    linf_distance,
    proportion_test,
    psi,
)
from mltestscore.stats.report import ColumnDrift, DriftReport
from mltestscore.stats.summary import (
    CategoricalSummary,
    ColumnSummary,
    NumericSummary,
    ReferenceSummary,
    category_counts,
    numeric_values,
    statistics_frame,
    summarize,
)

FloatArray = npt.NDArray[np.float64]

# effect-size statistic -> the p-value that must also be significant
_EFFECTS = {"ks": "ks_pvalue", "psi": "chi2_pvalue", "linf": "chi2_pvalue", "js": "chi2_pvalue"}


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
    """Compare current data with a reference summary (or reference data); see :mod:`stats`."""
    if psi_bins < 2:
        raise ValueError(f"psi_bins must be >= 2, got {psi_bins}")
    columns = None if columns is None else [str(c) for c in columns]
    summary = _resolve(reference, columns, categorical)
    wanted = summary.names if columns is None else tuple(columns)
    counts = _current_counts(summary, current, columns, wanted)
    if counts.n_rows == 0:
        raise ValueError("current data has no rows")
    current_names = set(counts.names)
    missing = tuple(c for c in wanted if c not in current_names)
    new = tuple(c for c in counts.names if c not in set(summary.names))
    compared = [summary.column(c) for c in wanted if c in current_names]
    numeric = [c for c in compared if isinstance(c, NumericSummary)]
    cats = [c for c in compared if isinstance(c, CategoricalSummary)]
    thresholds: dict[str, float | None] = {
        "ks": ks_threshold, "psi": psi_threshold, "linf": linf_threshold,
        "nan_share": nan_threshold, "js": js_threshold, "alpha": alpha,
    }  # fmt: skip
    results: dict[str, ColumnDrift] = {}
    if numeric:
        pairs = [_numeric_from(s, counts) for s in numeric]
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
        cat_pairs = [_categorical_from(s, counts) for s in cats]
        ref = _padded([np.asarray(s.counts, dtype=np.float64) for s in cats])
        cur = _padded([p[0] for p in cat_pairs])
        stats = {"linf": linf_distance(ref, cur), "psi": psi(ref, cur), "js": js_distance(ref, cur)}
        stats["chi2"], stats["chi2_pvalue"] = chi_square(ref, cur)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats["other_share"] = np.array([p[0][-1] / p[0].sum() for p in cat_pairs])
        _judge(results, cats, stats, (cur.sum(axis=1), _nan_counts(cat_pairs)), thresholds)
    ordered = tuple(results[c.name] for c in compared)
    return DriftReport(ordered, thresholds, summary.n_rows, counts.n_rows, missing, new,
                       tuple(c.name for c in compared), counts.engine,
                       dict(summary.provenance))  # fmt: skip


def _resolve(
    reference: object, columns: Iterable[str] | None, categorical: Iterable[str]
) -> ReferenceSummary:
    if isinstance(reference, ReferenceSummary):
        return reference
    if isinstance(reference, Mapping) and "format" in reference:
        return ReferenceSummary.from_dict(reference)
    return summarize(reference, columns=columns, categorical=categorical)


def _current_counts(
    summary: ReferenceSummary,
    current: object,
    columns: Sequence[str] | None,
    wanted: Sequence[str],
) -> CurrentCounts:
    """``current`` as counts in the bins of ``summary``, counted where the data lives."""
    if isinstance(current, CurrentCounts):
        return current
    from mltestscore import engines  # at call time: the engines import this package

    if engines.is_engine_data(current):
        return engines.current_counts(summary, current, columns)
    return pandas_counts(summary, statistics_frame(current, "current data"), wanted)


def pandas_counts(
    summary: ReferenceSummary, frame: pd.DataFrame, wanted: Sequence[str]
) -> CurrentCounts:
    """Counts of a pandas frame in the bins of ``summary`` (the kernels every engine uses)."""
    names = tuple(str(c) for c in frame.columns)
    out: dict[str, ColumnCounts] = {}
    for name in wanted:
        if name not in names:
            continue
        ref = summary.column(name)
        series = frame[name]
        if isinstance(ref, NumericSummary):
            out[name] = numeric_counts(name, numeric_values(series), ref.edges)
        else:
            values = {str(k): int(v) for k, v in category_counts(series).items()}
            kept, other = restricted(values, ref.categories)
            out[name] = CategoryCounts(name, kept, int(series.isna().sum()), other)
    return CurrentCounts(out, len(frame), names, "pandas")


def _numeric_from(summary: NumericSummary, counts: CurrentCounts) -> tuple[FloatArray, int, float]:
    """Current counts in the summary's bins, missing count, and mean of the finite values."""
    part = counts.columns.get(summary.name)
    if not isinstance(part, NumericCounts) or part.edges != summary.edges:
        raise ValueError(
            f"current counts of {summary.name!r} were not made with this reference summary's "
            "edges: count the current data with the same summary"
        )
    mean = part.mean if part.finite else float("nan")
    return np.asarray(part.counts, dtype=np.float64), part.nan_count, mean


def _categorical_from(summary: CategoricalSummary, counts: CurrentCounts) -> tuple[FloatArray, int]:
    part = counts.columns.get(summary.name)
    if not isinstance(part, CategoryCounts):
        raise ValueError(f"current counts of {summary.name!r} are not categorical counts")
    known = set(summary.categories)
    out = np.zeros(len(summary.categories) + 1)
    out[:-1] = [part.values.get(c, 0) for c in summary.categories]
    out[-1] = part.other + sum(v for k, v in part.values.items() if k not in known)
    return out, part.nan_count


def _coarse_bins(ref: FloatArray, n_bins: int) -> npt.NDArray[np.int64]:
    """Group fine bins (rows of ``ref``) into ``n_bins`` bins of about equal reference mass."""
    totals = ref.sum(axis=1, keepdims=True)
    before = np.cumsum(ref, axis=1) - ref
    with np.errstate(invalid="ignore", divide="ignore"):
        mid = np.where(totals > 0, (before + ref / 2.0) / totals, 1.0)
    grouped: npt.NDArray[np.int64] = np.clip(np.floor(mid * n_bins), 0, n_bins - 1).astype(np.int64)
    return grouped


def _regroup(counts: FloatArray, groups: npt.NDArray[np.int64], n_bins: int) -> FloatArray:
    rows = counts.shape[0]
    flat = (np.arange(rows)[:, None] * n_bins + groups).ravel()
    summed = np.bincount(flat, weights=counts.ravel(), minlength=rows * n_bins)
    return summed.astype(np.float64).reshape(rows, n_bins)


def _padded(rows: list[FloatArray]) -> FloatArray:
    width = max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), width))
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _nan_counts(pairs: Sequence[tuple[Any, ...]]) -> FloatArray:
    return np.array([p[1] for p in pairs], dtype=np.float64)


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(f"{value:.6g}")


def _judge(
    out: dict[str, ColumnDrift],
    summaries: Sequence[ColumnSummary],
    stats: dict[str, FloatArray],
    current: tuple[FloatArray, FloatArray],
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


def _fires(value: float | None, limit: float | None, p: float | None, alpha: float) -> bool:
    return (
        value is not None and limit is not None and p is not None and value >= limit and p < alpha
    )
