"""monitor.3: training/serving skew.

A small credit-style feature pipeline. The *training* code is ``training_features``;
the *serving* path is a re-implementation that logs what it computed as
``served_<feature>`` columns next to the raw request. Planted skews: income in
thousands (a scale factor), a forgotten ``.upper()`` (NaN for lower-case
countries), rounding instead of flooring, a different category encoding, and
serving features whose distribution moved away from training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mltestscore.checks.monitor.skew import compare_feature
from mltestscore.results import Status
from mltestscore.runner import run_builtin

CODES = {"FR": 0, "DE": 1, "US": 2}


def raw_requests(n: int, seed: int, income_scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    countries = rng.choice(["FR", "DE", "US", "fr", "us"], n, p=[0.3, 0.3, 0.3, 0.05, 0.05])
    frame = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.5, n) * income_scale,
            "age": rng.integers(18, 90, n),
            "country": countries,
        }
    )
    return frame.set_axis([f"req-{i:04d}" for i in range(n)], axis=0)


def training_features(raw: pd.DataFrame) -> pd.DataFrame:
    """The team's training-side feature code."""
    return pd.DataFrame(
        {
            "log_income": np.log1p(raw["income"]),
            "income_per_age": raw["income"] / raw["age"],
            "age_bucket": (raw["age"] // 10).astype(int),
            "country_code": raw["country"].str.upper().map(CODES),
        },
        index=raw.index,
    )


def serving_log(raw: pd.DataFrame, serve: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    served = serve(raw).add_prefix("served_")
    return pd.concat([raw, served], axis=1)


def faithful_serving(raw: pd.DataFrame) -> pd.DataFrame:
    """Same logic, computed in float32 as the serving stack does."""
    return training_features(raw).astype({"log_income": np.float32, "income_per_age": np.float32})


def buggy_serving(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "log_income": np.log1p(raw["income"]),
            "income_per_age": (raw["income"] / 1000.0) / raw["age"],  # income in thousands
            "age_bucket": (raw["age"] // 10).astype(int),
            "country_code": raw["country"].map(CODES),  # forgot .upper()
        },
        index=raw.index,
    )


def test_faithful_serving_passes_elementwise_and_distribution() -> None:
    log = serving_log(raw_requests(300, seed=1), faithful_serving)
    train = training_features(raw_requests(2000, seed=0))
    result = run_builtin(
        "monitor.3", {"serving_log": log, "feature_fn": training_features, "train_data": train}
    )
    assert result.status is Status.PASS, result.message
    assert "all 4 served features match the training code on 300 logged examples" in (
        result.message
    )
    assert result.evidence["feature_skew"]["skewed_examples"] == 0
    assert result.evidence["distribution_skew"]["drifted_columns"] == []


def test_skewed_features_fail_with_counts_rows_and_diagnosis() -> None:
    raw = raw_requests(300, seed=1)
    log = serving_log(raw, buggy_serving)
    result = run_builtin("monitor.3", {"serving_log": log, "feature_fn": training_features})
    assert result.status is Status.FAIL, result.message
    skew = result.evidence["feature_skew"]
    assert sorted(skew["skewed_features"]) == ["country_code", "income_per_age"]
    lower = raw["country"].isin(["fr", "us"])
    assert skew["skewed_examples"] == 300  # income_per_age differs on every row
    rows = {f["feature"]: f for f in skew["features"]}
    assert rows["country_code"]["mismatched"] == int(lower.sum())
    assert rows["country_code"]["example_rows"][0] == raw.index[lower.to_numpy()][0]
    assert (
        "serving sent NaN where the training code computes a value"
        in (rows["country_code"]["diagnosis"])
    )
    assert "scale factor: served = training × 0.001" in rows["income_per_age"]["diagnosis"]
    assert rows["log_income"]["mismatched"] == 0
    assert "2 of 4 features differ" in result.message
    assert "same code" in result.next_step
    assert "served_vs_training" not in rows["country_code"]  # values only on request


def test_show_values_and_tolerances() -> None:
    raw = raw_requests(100, seed=2)
    log = serving_log(raw, buggy_serving)
    shown = run_builtin(
        "monitor.3",
        {"serving_log": log, "feature_fn": training_features},
        thresholds={"show_values": True},
    )
    pairs = {f["feature"]: f for f in shown.evidence["feature_skew"]["features"]}
    assert len(pairs["income_per_age"]["served_vs_training"]) == 5
    rounded = serving_log(raw, lambda r: training_features(r).round({"income_per_age": 2}))
    strict = run_builtin("monitor.3", {"serving_log": rounded, "feature_fn": training_features})
    assert strict.status is Status.FAIL
    assert "rounded to 2 decimal(s)" in strict.message
    loose = run_builtin(
        "monitor.3",
        {"serving_log": rounded, "feature_fn": training_features},
        thresholds={"atol": 0.005},
    )
    assert loose.status is Status.PASS, loose.message


def test_mismatch_rate_threshold_turns_rare_skew_into_a_warning() -> None:
    raw = raw_requests(400, seed=3)

    def mostly_right(r: pd.DataFrame) -> pd.DataFrame:
        features = training_features(r)
        features.loc[features.index[:2], "age_bucket"] += 1  # 0.5% of rows
        return features

    log = serving_log(raw, mostly_right)
    inputs = {"serving_log": log, "feature_fn": training_features}
    assert run_builtin("monitor.3", inputs).status is Status.FAIL
    warned = run_builtin("monitor.3", inputs, thresholds={"max_mismatch_rate": 0.01})
    assert warned.status is Status.WARN, warned.message
    assert "1 feature(s) mismatch within max_mismatch_rate: 'age_bucket' (0.50%)" in (
        warned.message
    )


@pytest.mark.parametrize(
    ("served", "training", "expected"),
    [
        (["fr ", "DE", "us"], ["FR", "DE", "US"], "case or surrounding whitespace"),
        (["1", "2", "3"], [1, 2, 3], None),  # numeric text is compared as numbers: no skew
        ([1, 0, 1, 0, 2], [0, 1, 0, 1, 2], "consistently re-encoded"),
        ([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], "constant offset: served = training + -0.5"),
        ([1.0000001, 2.0, 3.0], [1.0, 2.0, 3.0], "float32 precision"),
        ([0.0, 0.0, 0.0], [1.2, 3.4, 5.6], "one constant value"),
    ],
)
def test_diagnoses(served: list[object], training: list[object], expected: str | None) -> None:
    result = compare_feature(
        "f", pd.Series(served), pd.Series(training), atol=0.0, rtol=0.0 if expected else 1e-9
    )
    if expected is None:
        assert result.mismatched == 0
    else:
        assert result.mismatched > 0 and expected in result.diagnosis


def test_two_frame_and_file_forms(tmp_path: Path) -> None:
    raw = raw_requests(50, seed=4)
    pair = (raw, buggy_serving(raw))
    result = run_builtin("monitor.3", {"serving_log": pair, "feature_fn": training_features})
    assert result.status is Status.FAIL
    path = tmp_path / "serving_log.csv"
    serving_log(raw, training_features).to_csv(path, index=False)
    from_csv = run_builtin("monitor.3", {"serving_log": path, "feature_fn": training_features})
    assert from_csv.status is Status.PASS, from_csv.message


def test_distribution_skew_alone_warns_or_fails() -> None:
    train = training_features(raw_requests(2000, seed=0))
    same = serving_log(raw_requests(500, seed=5), training_features)
    warned = run_builtin("monitor.3", {"serving_log": same, "train_data": train})
    assert warned.status is Status.WARN, warned.message
    assert "element-wise skew not checked" in warned.message
    shifted = serving_log(raw_requests(500, seed=5, income_scale=3.0), training_features)
    failed = run_builtin("monitor.3", {"serving_log": shifted, "train_data": train})
    assert failed.status is Status.FAIL, failed.message
    assert set(failed.evidence["distribution_skew"]["drifted_columns"]) >= {"log_income"}


def test_raw_training_data_gets_features_from_feature_fn() -> None:
    train_raw = raw_requests(2000, seed=0).assign(default=0)  # raw inputs plus a target
    log = serving_log(raw_requests(300, seed=1), faithful_serving)
    inputs = {"serving_log": log, "feature_fn": training_features, "train_data": train_raw}
    result = run_builtin("monitor.3", inputs)
    assert result.status is Status.PASS, result.message
    assert result.evidence["distribution_skew_note"].startswith("training features computed")
    unrelated = pd.DataFrame({"other": [1.0, 2.0]})
    skipped = run_builtin("monitor.3", {**inputs, "train_data": unrelated, "feature_fn": None})
    assert skipped.status is Status.ERROR and "none of the serving features" in skipped.message


def test_feature_code_problems() -> None:
    log = serving_log(raw_requests(20, seed=6), training_features)
    crashing = run_builtin(
        "monitor.3", {"serving_log": log, "feature_fn": lambda r: r["missing_column"]}
    )
    assert crashing.status is Status.FAIL and "KeyError" in crashing.message
    filtering = run_builtin(
        "monitor.3", {"serving_log": log, "feature_fn": lambda r: training_features(r).iloc[:5]}
    )
    assert filtering.status is Status.ERROR and "one row per input row" in filtering.message
    extra = log.assign(served_unknown_feature=1.0)
    unproduced = run_builtin("monitor.3", {"serving_log": extra, "feature_fn": training_features})
    assert unproduced.status is Status.FAIL
    assert "['unknown_feature'] are not produced by the training feature code" in (
        unproduced.message
    )
    assert run_builtin("monitor.3", {"serving_log": log}).status is Status.NOT_AUTOMATED


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_parquet_and_jsonl_serving_logs(tmp_path: Path, suffix: str) -> None:
    raw = raw_requests(120, seed=7)
    for serve, expected in ((training_features, Status.PASS), (buggy_serving, Status.FAIL)):
        path = tmp_path / f"{serve.__name__}{suffix}"
        log = serving_log(raw, serve)
        if suffix == ".parquet":
            log.to_parquet(path)  # keeps the request-id index
        else:
            log.to_json(path, orient="records", lines=True)
        result = run_builtin("monitor.3", {"serving_log": path, "feature_fn": training_features})
        assert result.status is expected, result.message
        if expected is Status.FAIL:
            skewed = result.evidence["feature_skew"]["skewed_features"]
            assert sorted(skewed) == ["country_code", "income_per_age"]
    rows = result.evidence["feature_skew"]["features"][0]["example_rows"]
    assert rows[0].startswith("req-") if suffix == ".parquet" else rows[0].isdigit()


def test_train_data_json_is_a_stored_summary_or_a_table(tmp_path: Path) -> None:
    from mltestscore import stats

    train = training_features(raw_requests(2000, seed=0))
    shifted = serving_log(raw_requests(500, seed=5, income_scale=3.0), training_features)
    summary = tmp_path / "reference.json"
    stats.summarize(train).save(summary)
    records = tmp_path / "train.json"
    train.to_json(records, orient="records")
    for path in (summary, records):
        failed = run_builtin("monitor.3", {"serving_log": shifted, "train_data": path})
        assert failed.status is Status.FAIL, failed.message
        assert "log_income" in failed.evidence["distribution_skew"]["drifted_columns"]
