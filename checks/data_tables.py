"""Turning the data forms a team has into the tables and arrays the data checks read.

Accepted forms (see ``docs/inputs.md``): a pandas ``DataFrame`` with a target
column, a path to a CSV/TSV/Parquet/JSON Lines file, an ``(X, y)`` pair of
arrays / tensors / DataFrames, or a map-style ``torch.utils.data.Dataset`` of
``(x, y)`` items. Bad input raises ``TypeError``/``ValueError`` naming the input.
Nothing here imports torch: tensors are recognised by duck typing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Shared with the array helpers; re-exported for the data checks.
from mltestscore.checks.infra_arrays import is_tensor as is_tensor
from mltestscore.checks.infra_arrays import is_torch_module as is_torch_module

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")


def to_array(value: Any, what: str) -> np.ndarray:
    """``value`` (tensor, array, Series, list) as a numpy array; a clear error otherwise."""
    if is_tensor(value):
        tensor = value.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()
        return np.asarray(tensor.numpy())
    if isinstance(value, (pd.Series, pd.DataFrame)):
        return value.to_numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what}: expected an array, tensor or list, got {type(value).__name__} ({exc})"
        ) from exc


def read_table(path: str | Path, what: str = "data") -> pd.DataFrame:
    """Read a CSV/TSV, Parquet or JSON(L) file; errors name ``what`` and ``path``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"{what}: {path} has an unknown extension {suffix!r}; "
            f"expected one of {', '.join(TABLE_SUFFIXES)}"
        )
    if not path.is_file():
        raise ValueError(f"{what}: file {path} does not exist")
    if path.stat().st_size == 0:
        raise ValueError(f"{what}: file {path} is empty")
    try:
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        lines = suffix in (".jsonl", ".ndjson")
        return pd.read_json(path, lines=lines, orient=None if lines else "records")
    except ImportError as exc:
        raise ValueError(f"{what}: reading {path} needs an optional package ({exc})") from exc
    except Exception as exc:  # parser errors differ per format and engine
        first = (str(exc).splitlines() or [""])[0]
        raise ValueError(
            f"{what}: cannot read {path} as {suffix[1:]} ({type(exc).__name__}: {first[:200]})"
        ) from exc


def as_frame(data: Any, what: str) -> pd.DataFrame:
    """``data`` as a non-empty DataFrame: a DataFrame or a path to a table file."""
    if isinstance(data, (str, Path)):
        data = read_table(data, what)
    if not isinstance(data, pd.DataFrame):
        from mltestscore.checks.engines import engine_of

        engine = engine_of(data)
        hint = (
            f" ({engine} data: the drift statistics, schema checks and PII scan read it on its "
            "own engine — pass it to stats.compare / schema.validate / data.5 directly)"
            if engine not in (None, "pandas")
            else ""
        )
        raise TypeError(
            f"{what}: expected a pandas DataFrame or a path to a CSV/Parquet/JSONL file, "
            f"got {type(data).__module__.split('.')[0]}.{type(data).__name__}{hint}"
        )
    if len(data) == 0 or data.shape[1] == 0:
        raise ValueError(f"{what} is empty ({data.shape[0]} rows × {data.shape[1]} columns)")
    return data


class NotTabular(ValueError):
    """The features are not one row per example × one column per feature (e.g. images)."""


@dataclass(frozen=True)
class Tabular:
    """Features and target split out of an input.

    ``X`` is a DataFrame when the input was one (column names kept for models
    fitted on DataFrames) and a 2-D float-or-object numpy array otherwise.
    """

    X: pd.DataFrame | np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]

    @property
    def rows(self) -> int:
        return len(self.y)


def _pair(data: Any, what: str) -> tuple[Any, Any] | None:
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    tensors = getattr(data, "tensors", None)  # torch TensorDataset
    if isinstance(tensors, tuple) and len(tensors) == 2:
        return tensors[0], tensors[1]
    if (
        hasattr(data, "__getitem__")
        and hasattr(data, "__len__")
        and not isinstance(data, (str, bytes, np.ndarray, pd.DataFrame))
    ):
        n = len(data)
        if n == 0:
            raise ValueError(f"{what} is an empty dataset")
        items = [data[i] for i in range(n)]
        if not all(isinstance(item, (tuple, list)) and len(item) == 2 for item in items):
            raise TypeError(f"{what}: dataset items must be (x, y) pairs")
        xs = np.stack([to_array(item[0], f"{what}[i][0]") for item in items])
        ys = np.asarray([to_array(item[1], f"{what}[i][1]") for item in items])
        return xs, ys
    return None


def split_features(
    data: Any, target: str | None, what: str, feature_names: Sequence[str] | None = None
) -> Tabular:
    """Split ``data`` into features ``X`` and target ``y``.

    A DataFrame (or table path) needs ``target`` naming its target column; an
    ``(X, y)`` pair or a dataset of ``(x, y)`` items does not. ``X`` must be
    tabular: one row per example, one column per feature.
    """
    if isinstance(data, (str, Path)):
        data = read_table(data, what)
    if isinstance(data, pd.DataFrame):
        if target is None:
            raise ValueError(
                f"{what} is a DataFrame: define ml_target (the name of its target column) "
                "or pass (X, y)"
            )
        if target not in data.columns:
            shown = ", ".join(map(str, list(data.columns)[:20]))
            raise ValueError(f"{what}: target column {target!r} not found; columns: {shown}")
        X: pd.DataFrame | np.ndarray = data.drop(columns=[target])
        y = data[target].to_numpy()
    else:
        pair = _pair(data, what)
        if pair is None:
            raise TypeError(
                f"{what}: expected a DataFrame with a target column, a table path, an (X, y) "
                f"pair or a dataset of (x, y) items; got {type(data).__name__}"
            )
        X = pair[0] if isinstance(pair[0], pd.DataFrame) else to_array(pair[0], f"{what} X")
        y = to_array(pair[1], f"{what} y")
    if len(y) == 0:
        raise ValueError(f"{what} is empty (0 rows)")
    if isinstance(X, np.ndarray) and X.ndim != 2:
        raise NotTabular(f"{what}: features must be tabular (rows × features), got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"{what}: {len(X)} feature rows but {len(y)} targets")
    if y.ndim > 1 and tuple(y.shape[1:]) != (1,):
        raise ValueError(f"{what}: target must be one value per row, got shape {y.shape}")
    y = y.reshape(len(y))
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
    """The first ``rows`` rows of a DataFrame, array, tensor or sequence."""
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[:rows]
    try:
        return data[:rows]
    except (TypeError, KeyError):
        return data


def row_count(data: Any, what: str) -> int:
    """``len(data)``, or a clear error when ``data`` has no length."""
    try:
        return len(data)
    except TypeError as exc:
        raise TypeError(
            f"{what}: expected rows (a DataFrame, array or sequence), got {type(data).__name__}"
        ) from exc
