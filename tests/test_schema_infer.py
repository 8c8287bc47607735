"""Drafting schemas from training data: `mltestscore schema infer`."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from sklearn.datasets import load_digits, load_iris

from mltestscore.schema import TensorSchema, validate
from mltestscore.schema.infer import (
    infer_schema,
    infer_tensor_schema,
    to_pandera,
    to_python,
)
from mltestscore.schema.infer_cli import add_subcommands


@pytest.fixture(scope="module")
def flowers() -> pd.DataFrame:
    iris = load_iris(as_frame=True)
    frame = iris.frame.copy()
    frame["species"] = iris.target_names[iris.target]  # low-cardinality text
    frame["sample_id"] = [f"s{i:04d}" for i in range(len(frame))]  # unique text
    frame.loc[::10, "petal width (cm)"] = np.nan
    return frame


def _exec_schema(source: str) -> pa.DataFrameSchema:
    namespace: dict[str, object] = {}
    exec(compile(source, "<draft>", "exec"), namespace)
    schema = namespace["schema"]
    assert isinstance(schema, pa.DataFrameSchema)
    return schema


def test_inferred_columns_carry_types_ranges_nullability_and_categories(flowers) -> None:
    columns = {c.name: c for c in infer_schema(flowers, target="target", unique=True)}
    length = columns["sepal length (cm)"]
    assert length.dtype == "float64" and not length.nullable
    observed = flowers["sepal length (cm)"]
    span = observed.max() - observed.min()
    assert length.min_value <= observed.min() - 0.09 * span
    assert observed.max() + 0.09 * span <= length.max_value <= observed.max() + 0.2 * span
    assert columns["petal width (cm)"].nullable
    assert columns["petal width (cm)"].min_value == 0.0  # non-negative stays non-negative
    assert columns["species"].categories == ("setosa", "versicolor", "virginica")
    assert columns["target"].categories == (0, 1, 2) and columns["target"].is_target
    assert columns["sample_id"].categories is None and columns["sample_id"].unique
    assert columns["sample_id"].str_length == (4, 6)


def test_python_draft_validates_its_training_data_and_catches_violations(flowers) -> None:
    source = to_python(infer_schema(flowers, target="target"), source="iris.csv", rows=150)
    assert source.startswith('"""Draft pandera schema') and "Review every line" in source
    schema = _exec_schema(source)
    assert validate(schema, flowers).valid
    bad = flowers.copy()
    bad.loc[0, "sepal length (cm)"] = 40.0
    bad.loc[1, "species"] = "rose"
    bad.loc[2, "sepal width (cm)"] = np.nan
    report = validate(schema, bad)
    assert set(report.failure_rate_by_column) == {
        "sepal length (cm)",
        "species",
        "sepal width (cm)",
    }


def test_target_column_is_optional_so_serving_inputs_validate(flowers) -> None:
    schema = to_pandera(infer_schema(flowers, target="target"))
    assert validate(schema, flowers.drop(columns=["target"])).valid
    assert not validate(to_pandera(infer_schema(flowers)), flowers.drop(columns=["target"])).valid


def test_python_source_and_object_agree(flowers) -> None:
    columns = infer_schema(flowers, target="target")
    from_source = _exec_schema(to_python(columns))
    assert from_source.to_json() == to_pandera(columns).to_json()


def test_bad_inputs(flowers) -> None:
    with pytest.raises(ValueError, match="non-empty DataFrame"):
        infer_schema(flowers.iloc[:0])
    with pytest.raises(ValueError, match="not a column"):
        infer_schema(flowers, target="label")


def test_tensor_schema_inference_for_digits_and_text_lines() -> None:
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    schema = infer_tensor_schema(images, digits.target)
    assert schema == TensorSchema((1, 8, 8), "float32", 0.0, 1.0, tuple("0123456789"))
    lines = np.zeros((3, 1, 8, 24), dtype=np.uint8)
    line_schema = infer_tensor_schema(lines, ["12", "907", "3"], free_dims=(2,))
    assert line_schema.shape == (1, 8, None) and line_schema.label_sequences
    assert line_schema.labels == ("0", "1", "2", "3", "7", "9")
    assert (line_schema.min_value, line_schema.max_value) == (0.0, 1.0)


# --- the CLI ------------------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mltestscore")
    add_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_writes_a_reviewable_python_draft(tmp_path, flowers) -> None:
    data = tmp_path / "train.csv"
    flowers.to_csv(data, index=False)
    out = tmp_path / "schema.py"
    assert _cli(["schema", "infer", str(data), "-o", str(out), "--target", "target"]) == 0
    schema = _exec_schema(out.read_text(encoding="utf-8"))
    assert validate(schema, pd.read_csv(data)).valid


def test_cli_prints_pandera_json_for_parquet_and_jsonl(tmp_path, flowers, capsys) -> None:
    pytest.importorskip("pyarrow")
    for path in (tmp_path / "train.parquet", tmp_path / "train.jsonl"):
        if path.suffix == ".parquet":
            flowers.to_parquet(path)
        else:
            flowers.to_json(path, orient="records", lines=True)
        assert _cli(["schema", "infer", str(path), "--format", "json"]) == 0
        schema = pa.DataFrameSchema.from_json(capsys.readouterr().out)
        assert set(schema.columns) == set(flowers.columns)


def test_cli_infers_a_tensor_schema_from_npz(tmp_path, capsys) -> None:
    digits = load_digits()
    path = tmp_path / "digits.npz"
    np.savez(path, x=(digits.images / 16.0).astype(np.float32)[:, None], y=digits.target)
    assert _cli(["schema", "infer", str(path)]) == 0
    namespace: dict[str, object] = {}
    exec(capsys.readouterr().out, namespace)
    assert namespace["schema"] == TensorSchema((1, 8, 8), "float32", 0.0, 1.0, tuple("0123456789"))


def test_cli_reports_bad_data_paths_without_a_traceback(tmp_path, capsys) -> None:
    assert _cli(["schema", "infer", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert "missing.csv does not exist" in err and "Traceback" not in err
    (tmp_path / "data.txt").write_text("a,b\n1,2\n", encoding="utf-8")
    assert _cli(["schema", "infer", str(tmp_path / "data.txt")]) == 2
    assert "unknown extension" in capsys.readouterr().err


def test_cli_rejects_a_bad_margin(capsys) -> None:
    with pytest.raises(SystemExit):
        _cli(["schema", "infer", "x.csv", "--margin", "lots"])
    assert "'lots'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _cli(["schema", "infer", "x.csv", "--max-categories", "-3"])
    assert "'-3'" in capsys.readouterr().err


def test_json_output_is_valid_json(flowers) -> None:
    text = to_pandera(infer_schema(flowers)).to_json()
    assert json.loads(text)["schema_type"] == "dataframe"
