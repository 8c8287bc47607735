"""Tables and ``(X, y)``: reading files, splitting features from labels, counting rows.

Accepted forms (see ``docs/inputs.md``): a pandas ``DataFrame`` with a target column,
a path to a CSV/TSV/Parquet/JSON/JSON Lines file, a mapping of columns or a list of
records, an eager polars ``DataFrame``, an ``(X, y)`` pair of arrays / tensors /
DataFrames, or a map-style ``torch.utils.data.Dataset`` of ``(x, y)`` items. Bad input
raises ``TypeError``/``ValueError`` naming the input (and the file). Nothing here
imports torch, pyarrow or polars at module level.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.inputs.arrays import Array, is_tensor, to_numpy

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")
_ENGINES = {"pyspark": "spark", "polars": "polars-lazy", "pyarrow": "arrow", "dask": "dask"}


class MissingTableFile(FileNotFoundError, ValueError):
    """A table path that does not exist (both a ``FileNotFoundError`` and a ``ValueError``)."""


def read_table(path: str | Path, what: str = "data") -> pd.DataFrame:
    """Read a CSV/TSV, Parquet, JSON or JSON Lines file; errors name ``what`` and ``path``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise MissingTableFile(f"{what}: file {path} does not exist")
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"{what}: {path} has an unknown extension {suffix!r}; "
            f"expected one of {', '.join(TABLE_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{what}: file {path} is empty")
    try:
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".jsonl", ".ndjson"):
            # dtype=False: 0.0/1.0 stay floats (pandas would make them int64,
            # unlike the same rows in CSV, Parquet or JSON records).
            return pd.read_json(path, lines=True, dtype=False)
        return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))  # records or columns
    except ImportError as exc:
        raise ValueError(f"{what}: reading {path} needs an optional package ({exc})") from exc
    except Exception as exc:  # parser errors differ per format and engine
        first = (str(exc).splitlines() or [""])[0]
        raise ValueError(
            f"{what}: cannot read {path} as {suffix[1:]} ({type(exc).__name__}: {first[:200]})"
        ) from exc


def as_frame(data: object, what: str = "data", required: Sequence[str] = ()) -> pd.DataFrame:
    """``data`` as a non-empty DataFrame holding the ``required`` columns.

    A DataFrame is returned as is; a path is read with :func:`read_table`; a mapping of
    columns, a list of records and an eager polars frame are converted.
    """
    frame: Any = data
    if isinstance(data, (str, Path)):
        frame = read_table(data, what)
    elif isinstance(data, Mapping):
        frame = pd.DataFrame(dict(data))
    elif isinstance(data, (list, tuple)) and data and all(isinstance(r, Mapping) for r in data):
        frame = pd.DataFrame([dict(row) for row in data])
    elif type(data).__module__.startswith("polars") and type(data).__name__ == "DataFrame":
        frame = data.to_pandas()  # type: ignore[attr-defined]
    if not isinstance(frame, pd.DataFrame):
        root = type(data).__module__.split(".")[0]
        hint = (
            f" ({_ENGINES[root]} data: the drift statistics, schema checks and PII scan read it "
            "on its own engine — pass it to stats.compare / schema.validate / data.5 directly)"
            if root in _ENGINES
            else ""
        )
        raise TypeError(
            f"{what}: expected a pandas DataFrame, a path to a CSV/Parquet/JSONL file, a list "
            f"of dicts or a dict of lists, got {root}.{type(data).__name__}{hint}"
        )
    if len(frame) == 0 or frame.shape[1] == 0:
        raise ValueError(f"{what} is empty ({frame.shape[0]} rows × {frame.shape[1]} columns)")
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise ValueError(
            f"{what} has no column(s) {', '.join(map(repr, absent))}; "
            f"it has {', '.join(map(repr, map(str, frame.columns)))}"
        )
    return frame


def _pair(data: object) -> tuple[Any, Any] | None:
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    tensors = getattr(data, "tensors", None)  # torch TensorDataset
    if isinstance(tensors, tuple) and len(tensors) == 2:
        return tensors[0], tensors[1]
    return None


def _is_dataset(data: object) -> bool:
    return (
        hasattr(data, "__getitem__")
        and hasattr(data, "__len__")
        and not isinstance(data, (str, bytes, np.ndarray, pd.DataFrame, Mapping))
    )


def _from_dataset(dataset: Any, what: str, limit: int | None) -> tuple[Any, Array]:
    """Stack a dataset's ``(x, y)`` items: a tensor ``X`` for tensor items, else numpy."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    if n == 0:
        raise ValueError(f"{what} is empty (an empty dataset)")
    xs, ys = [], []
    for i in range(n):
        item = dataset[i]
        if not (isinstance(item, (tuple, list)) and len(item) >= 2):
            raise TypeError(
                f"{what}[{i}]: a Dataset must yield (x, y) pairs, got {type(item).__name__}"
            )
        xs.append(item[0])
        ys.append(to_numpy(item[1], f"{what}[{i}] label"))
    if is_tensor(xs[0]):
        import torch

        return torch.stack([x if is_tensor(x) else torch.as_tensor(x) for x in xs]), np.stack(ys)
    return np.stack([to_numpy(x, f"{what} features") for x in xs]), np.stack(ys)


def split_features(
    data: object, target: str | None, what: str = "data", *, limit: int | None = None
) -> tuple[Any, Array]:
    """Features ``X`` and labels ``y`` (numpy) from any accepted form (module docstring).

    A DataFrame (or table path) needs ``target`` naming its label column; ``X`` is
    then the DataFrame without it. An ``(X, y)`` pair keeps ``X`` as given (array,
    tensor, DataFrame); a Dataset of ``(x, y)`` items is stacked (the first ``limit``
    items when given). ``y`` of shape ``(N, 1)`` becomes ``(N,)``.
    """
    if isinstance(data, (str, Path)) or type(data).__module__.startswith("polars"):
        data = as_frame(data, what)
    if isinstance(data, pd.DataFrame):
        if target is None:
            raise ValueError(
                f"{what} is a DataFrame: name its label column with ml_target, or pass (X, y)"
            )
        if target not in data.columns:
            shown = ", ".join(map(str, list(data.columns)[:20]))
            raise ValueError(
                f"{what} has no target column {target!r} (ml_target); columns: {shown}"
            )
        if len(data) == 0:
            raise ValueError(f"{what} is empty (0 rows)")
        return data.drop(columns=[target]), data[target].to_numpy()
    pair = _pair(data)
    if pair is not None:
        features, y = pair[0], to_numpy(pair[1], f"{what} labels")
    elif _is_dataset(data):
        features, y = _from_dataset(data, what, limit)
    else:
        raise TypeError(
            f"{what}: expected a DataFrame (with ml_target), a table path, an (X, y) pair or a "
            f"torch Dataset of (x, y) items, got {type(data).__name__}"
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    rows = row_count(features, f"{what} features") if y.ndim else 0
    if y.ndim == 0 or rows != len(y):
        raise ValueError(f"{what}: X has {rows} rows but y has {y.size if y.ndim else 0}")
    if rows == 0:
        raise ValueError(f"{what} is empty (0 rows)")
    return features, y


def split_with_frame(
    data: object, target: str | None = None, what: str = "eval_data", *, limit: int | None = None
) -> tuple[Any, Array, Any]:
    """``(X, y, frame)``: :func:`split_features` plus what slice predicates receive.

    ``frame`` is the whole DataFrame (target included) when ``data`` is one, else ``X``.
    """
    if isinstance(data, (str, Path)) or type(data).__module__.startswith("polars"):
        data = as_frame(data, what)
    features, y = split_features(data, target, what, limit=limit)
    return features, y, data if isinstance(data, pd.DataFrame) else features


class NotTabular(ValueError):
    """The features are not one row per example × one column per feature (e.g. images)."""


@dataclass(frozen=True)
class Tabular:
    """Features and target of a tabular input.

    ``X`` is a DataFrame when the input was one (column names kept for models
    fitted on DataFrames) and a 2-D numpy array otherwise.
    """

    X: pd.DataFrame | Array
    y: Array
    feature_names: tuple[str, ...]

    @property
    def rows(self) -> int:
        return len(self.y)


def tabular(
    data: object, target: str | None, what: str, feature_names: Sequence[str] | None = None
) -> Tabular:
    """:func:`split_features`, requiring rows × features and one finite label per row."""
    features, y = split_features(data, target, what)
    X = features if isinstance(features, pd.DataFrame) else to_numpy(features, f"{what} X")
    if isinstance(X, np.ndarray) and X.ndim != 2:
        raise NotTabular(f"{what}: features must be tabular (rows × features), got shape {X.shape}")
    if y.ndim > 1:
        raise ValueError(f"{what}: target must be one value per row, got shape {y.shape}")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"{what}: target has {int(np.isnan(y).sum())} missing (NaN) values")
    if isinstance(X, pd.DataFrame):
        names = tuple(str(c) for c in X.columns)
    elif feature_names is not None and len(feature_names) == X.shape[1]:
        names = tuple(str(n) for n in feature_names)
    else:
        names = tuple(f"x{i}" for i in range(X.shape[1]))
    return Tabular(X, y, names)


def head(data: Any, rows: int) -> Any:
    """The first ``rows`` rows of a DataFrame, array, tensor or sequence (tuples/dicts per item).

    Something that cannot be sliced is returned unchanged.
    """
    if isinstance(data, tuple):
        return tuple(head(v, rows) for v in data)
    if isinstance(data, Mapping):
        return {k: head(v, rows) for k, v in data.items()}
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[:rows]
    try:
        return data[:rows]
    except (TypeError, KeyError):
        return data


def row_count(data: Any, what: str = "inputs") -> int:
    """Rows in ``data`` (the first item's rows for tuples and dicts); a clear error if none."""
    if isinstance(data, tuple) and data:
        return row_count(data[0], what)
    if isinstance(data, Mapping) and data:
        return row_count(next(iter(data.values())), what)
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(data)
    except TypeError as exc:
        raise TypeError(
            f"{what}: expected rows (a DataFrame, array or sequence), got {type(data).__name__}"
        ) from exc
