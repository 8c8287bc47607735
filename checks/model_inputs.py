"""Turning the forms a team has into what the model checks compute on.

- :func:`load_table` — DataFrame, CSV/JSON/JSONL path, list of dicts or dict of lists
  → DataFrame (the model.2/3/4 tables).
- :func:`split_xy` — ``train_data``/``eval_data`` (DataFrame + ``target``, ``(X, y)``
  arrays/tensors, or a torch ``Dataset`` of ``(x, y)`` pairs) → features and labels.
- :func:`predict` — an sklearn-style estimator (``predict``), a ``torch.nn.Module``
  (argmax over classes for 2-D outputs) or a plain callable → a 1-D numpy array.
- :func:`default_metric` — accuracy for classification targets, R² otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.metrics import Metric, as_metric

MAX_CLASSES = 50  # integer targets with at most this many values are treated as classes


def load_table(value: object, name: str, required: Sequence[str] = ()) -> pd.DataFrame:
    """A table as a DataFrame; ``required`` columns must be present."""
    if isinstance(value, pd.DataFrame):
        frame = value.copy()
    elif isinstance(value, str | Path):
        frame = _read_table_file(Path(value), name)
    elif isinstance(value, Mapping):
        frame = pd.DataFrame(dict(value))
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if not all(isinstance(row, Mapping) for row in value):
            raise TypeError(f"{name}: a list input must hold one dict per row")
        frame = pd.DataFrame([dict(row) for row in value])
    else:
        raise TypeError(
            f"{name}: expected a DataFrame, a CSV/JSON path, a list of dicts or a dict of "
            f"lists, got {type(value).__name__}"
        )
    if frame.empty:
        raise ValueError(f"{name} is empty (no rows)")
    frame.columns = [str(c) for c in frame.columns]
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise ValueError(
            f"{name} has no column(s) {', '.join(map(repr, absent))}; "
            f"it has {', '.join(map(repr, frame.columns))}"
        )
    return frame


def _read_table_file(path: Path, name: str) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{name}: file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return pd.DataFrame(data)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc}") from None
    raise ValueError(f"{name}: {path} is not a .csv, .json or .jsonl file")


def to_numpy(value: object) -> npt.NDArray[Any]:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return np.asarray(value.detach().cpu().numpy())
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.to_numpy()
    return np.asarray(value)


def split_xy(data: object, target: str | None, name: str) -> tuple[Any, npt.NDArray[Any]]:
    """Features (DataFrame or array, as given) and labels (1-D numpy array)."""
    if isinstance(data, pd.DataFrame):
        if target is None:
            raise ValueError(f"{name} is a DataFrame: name its label column with ml_target")
        if target not in data.columns:
            raise ValueError(f"{name} has no target column {target!r}")
        if data.empty:
            raise ValueError(f"{name} is empty (no rows)")
        return data.drop(columns=[target]), data[target].to_numpy()
    if isinstance(data, tuple | list) and len(data) == 2:
        features, labels = data
        y = to_numpy(labels)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        n = len(features)
        if n != len(y):
            raise ValueError(f"{name}: X has {n} rows but y has {len(y)}")
        if n == 0:
            raise ValueError(f"{name} is empty (no rows)")
        return features, y
    if hasattr(data, "__getitem__") and hasattr(data, "__len__"):
        return _from_dataset(data, name)
    raise TypeError(
        f"{name}: expected a DataFrame (with ml_target), an (X, y) pair or a torch Dataset "
        f"of (x, y) pairs, got {type(data).__name__}"
    )


def _from_dataset(dataset: Any, name: str) -> tuple[Any, npt.NDArray[Any]]:
    n = len(dataset)
    if n == 0:
        raise ValueError(f"{name} is empty (no items)")
    first = dataset[0]
    if not (isinstance(first, tuple | list) and len(first) == 2):
        raise TypeError(f"{name}: dataset items must be (x, y) pairs")
    xs = [to_numpy(dataset[i][0]) for i in range(n)]
    ys = [to_numpy(dataset[i][1]) for i in range(n)]
    return np.stack(xs), np.stack(ys).reshape(n, -1).squeeze(-1)


def predict(model: object, features: Any, name: str = "model") -> npt.NDArray[Any]:
    """Predictions of ``model`` on ``features`` as a 1-D numpy array."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return _torch_predict(torch, model, features)
    if hasattr(model, "predict"):
        out = model.predict(features)
    elif callable(model):
        out = model(features)
    else:
        raise TypeError(
            f"{name}: expected an estimator with .predict, a torch.nn.Module or a callable, "
            f"got {type(model).__name__}"
        )
    arr = to_numpy(out)
    if arr.ndim == 2 and arr.shape[1] > 1:
        arr = arr.argmax(axis=1)
    return arr.reshape(len(arr), -1).squeeze(-1) if arr.ndim > 1 else arr


def _torch_predict(torch: Any, model: Any, features: Any) -> npt.NDArray[Any]:
    x = features
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(to_numpy(x).astype(np.float32))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        model.train(was_training)
    arr = to_numpy(out)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return np.asarray(arr.argmax(axis=1))
    return arr.reshape(-1)


def is_classification(y: npt.NDArray[Any]) -> bool:
    """Labels look like classes: non-float, or integer-valued with few distinct values."""
    if y.dtype.kind in "biuOUSb" or isinstance(y.dtype, pd.CategoricalDtype):
        return y.dtype.kind not in "iu" or len(np.unique(y)) <= MAX_CLASSES
    if y.dtype.kind == "f":
        finite = y[np.isfinite(y)]
        return bool(np.all(finite == np.round(finite))) and len(np.unique(finite)) <= MAX_CLASSES
    return False


def default_metric(metric: object, y: npt.NDArray[Any]) -> Metric:
    """The given metric, else accuracy (classification) or R² (regression)."""
    if metric is not None:
        return as_metric(metric)
    if is_classification(y):
        return Metric("accuracy", lambda t, p: float(np.mean(np.asarray(t) == np.asarray(p))))
    from sklearn.metrics import r2_score

    return Metric("r2", lambda t, p: float(r2_score(t, p)))


def num_rows(features: Any) -> int:
    return int(features.shape[0]) if hasattr(features, "shape") else len(features)
