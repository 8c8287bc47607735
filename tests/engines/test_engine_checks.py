"""data.1 / monitor.2 / data.5 on Polars, Parquet datasets and Spark, on their own engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mltestscore.checks.data import privacy_controls, schema_validates
from mltestscore.checks.monitor.monitor2_serving_inputs import serving_inputs_valid
from mltestscore.results import Status
from mltestscore.schema import validate

ROWS = 2_000


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [20 + i % 50 for i in range(ROWS)],
        "income": [1000.0 + i for i in range(ROWS)],
        "city": ["Paris" if i % 3 else "Lyon" for i in range(ROWS)],
    })  # fmt: skip


def _with_bad_rows(frame: pd.DataFrame, bad: int) -> pd.DataFrame:
    out = frame.copy()
    out.loc[: bad - 1, "age"] = -5  # fails age >= 0
    return out


def _polars_schema() -> Any:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pandera.polars")
    return pa.DataFrameSchema({
        "age": pa.Column(pl.Int64, pa.Check.ge(0)),
        "income": pa.Column(pl.Float64, pa.Check.gt(0)),
        "city": pa.Column(pl.String, pa.Check.isin(["Paris", "Lyon"])),
    })  # fmt: skip


def test_pandera_polars_schema_validates_eager_and_lazy() -> None:
    pl = pytest.importorskip("polars")
    schema = _polars_schema()
    good = pl.from_pandas(_table())
    assert schema_validates(schema, good).status is Status.PASS
    bad = pl.from_pandas(_with_bad_rows(_table(), 40))
    for data in (bad, bad.lazy()):  # lazy frames get the data-level checks too
        report = validate(schema, data)
        assert report.rows == ROWS
        assert report.failure_count_by_column == {"age": 40}
        assert report.failures[0].example_rows == (0, 1, 2)
    result = serving_inputs_valid(schema, bad.lazy(), max_failure_rate=0.01)
    assert result.status is Status.FAIL  # 2 % of rows > 1 %
    assert serving_inputs_valid(schema, bad, max_failure_rate=0.05).status is Status.WARN


def test_pandera_polars_schema_on_a_parquet_dataset(tmp_path: Path) -> None:
    pytest.importorskip("polars")
    pads = pytest.importorskip("pyarrow.dataset")
    schema = _polars_schema()
    folder = tmp_path / "serving"
    folder.mkdir()
    frame = _with_bad_rows(_table(), 10)
    frame.iloc[:1000].to_parquet(folder / "a.parquet")
    frame.iloc[1000:].to_parquet(folder / "b.parquet")
    for data in (folder, pads.dataset(folder)):
        report = validate(schema, data)
        assert report.rows == ROWS and report.failure_count_by_column == {"age": 10}


def test_schema_backend_mismatch_names_the_right_schema() -> None:
    pl = pytest.importorskip("polars")
    import pandera.pandas as pa

    pandas_schema = pa.DataFrameSchema({"age": pa.Column(int)})
    with pytest.raises(TypeError, match=r"pandera\.polars schema"):
        validate(pandas_schema, pl.from_pandas(_table()))
    with pytest.raises(TypeError, match=r"pandera\.polars schema validates Polars"):
        validate(_polars_schema(), _table())


def test_pii_scan_on_polars_and_parquet_samples(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    frame = _table().assign(
        contact=[f"user{i}@example.com" if i % 10 == 0 else "n/a" for i in range(ROWS)]
    )
    clean = _table()
    frame.to_parquet(tmp_path / "part.parquet")
    for data in (pl.from_pandas(frame), pl.from_pandas(frame).lazy(), tmp_path):
        result = privacy_controls(data, max_rows=500)
        assert result.status is Status.FAIL, type(data)
        assert "contact (email" in result.message
        assert result.evidence["sampled_rows"] == 500
        assert result.evidence["engine"] in ("polars", "polars-lazy", "parquet")
    assert privacy_controls(pl.from_pandas(clean)).status is Status.PASS


def _spark_table(spark: Any) -> Any:
    frame = _with_bad_rows(_table(), 30).assign(
        contact=[f"user{i}@example.com" if i % 10 == 0 else "n/a" for i in range(ROWS)]
    )
    return spark.createDataFrame(frame)


def test_pii_scan_on_a_sample_spark_draws(spark: Any) -> None:
    data = _spark_table(spark)
    pii = privacy_controls(data, max_rows=300)
    assert pii.status is Status.FAIL and pii.evidence["engine"] == "spark"
    assert 0 < pii.evidence["sampled_rows"] <= 300
    assert privacy_controls(spark.createDataFrame(_table())).status is Status.PASS


def _pandera_pyspark() -> Any:
    """``pandera.pyspark``, or a skip that names where it is tested (pandas 3: no import)."""
    try:
        import pandera.pyspark as pa
    except ImportError as exc:  # PySpark 4.3's pyspark.pandas fails to import under pandas 3
        pytest.skip(
            f"pandera.pyspark does not import here ({exc}); its tests run under pandas 2.2.3 "
            "in `nox -s spark_pandas2` and in .ci/run's .venv-spark-pandas2 step"
        )
    return pa


def test_pandera_pyspark_schema_runs_on_spark(spark: Any) -> None:
    pa = _pandera_pyspark()
    import pyspark.sql.types as T

    data = _spark_table(spark)
    schema = pa.DataFrameSchema({
        "age": pa.Column(T.LongType(), pa.Check.ge(0)),
        "city": pa.Column(T.StringType()),
    })  # fmt: skip
    report = validate(schema, data)
    assert not report.valid and report.rows == ROWS
    assert list(report.failure_rate_by_column) == ["age"]
    assert "row count not reported" in report.failures[0].detail
    result = schema_validates(schema, data)
    assert result.status is Status.FAIL and "age" in result.message, result.message
    good = spark.createDataFrame(_table())
    assert validate(schema, good).valid
    assert schema_validates(schema, good).status is Status.WARN  # income has no expectation


def test_pandera_pyspark_schema_fails_on_a_wrong_type(spark: Any) -> None:
    pa = _pandera_pyspark()
    import pyspark.sql.types as T

    schema = pa.DataFrameSchema({
        "age": pa.Column(T.LongType(), pa.Check.ge(0)),
        "income": pa.Column(T.StringType()),  # the data holds doubles
        "city": pa.Column(T.StringType(), pa.Check.isin(["Paris", "Lyon"])),
    })  # fmt: skip
    data = spark.createDataFrame(_table())
    report = validate(schema, data)
    assert not report.valid
    assert list(report.failure_rate_by_column) == ["income"]
    result = schema_validates(schema, data)
    assert result.status is Status.FAIL and "income" in result.message, result.message
    assert serving_inputs_valid(schema, data, max_failure_rate=0.5).status is Status.FAIL


def test_gx_suite_runs_on_the_spark_datasource(spark: Any) -> None:
    gx = pytest.importorskip("great_expectations")
    suite = gx.ExpectationSuite(
        name="serving",
        expectations=[
            gx.expectations.ExpectColumnValuesToBeBetween(column="age", min_value=0, max_value=120)
        ],
    )
    data = spark.createDataFrame(_with_bad_rows(_table(), 25))
    report = validate(suite, data)
    assert report.engine == "great_expectations" and report.rows == ROWS
    assert report.failure_count_by_column == {"age": 25}
    assert serving_inputs_valid(suite, data, max_failure_rate=0.05).status is Status.WARN


def test_monitor3_takes_a_polars_reference_and_finds_distribution_skew() -> None:
    pl = pytest.importorskip("polars")
    import numpy as np

    from mltestscore.runner import run_builtin

    rng = np.random.default_rng(0)
    train = pl.DataFrame({"amount": rng.normal(0, 1, 5000), "age": rng.normal(40, 5, 5000)})
    same = pd.DataFrame(
        {"served_amount": rng.normal(0, 1, 800), "served_age": rng.normal(40, 5, 800)}
    )
    ok = run_builtin("monitor.3", {"serving_log": same, "train_data": train.lazy()})
    assert ok.status is Status.WARN, ok.message  # distribution only: it warns, never a pass
    assert "0 of 2 features drifted" in ok.message
    assert "polars" in str(ok.evidence["distribution_skew"]["reference"])  # summarized there
    shifted = same.assign(served_amount=same["served_amount"] * 3 + 2)
    skewed = run_builtin("monitor.3", {"serving_log": shifted, "train_data": train})
    assert skewed.status is Status.FAIL and "amount" in skewed.message, skewed.message
