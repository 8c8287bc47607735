"""monitor.2: logged serving inputs validate against the data.1 schema.

The planted problem: serving rows that break the schema (ages out of range, a
category the training data never had).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from mltestscore.results import Status
from mltestscore.runner import run_builtin

SCHEMA = pa.DataFrameSchema(
    {
        "age": pa.Column(int, pa.Check.in_range(0, 120)),
        "country": pa.Column(str, pa.Check.isin(["FR", "DE", "US"])),
        "income": pa.Column(float, pa.Check.ge(0), nullable=True),
    }
)


@pytest.fixture
def serving() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, 200),
            "country": rng.choice(["FR", "DE", "US"], 200),
            "income": rng.uniform(0, 1e5, 200),
        }
    )


def test_clean_serving_sample_passes(serving: pd.DataFrame, tmp_path: Path) -> None:
    result = run_builtin("monitor.2", {"schema": SCHEMA, "serving_data": serving})
    assert result.status is Status.PASS, result.message
    assert "all 200 serving rows validate" in result.message
    path = tmp_path / "serving.jsonl"
    serving.to_json(path, orient="records", lines=True)
    from_file = run_builtin("monitor.2", {"schema": SCHEMA, "serving_data": path})
    assert from_file.status is Status.PASS, from_file.message


def test_schema_violating_rows_fail_per_column(serving: pd.DataFrame) -> None:
    bad = serving.copy()
    bad.loc[:9, "age"] = 250  # 5% of rows
    bad.loc[:1, "country"] = "XX"  # 1%: within the default 1% threshold
    result = run_builtin("monitor.2", {"schema": SCHEMA, "serving_data": bad})
    assert result.status is Status.FAIL, result.message
    assert "'age' 5.0%" in result.message
    assert result.evidence["failure_rate_by_column"]["age"] == pytest.approx(0.05)
    assert "XX" not in str(result.evidence)  # failing values are never reported
    relaxed = run_builtin(
        "monitor.2", {"schema": SCHEMA, "serving_data": bad}, thresholds={"max_failure_rate": 0.1}
    )
    assert relaxed.status is Status.WARN and "within" in relaxed.message


def test_missing_column_fails(serving: pd.DataFrame) -> None:
    result = run_builtin(
        "monitor.2", {"schema": SCHEMA, "serving_data": serving.drop(columns=["country"])}
    )
    assert result.status is Status.FAIL, result.message
    assert "country" in str(result.evidence)


def test_missing_or_corrupt_files_are_clear_errors(tmp_path: Path) -> None:
    missing = run_builtin("monitor.2", {"schema": SCHEMA, "serving_data": tmp_path / "no.csv"})
    assert missing.status is Status.ERROR and "no.csv does not exist" in missing.message
    corrupt = tmp_path / "log.parquet"
    corrupt.write_bytes(b"definitely not parquet")
    result = run_builtin("monitor.2", {"schema": SCHEMA, "serving_data": corrupt})
    assert result.status is Status.ERROR and "cannot read" in result.message
    assert str(corrupt) in result.message
    assert run_builtin("monitor.2", {"schema": SCHEMA}).status is Status.NOT_AUTOMATED


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".json", ".jsonl"])
def test_serving_log_files_in_every_table_format(
    serving: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    bad = serving.copy()
    bad.loc[:9, "age"] = 250  # 5% of rows
    path = tmp_path / f"serving{suffix}"
    if suffix in (".csv", ".tsv"):
        bad.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    elif suffix == ".parquet":
        bad.to_parquet(path)
    else:
        bad.to_json(path, orient="records", lines=suffix == ".jsonl")
    result = run_builtin("monitor.2", {"schema": SCHEMA, "serving_data": path})
    assert result.status is Status.FAIL, result.message
    assert "'age' 5.0%" in result.message
