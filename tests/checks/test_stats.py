"""Drift statistics: distances on counts, reference summaries, compare()."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon
from sklearn.datasets import load_breast_cancer, load_wine

from mltestscore import stats


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    frame["grade"] = pd.cut(frame["mean radius"], [0, 12, 15, 40], labels=["s", "m", "l"]).astype(
        str
    )
    return pd.DataFrame(frame)


def _halves(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(frame))
    half = len(frame) // 2
    return frame.iloc[order[:half]].reset_index(drop=True), frame.iloc[order[half:]].reset_index(
        drop=True
    )


# -- distances on counts ------------------------------------------------------------


def test_distances_match_scipy_references() -> None:
    ref = np.array([10.0, 30.0, 40.0, 20.0])
    cur = np.array([25.0, 25.0, 25.0, 25.0])
    p, q = ref / ref.sum(), cur / cur.sum()
    assert stats.js_distance(ref, cur) == pytest.approx(jensenshannon(p, q, base=2))
    assert stats.linf_distance(ref, cur) == pytest.approx(0.15)
    assert stats.psi(ref, cur) == pytest.approx(np.sum((q - p) * np.log(q / p)))
    chi2, pval = stats.chi_square(ref, cur)
    expected = sps.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert chi2 == pytest.approx(expected.statistic)
    assert pval == pytest.approx(expected.pvalue)


def test_distances_are_vectorized_over_rows_and_ignore_padding() -> None:
    ref = np.array([[10.0, 30.0, 60.0, 0.0], [50.0, 50.0, 0.0, 0.0]])
    cur = np.array([[10.0, 30.0, 60.0, 0.0], [90.0, 10.0, 0.0, 0.0]])
    assert stats.psi(ref, cur)[0] == pytest.approx(0.0)
    assert stats.psi(ref, cur)[1] == pytest.approx(stats.psi(ref[1, :2], cur[1, :2]))
    d, _ = stats.ks_from_counts(ref, cur)
    assert d.tolist() == pytest.approx([0.0, 0.4])


def test_distances_reject_bad_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        stats.psi([1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="differ in shape"):
        stats.linf_distance([1.0, 2.0], [1.0, 2.0, 3.0])


# -- summaries ------------------------------------------------------------------------


def test_summary_roundtrips_through_json(cancer: pd.DataFrame, tmp_path: Path) -> None:
    summary = stats.summarize(cancer)
    path = tmp_path / "reference.json"
    summary.save(path)
    loaded = stats.ReferenceSummary.load(path)
    assert loaded == summary
    assert isinstance(loaded.column("mean radius"), stats.NumericSummary)
    assert isinstance(loaded.column("grade"), stats.CategoricalSummary)
    assert loaded.column("mean radius").count == len(cancer)
    assert json.loads(path.read_text())["format"] == "mltestscore.reference-summary"


def test_summary_load_names_the_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json is not valid JSON"):
        stats.ReferenceSummary.load(bad)
    with pytest.raises(FileNotFoundError, match=r"missing\.json"):
        stats.ReferenceSummary.load(tmp_path / "missing.json")


def test_summary_of_empty_data_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="reference data has no rows"):
        stats.summarize(pd.DataFrame({"a": []}))
    with pytest.raises(TypeError, match="reference data: expected a pandas"):
        stats.summarize({"a": [1, 2]})


def test_top_k_keeps_frequent_categories_and_buckets_the_rest() -> None:
    values = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 15 + ["d"] * 5)
    summary = stats.summarize(values.rename("cat"), top_k=2).column("cat")
    assert isinstance(summary, stats.CategoricalSummary)
    assert summary.categories == ("a", "b")
    assert summary.counts == (50, 30, 20)


# -- compare ---------------------------------------------------------------------------


def test_same_distribution_has_no_drift(cancer: pd.DataFrame) -> None:
    ref, cur = _halves(cancer)
    report = stats.compare(stats.summarize(ref), cur)
    assert report.drifted_columns == ()
    assert len(report.columns) == cancer.shape[1]


def test_planted_drift_is_found_and_named(cancer: pd.DataFrame) -> None:
    ref, cur = _halves(cancer)
    cur = cur.copy()
    cur["mean texture"] = cur["mean texture"] + 1.0 * ref["mean texture"].std()  # mean shift
    cur["grade"] = "l"  # categorical collapse
    cur.loc[: len(cur) // 3, "worst area"] = np.nan  # a third goes missing
    report = stats.compare(ref, cur)
    assert set(report.drifted_columns) == {"mean texture", "grade", "worst area"}
    assert {"ks", "psi"} <= set(report.column("mean texture").tests)
    assert "linf" in report.column("grade").tests
    assert report.column("worst area").tests == ("nan_share",)
    assert report.column("worst area").statistics["nan_share_current"] == pytest.approx(
        0.33, abs=0.01
    )
    evidence = report.to_evidence(max_rows=5)
    assert evidence["columns"][0]["drifted"] is True
    assert evidence["columns_not_shown"] == cancer.shape[1] - 5
    json.dumps(evidence, allow_nan=False)


def test_ks_on_summary_matches_exact_ks_within_resolution() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=4000), rng.standard_t(4, size=3000) * 0.8 + 0.1
    col = stats.compare(pd.DataFrame({"v": a}), pd.DataFrame({"v": b})).column("v")
    exact = sps.ks_2samp(a, b).statistic
    assert exact - col.statistics["ks_resolution"] - 1e-12 <= col.statistics["ks"] <= exact + 1e-12


def test_discrete_values_are_counted_exactly() -> None:
    ref = pd.DataFrame({"v": np.ones(500)})
    cur = pd.DataFrame({"v": np.full(500, 0.5)})
    col = stats.compare(ref, cur).column("v")
    assert col.statistics["ks"] == pytest.approx(1.0)
    assert col.drifted


def test_small_samples_need_significance_not_just_effect_size(cancer: pd.DataFrame) -> None:
    ref = cancer.iloc[:400]
    tiny = cancer.iloc[400:412]  # 12 rows: KS D is large by chance alone
    report = stats.compare(ref, tiny, columns=["mean radius", "mean texture"])
    assert all(c.statistics["ks"] is not None for c in report.columns)
    assert report.drifted_columns == ()


def test_unseen_categories_count_as_other_and_drift() -> None:
    wine = load_wine(as_frame=True).frame
    wine["origin"] = np.where(wine["target"] == 0, "north", "south")
    cur = wine.copy()
    cur["origin"] = "east"
    col = stats.compare(wine, cur, columns=["origin"]).column("origin")
    assert col.statistics["other_share"] == pytest.approx(1.0)
    assert col.drifted


def test_missing_and_new_columns_are_reported(cancer: pd.DataFrame) -> None:
    cur = cancer.drop(columns=["mean radius"]).assign(extra=1.0)
    report = stats.compare(cancer, cur)
    assert report.missing_columns == ("mean radius",)
    assert report.new_columns == ("extra",)


def test_arrays_and_stored_dicts_are_accepted() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(2000, 3))
    cur = ref.copy()
    cur[:, 2] += 2.0
    summary = stats.summarize(ref).to_dict()
    report = stats.compare(json.loads(json.dumps(summary)), cur)
    assert report.drifted_columns == ("x2",)
    preds = stats.compare(rng.integers(0, 3, 1000), rng.integers(0, 3, 1000) * 0)
    assert preds.drifted_columns == ("value",)


def test_current_data_that_does_not_parse_shows_as_missing() -> None:
    ref = pd.DataFrame({"age": np.arange(200, dtype=float)})
    cur = pd.DataFrame({"age": ["n/a"] * 100 + [str(i) for i in range(100)]})
    col = stats.compare(ref, cur).column("age")
    assert col.statistics["nan_share_current"] == pytest.approx(0.5)
    assert "nan_share" in col.tests
