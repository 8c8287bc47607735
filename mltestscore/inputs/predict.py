"""Calling a model the way a serving system would: torch modules, estimators, callables.

:func:`predict` is the one adapter every check uses: a team's ``predict_fn(model,
inputs)`` when given, else

- a ``torch.nn.Module``: eval mode and ``no_grad`` (train mode restored after), inputs
  moved to the model's device and floating dtype (:func:`to_model_input`); its own
  ``predict`` method when it defines one (e.g. decoded strings), else ``forward`` in
  chunks, the first output as a numpy array (bfloat16/float16 upcast to float32);
- an object with ``predict`` (scikit-learn style): ``model.predict(inputs)``;
- any other callable: ``model(inputs)``.

:func:`predict_labels` adds :func:`mltestscore.inputs.labels.as_labels` (one prediction
per row); :func:`predict_scores` prefers ``predict_proba``/``decision_function``.
The model is typed ``object`` (the checks pass what a team handed over) and checked at run
time: anything other than a :data:`mltestscore.inputs.protocols.ModelLike` is a ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import Array, first_output, is_tensor, is_torch_module, to_numpy
from mltestscore.inputs.labels import as_labels

PredictFn = Callable[[Any, Any], Any]
"""A team's ``predict_fn(model, inputs) -> outputs``."""

CHUNK_ROWS = 1024
_INDEX_LAYERS = ("Embedding", "EmbeddingBag")


def model_device_dtype(model: Any) -> tuple[Any, Any]:
    """The device and floating dtype of ``model``'s first parameter (CPU/float32 if none)."""
    import torch

    for tensor in list(model.parameters()) + list(model.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.float32


def _takes_indices(model: Any) -> bool:
    """Whether integer inputs are indices (the model embeds them) rather than features."""
    return any(type(m).__name__ in _INDEX_LAYERS for m in model.modules())


def to_model_input(model: Any, value: Any, what: str = "inputs") -> Any:
    """``value`` as the torch module expects it: tensors on its device, floats in its dtype.

    A tuple is several positional inputs, a dict keyword inputs; arrays, DataFrames and
    lists become tensors. Integer arrays stay integers when the model embeds them (token
    ids) and become the model's floating dtype otherwise (tabular features, pixels);
    integer tensors are kept as given.
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
                f"{what}: a torch model needs numeric inputs, got an array of dtype "
                f"{array.dtype}; encode categorical columns first or pass a predict function"
            )
        if array.dtype.kind in "biu" and not _takes_indices(model):
            array = array.astype(np.float32)
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


def torch_forward(model: Any, inputs: Any, *, chunk_rows: int = CHUNK_ROWS) -> Array:
    """Eval-mode, no-grad ``forward`` of ``inputs`` through a torch module, as numpy."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            converted = to_model_input(model, inputs)
            rows = _rows(converted)
            if rows is None or rows <= chunk_rows:
                return to_numpy(first_output(call_model(model, converted)), "model output")
            parts = [
                to_numpy(first_output(model(converted[i : i + chunk_rows])), "model output")
                for i in range(0, rows, chunk_rows)
            ]
            return np.concatenate(parts, axis=0)
    finally:
        model.train(was_training)


def _torch_predict_method(model: Any, inputs: Any) -> Array:
    """A torch module's own ``predict`` (e.g. decoded strings), in eval mode, no grad."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return to_numpy(model.predict(to_model_input(model, inputs)), "model.predict output")
    finally:
        model.train(was_training)


def predict(
    model: object, inputs: Any, predict_fn: PredictFn | None = None, *, what: str = "model"
) -> Array:
    """The outputs of ``model`` on ``inputs`` as numpy (see the module docstring)."""
    if predict_fn is not None:
        if not callable(predict_fn):
            raise TypeError(f"predict_fn: expected a callable(model, inputs), got {predict_fn!r}")
        return to_numpy(first_output(predict_fn(model, inputs)), "predict_fn output")
    if is_torch_module(model):
        if callable(getattr(model, "predict", None)):
            return _torch_predict_method(model, inputs)
        return torch_forward(model, inputs)
    method = getattr(model, "predict", None)
    if callable(method):
        return to_numpy(method(inputs), f"{what}.predict output")
    if callable(model):
        return to_numpy(first_output(model(inputs)), f"{what} output")
    raise TypeError(
        f"{what}: expected a torch.nn.Module, an estimator with predict() or a callable, "
        f"got {type(model).__name__}; or pass a predict_fn(model, inputs)"
    )


def predict_labels(
    model: object, inputs: Any, predict_fn: PredictFn | None = None, *, what: str = "model"
) -> Array:
    """One prediction per row: :func:`predict`, class scores arg-maxed (``as_labels``)."""
    return as_labels(predict(model, inputs, predict_fn, what=what))


def predict_scores(model: object, inputs: Any, *, what: str = "model") -> tuple[str, Array]:
    """The richest numeric output and where it came from.

    ``predict_proba``, else ``decision_function``, else ``predict`` of an estimator; a torch
    module's ``forward`` (logits, not its ``predict``); a callable's output.
    """
    if is_torch_module(model):
        return "forward", torch_forward(model, inputs)
    for method in ("predict_proba", "decision_function", "predict"):
        fn = getattr(model, method, None)
        if callable(fn):
            return method, to_numpy(fn(inputs), f"{what}.{method} output")
    return "__call__", predict(model, inputs, what=what)


def make_predict(model: object, predict_fn: PredictFn | None = None) -> Callable[[Any], Array]:
    """``predict(X) -> outputs`` for ``model`` (raises now when ``model`` cannot predict)."""
    if predict_fn is None and not (
        is_torch_module(model) or callable(getattr(model, "predict", None)) or callable(model)
    ):
        raise TypeError(
            f"model: expected a fitted estimator with predict(), a torch.nn.Module or a "
            f"predict callable, got {type(model).__name__}"
        )

    def run(inputs: Any) -> Array:
        return predict(model, inputs, predict_fn)

    return run
