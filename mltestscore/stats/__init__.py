"""Drift and skew statistics shared by the data, model and monitoring checks.

Modules: :mod:`~mltestscore.stats.summary` (reference summaries),
:mod:`~mltestscore.stats.distances` (statistics on binned counts),
:mod:`~mltestscore.stats.compare` (per-column verdicts) and
:mod:`~mltestscore.stats.report` (the frozen results).

Stable API (used by monitor.3 / monitor.7)::

    from mltestscore import stats

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
over all columns (:mod:`mltestscore.stats.distances`).

Data bigger than memory: ``summarize`` and ``compare`` also take Polars frames
(eager or lazy), Parquet files/folders, ``pyarrow`` tables/datasets and Spark
DataFrames, computed on that engine (:mod:`mltestscore.engines`); the
report's ``engine`` (and ``to_evidence()["engine"]``) says which one ran, and a
summary's ``provenance`` whether its edges are exact or sketched (with the rank
error). The current side may also be a :class:`CurrentCounts` — counts made per
chunk or partition (``engines.current_counts``) and added with ``merge`` — and
reference summaries of parts counted with shared edges add up with
:func:`merge_summaries`. Counts are exact on every engine; only sketched edges
move, by at most their rank error, so verdicts match the pandas path's.
"""

from __future__ import annotations

from mltestscore.engines.counts import CurrentCounts, merge_summaries
from mltestscore.stats.compare import compare
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
    NumericSummary,
    ReferenceSummary,
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
