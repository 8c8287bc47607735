"""mltestscore.inputs.tables: one reader, one (X, y) split for every form a team has."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mltestscore.inputs.tables import (
    MissingTableFile,
    NotTabular,
    as_frame,
    head,
    read_table,
    row_count,
    split_features,
    split_with_frame,
    tabular,
)

FRAME = pd.DataFrame({"age": [20, 40, 60], "country": ["a", "b", "a"], "label": [0, 1, 0]})


def _write(path: Path) -> Path:
    suffix = path.suffix
    if suffix == ".csv":
        FRAME.to_csv(path, index=False)
    elif suffix == ".tsv":
        FRAME.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        FRAME.to_parquet(path)
    elif suffix == ".json":
        path.write_text(json.dumps(FRAME.to_dict(orient="records")))
    else:  # .jsonl / .ndjson
        path.write_text("\n".join(json.dumps(r) for r in FRAME.to_dict(orient="records")))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".json", ".jsonl", ".ndjson"])
def test_each_file_format_reads_the_same_table(tmp_path: Path, suffix: str) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    frame = read_table(_write(tmp_path / f"data{suffix}"), "eval_data")
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


def test_a_json_file_of_columns_reads_too(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    path.write_text(json.dumps(FRAME.to_dict(orient="list")))
    assert list(read_table(path).columns) == ["age", "country", "label"]


def test_a_missing_file_names_the_input_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(MissingTableFile, match=r"metric_log: file .*nope\.parquet does not exist"):
        read_table(missing, "metric_log")
    with pytest.raises(FileNotFoundError):  # both kinds, as callers caught either
        read_table(missing, "metric_log")
    with pytest.raises(ValueError):
        read_table(missing, "metric_log")


def test_unreadable_and_unknown_files_name_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_text("not parquet")
    with pytest.raises(ValueError, match=r"serving_log: cannot read .*broken\.parquet"):
        read_table(bad, "serving_log")
    odd = tmp_path / "data.xlsx"
    odd.write_text("x")
    with pytest.raises(ValueError, match=r"unknown extension '\.xlsx'"):
        read_table(odd, "serving_log")


def test_as_frame_accepts_records_columns_and_polars() -> None:
    records = [{"version": 1, "metric": 0.5}, {"version": 2, "metric": 0.6}]
    assert as_frame(records, "t").shape == (2, 2)
    assert as_frame({"version": [1, 2], "metric": [0.5, 0.6]}, "t").shape == (2, 2)
    pl = pytest.importorskip("polars")
    converted = as_frame(pl.DataFrame({"version": [1, 2]}), "t")
    assert isinstance(converted, pd.DataFrame) and converted["version"].tolist() == [1, 2]


def test_as_frame_checks_required_columns_and_emptiness() -> None:
    with pytest.raises(ValueError, match="metric_log has no column\\(s\\) 'online'"):
        as_frame({"offline": [1.0]}, "metric_log", required=("offline", "online"))
    with pytest.raises(ValueError, match="metric_log is empty"):
        as_frame(pd.DataFrame({"a": []}), "metric_log")
    with pytest.raises(TypeError, match="metric_log: expected a pandas DataFrame"):
        as_frame(42, "metric_log")


def test_split_a_dataframe_with_its_target() -> None:
    X, y = split_features(FRAME, "label", "eval_data")
    assert list(X.columns) == ["age", "country"] and y.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="name its label column with ml_target"):
        split_features(FRAME, None, "eval_data")
    with pytest.raises(ValueError, match="eval_data has no target column 'nope'"):
        split_features(FRAME, "nope", "eval_data")


def test_split_a_table_path_and_a_polars_frame(tmp_path: Path) -> None:
    X, y = split_features(_write(tmp_path / "eval.csv"), "label", "eval_data")
    assert X.shape == (3, 2) and y.tolist() == [0, 1, 0]
    pl = pytest.importorskip("polars")
    X, y = split_features(pl.from_pandas(FRAME), "label", "eval_data")
    assert isinstance(X, pd.DataFrame) and y.tolist() == [0, 1, 0]


def test_split_an_xy_pair_keeps_x_and_flattens_a_column_of_labels() -> None:
    features = np.ones((4, 2))
    X, y = split_features((features, np.zeros((4, 1))), None, "eval_data")
    assert X is features and y.shape == (4,)
    with pytest.raises(ValueError, match="eval_data: X has 4 rows but y has 3"):
        split_features((features, np.zeros(3)), None, "eval_data")


def test_split_a_torch_dataset_of_pairs() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import Dataset, TensorDataset

    class Pairs(Dataset):  # type: ignore[type-arg]
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int) -> tuple[object, object]:
            return torch.full((3,), float(i)), torch.tensor(i % 2)

    X, y = split_features(Pairs(), None, "eval_data")
    assert tuple(X.shape) == (5, 3) and y.tolist() == [0, 1, 0, 1, 0]
    X, y = split_features(Pairs(), None, "eval_data", limit=2)
    assert tuple(X.shape) == (2, 3)
    X, y = split_features(TensorDataset(torch.ones(3, 2), torch.zeros(3)), None, "eval_data")
    assert tuple(X.shape) == (3, 2) and y.shape == (3,)


def test_split_with_frame_gives_slice_predicates_the_whole_frame() -> None:
    X, _, frame = split_with_frame(FRAME, "label")
    assert frame is FRAME and "label" not in X.columns
    features = np.ones((3, 2))
    assert split_with_frame((features, [0, 1, 0]))[2] is features


def test_tabular_requires_rows_by_features() -> None:
    data = tabular((np.ones((3, 2)), [0, 1, 0]), None, "eval_data", ["a", "b"])
    assert data.feature_names == ("a", "b") and data.rows == 3
    with pytest.raises(NotTabular, match="features must be tabular"):
        tabular((np.ones((3, 2, 2)), [0, 1, 0]), None, "eval_data")
    with pytest.raises(ValueError, match="target has 1 missing"):
        tabular((np.ones((2, 2)), [0.0, np.nan]), None, "eval_data")


def test_head_and_row_count() -> None:
    assert head(FRAME, 2).shape == (2, 3)
    assert head((np.ones((5, 2)), np.zeros(5)), 2)[1].shape == (2,)
    assert head(42, 2) == 42  # nothing to slice
    assert row_count(FRAME) == 3 and row_count({"ids": np.ones((7, 2))}) == 7
    with pytest.raises(TypeError, match="raw_data: expected rows"):
        row_count(42, "raw_data")
