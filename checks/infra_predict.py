"""Calling a model the way a serving system would: torch modules, estimators, callables.

``predict_with(model, inputs, predict_fn)`` is the adapter the infra checks share:
a team's ``predict_fn(model, inputs)`` when given, else

- a ``torch.nn.Module``: eval mode, ``no_grad``, inputs converted to tensors of the
  model's dtype and device; its own ``predict`` method when it defines one (e.g.
  decoded strings), else ``forward`` in chunks, the first output as a numpy array;
- an object with ``predict`` (scikit-learn style): ``model.predict(inputs)``;
- any other callable: ``model(inputs)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import first_output, is_tensor, is_torch_module, to_numpy

PredictFn = Callable[[Any, Any], Any]
CHUNK_ROWS = 1024


def model_device_dtype(model: Any) -> tuple[Any, Any]:
    """The device and floating dtype of ``model``'s first parameter (CPU/float32 if none)."""
    import torch

    for tensor in list(model.parameters()) + list(model.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.float32


def to_model_input(model: Any, value: Any, what: str = "inputs") -> Any:
    """``value`` as the torch module expects it: tensors on its device, floats in its dtype.

    A tuple is several positional inputs, a dict keyword inputs; arrays, DataFrames
    and lists become tensors.
    """
    import torch

    device, dtype = model_device_dtype(model)
    if isinstance(value, tuple):
        return tuple(to_model_input(model, v, what) for v in value)
    if isinstance(value, Mapping):
        return {k: to_model_input(model, v, f"{what}[{k!r}]") for k, v in value.items()}
    if is_tensor(value):
        tensor = value
    else:
        array = to_numpy(value, what)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"{what}: a torch model needs numeric inputs, got an array of dtype {array.dtype}"
            )
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.is_floating_point():
        tensor = tensor.to(dtype)
    return tensor.to(device)


def call_model(model: Any, inputs: Any) -> Any:
    """``model(*inputs)`` for a tuple, ``model(**inputs)`` for a dict, else ``model(inputs)``."""
    if isinstance(inputs, tuple):
        return model(*inputs)
    if isinstance(inputs, Mapping):
        return model(**inputs)
    return model(inputs)


def _rows(inputs: Any) -> int | None:
    if isinstance(inputs, (tuple, Mapping)):
        return None
    try:
        return len(inputs)
    except TypeError:
        return None


def torch_forward(model: Any, inputs: Any, *, chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
    """Eval-mode, no-grad forward of ``inputs`` through a torch module, as numpy."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            converted = to_model_input(model, inputs)
            rows = _rows(converted)
            if rows is None or rows <= chunk_rows:
                single: np.ndarray = to_numpy(first_output(call_model(model, converted)), "output")
                return single
            parts = [
                to_numpy(first_output(model(converted[i : i + chunk_rows])), "model output")
                for i in range(0, rows, chunk_rows)
            ]
            return np.concatenate(parts, axis=0)
    finally:
        model.train(was_training)


def torch_predict_method(model: Any, inputs: Any) -> np.ndarray:
    """A torch module's own ``predict`` (e.g. decoded strings), in eval mode, no grad."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            result: np.ndarray = to_numpy(
                model.predict(to_model_input(model, inputs)), "model.predict output"
            )
            return result
    finally:
        model.train(was_training)


def default_predict(model: Any, inputs: Any) -> np.ndarray:
    """Predictions of ``model`` on ``inputs`` (see the module docstring)."""
    if is_torch_module(model):
        if callable(getattr(model, "predict", None)):
            return torch_predict_method(model, inputs)
        return torch_forward(model, inputs)
    result: np.ndarray
    if hasattr(model, "predict") and callable(model.predict):
        result = to_numpy(model.predict(inputs), "model.predict output")
        return result
    if callable(model):
        result = to_numpy(first_output(model(inputs)), "model output")
        return result
    raise TypeError(
        f"model: expected a torch.nn.Module, an estimator with predict() or a callable, "
        f"got {type(model).__name__}; or pass a predict_fn(model, inputs)"
    )


def predict_with(model: Any, inputs: Any, predict_fn: PredictFn | None = None) -> np.ndarray:
    """Predictions through the team's ``predict_fn`` when given, else :func:`default_predict`."""
    if predict_fn is None:
        return default_predict(model, inputs)
    if not callable(predict_fn):
        raise TypeError(f"predict_fn: expected a callable(model, inputs), got {predict_fn!r}")
    result: np.ndarray = to_numpy(first_output(predict_fn(model, inputs)), "predict_fn output")
    return result


def split_eval_data(
    eval_data: Any, target: str | None = None, *, limit: int | None = None
) -> tuple[Any, np.ndarray, Any]:
    """``(X, y, frame)`` from a DataFrame + target, an ``(X, y)`` pair or a torch Dataset.

    ``frame`` is what slice predicates receive: the whole DataFrame (target
    included) when ``eval_data`` is one, else ``X``. ``limit`` caps how many items
    of a Dataset are read (arrays and frames are returned whole).
    """
    if hasattr(eval_data, "columns") and hasattr(eval_data, "drop"):
        if target is None:
            raise ValueError(
                "eval_data is a DataFrame: define the ml_target fixture naming its target column"
            )
        if target not in eval_data.columns:
            raise ValueError(
                f"eval_data has no target column {target!r} (ml_target); "
                f"columns: {list(eval_data.columns)[:20]}"
            )
        if len(eval_data) == 0:
            raise ValueError("eval_data is empty (0 rows)")
        return eval_data.drop(columns=[target]), to_numpy(eval_data[target]), eval_data
    if isinstance(eval_data, Sequence) and not isinstance(eval_data, str) and len(eval_data) == 2:
        features, labels = eval_data
        y = to_numpy(labels, "eval_data labels")
        n = _rows(features)
        if n is not None and n != len(y):
            raise ValueError(f"eval_data: X has {n} rows but y has {len(y)}")
        if len(y) == 0:
            raise ValueError("eval_data is empty (0 rows)")
        return features, y, features
    if hasattr(eval_data, "__getitem__") and hasattr(eval_data, "__len__"):
        return _split_dataset(eval_data, limit)
    raise TypeError(
        "eval_data: expected a DataFrame (with ml_target), an (X, y) pair or a torch Dataset "
        f"of (x, y) items, got {type(eval_data).__name__}"
    )


def _split_dataset(dataset: Any, limit: int | None) -> tuple[Any, np.ndarray, Any]:
    import torch

    if len(dataset) == 0:
        raise ValueError("eval_data is an empty Dataset")
    xs, ys = [], []
    for i in range(len(dataset) if limit is None else min(limit, len(dataset))):
        item = dataset[i]
        if not (isinstance(item, (tuple, list)) and len(item) >= 2):
            raise TypeError(
                f"eval_data[{i}]: a Dataset must yield (x, y) pairs, got {type(item).__name__}"
            )
        xs.append(item[0] if is_tensor(item[0]) else torch.as_tensor(np.asarray(item[0])))
        ys.append(to_numpy(item[1], "eval_data label"))
    features = torch.stack(xs)
    return features, np.stack(ys), features


def take_rows(inputs: Any, rows: int) -> Any:
    """The first ``rows`` rows of an array-like, DataFrame or tensor (tuples element-wise)."""
    if isinstance(inputs, tuple):
        return tuple(take_rows(v, rows) for v in inputs)
    if isinstance(inputs, Mapping):
        return {k: take_rows(v, rows) for k, v in inputs.items()}
    if hasattr(inputs, "iloc"):
        return inputs.iloc[:rows]
    if isinstance(inputs, list):
        return inputs[:rows]
    return inputs[:rows]


def count_rows(inputs: Any) -> int:
    """Rows in a batch of inputs (first element for tuples/dicts)."""
    if isinstance(inputs, tuple) and inputs:
        return count_rows(inputs[0])
    if isinstance(inputs, Mapping) and inputs:
        return count_rows(next(iter(inputs.values())))
    rows = _rows(inputs)
    if rows is None:
        raise TypeError(f"inputs: expected a batch with rows, got {type(inputs).__name__}")
    return rows
