"""Drift statistics agree across pandas, Polars, Parquet streams and Spark; summaries merge."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_data import PLANTED

from mltestscore import stats
from mltestscore.engines.counts import edges_of, merge_all, merge_summaries

NUMERIC_STATS = ("ks", "psi", "js", "chi2")
EXACT_STATS = ("nan_share_reference", "nan_share_current")
CATEGORICAL_STATS = ("linf", "psi", "js", "chi2", "other_share")


def _split(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    bounds = np.linspace(0, len(frame), parts + 1).astype(int)
    return [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]


def _pandas_report(frames: tuple[pd.DataFrame, pd.DataFrame]) -> stats.DriftReport:
    ref, cur = frames
    return stats.compare(stats.summarize(ref), cur)


def _assert_agree(base: stats.DriftReport, other: stats.DriftReport, rank_error: float) -> None:
    """Every statistic within the stated sketch error of the pandas path's; same verdicts.

    Counts are exact on every engine; only a reference edge may sit up to
    ``rank_error`` (in rank) from the exact quantile. So: missing shares and all
    categorical statistics are equal; KS differs by at most the two summaries'
    KS resolution (largest reference mass between two edges) plus the rank error;
    PSI/JS/χ² on coarse bins whose edges move by ≤ rank_error differ by a few
    percent of their value (plus a floor for values near zero).
    """
    assert other.drifted_columns == base.drifted_columns
    assert set(other.drifted_columns) == set(PLANTED)
    for col in base.columns:
        theirs = other.column(col.column)
        mine = col.statistics
        got = theirs.statistics
        assert theirs.tests == col.tests, col.column
        for key in EXACT_STATS:
            assert got[key] == pytest.approx(mine[key], abs=1e-9), (col.column, key)
        if col.kind == "categorical":
            for key in CATEGORICAL_STATS:
                assert got[key] == pytest.approx(mine[key], rel=1e-5, abs=1e-9), (col.column, key)
            continue
        tolerance = max(mine["ks_resolution"] or 0, got["ks_resolution"] or 0) + rank_error
        assert abs(got["ks"] - mine["ks"]) <= tolerance + 1e-9, col.column
        for key in ("psi", "js"):
            assert got[key] == pytest.approx(mine[key], rel=0.05, abs=0.002), (col.column, key)
        assert got["chi2"] == pytest.approx(mine["chi2"], rel=0.05, abs=5.0), col.column
        assert got["mean_current"] == pytest.approx(mine["mean_current"], rel=1e-9)
        assert got["mean_reference"] == pytest.approx(mine["mean_reference"], rel=1e-9)


def test_polars_eager_summary_equals_pandas(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    ref, cur = frames
    from_polars = stats.summarize(pl.from_pandas(ref))
    assert from_polars == stats.summarize(ref)  # exact quantiles: the same summary
    report = stats.compare(from_polars, pl.from_pandas(cur))
    assert report.engine == "polars"
    _assert_agree(_pandas_report(frames), report, 0.0)


def test_polars_lazy_streams_in_batches(
    frames: tuple[pd.DataFrame, pd.DataFrame], parquet_paths: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pl = pytest.importorskip("polars")
    from mltestscore.engines import arrow as engine_arrow

    monkeypatch.setattr(engine_arrow, "BATCH_ROWS", 9_000)  # several batches per pass
    ref_path, cur_path = parquet_paths
    summary = stats.summarize(pl.scan_parquet(ref_path))
    assert summary.provenance["engine"] == "polars-lazy"
    assert summary.provenance["quantiles"] == "kll"
    report = stats.compare(summary, pl.scan_parquet(str(cur_path / "*.parquet")))
    assert report.engine == "polars-lazy"
    _assert_agree(_pandas_report(frames), report, summary.provenance["quantile_rank_error"])


def test_parquet_file_and_dataset_stream_in_row_groups(
    frames: tuple[pd.DataFrame, pd.DataFrame], parquet_paths: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from mltestscore.engines import arrow as engine_arrow

    monkeypatch.setattr(engine_arrow, "BATCH_ROWS", 5_000)
    ref_path, cur_path = parquet_paths
    summary = stats.summarize(ref_path)
    assert summary.provenance["engine"] == "parquet"
    assert 0 < summary.provenance["quantile_rank_error"] < 0.01
    report = stats.compare(summary, cur_path)
    assert report.engine == "parquet"
    assert report.n_current == len(frames[1])
    assert report.to_evidence()["engine"] == "parquet"
    assert report.to_evidence()["reference"]["quantiles"] == "kll"
    _assert_agree(_pandas_report(frames), report, summary.provenance["quantile_rank_error"])
    # the stored summary round-trips with its provenance
    again = stats.ReferenceSummary.from_dict(summary.to_dict())
    assert again == summary and again.provenance == summary.provenance


def test_spark_aggregations_agree(
    frames: tuple[pd.DataFrame, pd.DataFrame], spark_frames: tuple[Any, Any]
) -> None:
    ref, cur = spark_frames
    summary = stats.summarize(ref)
    assert summary.provenance == {"engine": "spark", "quantiles": "percentile_approx",
                                  "quantile_rank_error": 1e-4}  # fmt: skip
    report = stats.compare(summary, cur)
    assert report.engine == "spark"
    _assert_agree(_pandas_report(frames), report, summary.provenance["quantile_rank_error"])
    # a pandas reference summary judges Spark current data with the same verdicts
    assert stats.compare(stats.summarize(frames[0]), cur).drifted_columns == (
        _pandas_report(frames).drifted_columns
    )


def test_spark_session_is_local_only(spark: Any) -> None:
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.master") == "local[2]"
    assert conf.get("spark.driver.host") == "127.0.0.1"
    assert conf.get("spark.driver.bindAddress") == "127.0.0.1"


def test_merged_reference_summaries_equal_the_whole(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ref, cur = frames
    whole = stats.summarize(ref)
    plan = edges_of(whole)
    parts = [stats.summarize(part, edges=plan, top_k=None) for part in _split(ref, 4)]
    merged = merge_summaries(parts)
    assert merged.n_rows == whole.n_rows
    for a, b in zip(whole.columns, merged.columns, strict=True):
        assert a.counts == b.counts and a.nan_count == b.nan_count, a.name
        if isinstance(a, stats.NumericSummary) and isinstance(b, stats.NumericSummary):
            assert a.edges == b.edges
            assert b.mean == pytest.approx(a.mean, rel=1e-12)
            assert b.std == pytest.approx(a.std, rel=1e-9)
        else:
            assert a.categories == b.categories
    assert stats.compare(merged, cur).drifted_columns == stats.compare(whole, cur).drifted_columns


def test_merge_refuses_what_it_cannot_add_exactly(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ref = frames[0]
    a, b = stats.summarize(ref.iloc[:100]), stats.summarize(ref.iloc[100:300])
    with pytest.raises(ValueError, match="different edges"):
        merge_summaries([a, b])
    one = pd.DataFrame({"c": ["a", "a", "b", "c"]})
    two = pd.DataFrame({"c": ["c", "c", "c", "b"]})
    truncated = [stats.summarize(p, top_k=1) for p in (one, two)]
    with pytest.raises(ValueError, match="top_k=None"):
        merge_summaries(truncated)  # "a" hides in part two's "other"? no: "c" hides in one's
    full = merge_summaries([stats.summarize(p, top_k=None) for p in (one, two)], top_k=1)
    assert full.column("c").counts == (4, 4)  # c: 4, other (a, b): 4


def test_current_counts_merge_per_partition(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    pl = pytest.importorskip("polars")
    ref, cur = frames
    summary = stats.summarize(ref)
    from mltestscore import engines

    parts = [engines.current_counts(summary, pl.from_pandas(p)) for p in _split(cur, 3)]
    merged = merge_all(parts)
    assert merged.n_rows == len(cur)
    whole = stats.compare(summary, cur)
    report = stats.compare(summary, merged)
    assert report.drifted_columns == whole.drifted_columns
    for col in whole.columns:
        for key, value in col.statistics.items():
            got = report.column(col.column).statistics[key]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            assert got == pytest.approx(value, rel=1e-6, abs=1e-12), (col.column, key)


def test_counts_from_another_summary_are_refused(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    pl = pytest.importorskip("polars")
    from mltestscore import engines

    ref, cur = frames
    counts = engines.current_counts(stats.summarize(ref.iloc[:1000]), pl.from_pandas(cur))
    with pytest.raises(ValueError, match="same summary"):
        stats.compare(stats.summarize(ref), counts)


def test_engine_edge_cases() -> None:
    pl = pytest.importorskip("polars")
    ref = pl.DataFrame({
        "x": [1.0, None, float("nan"), 2.0, 3.0] * 20,
        "t": pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 1, 1, 39),
                               "1m", eager=True),
        "b": [True, False, None, True, True] * 20,
        "empty": pl.Series([None] * 100, dtype=pl.Float64),
    })  # fmt: skip
    summary = stats.summarize(ref)
    same = stats.summarize(ref.to_pandas())
    assert summary == same
    assert stats.compare(summary, ref).drifted_columns == ()
    with pytest.raises(ValueError, match="no rows"):
        stats.compare(summary, ref.head(0))
    with pytest.raises(KeyError, match="nope"):
        stats.summarize(ref, columns=["nope"])
