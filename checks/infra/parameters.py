"""infra.1's mechanism: a trained model's parameters, snapshotted and compared.

Parameters are read from

- a ``torch.nn.Module`` or any object with ``state_dict()`` (weights and buffers);
- a fitted scikit-learn estimator: its fitted ``*_`` attributes, recursing into
  pipelines, ensembles and trees;
- any other object (a team's wrapper with ``fit``/``predict``): the models it holds in its
  attributes (torch modules, ``state_dict`` holders, estimators), named ``attribute.…``.

A model that exposes none gives an empty snapshot; infra.1 then compares its predictions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import (
    Array,
    compare_outputs,
    is_sklearn_estimator,
    is_tensor,
    rounded,
    to_numpy,
)

Params = dict[str, Array]
_MAX_DEPTH = 6


def snapshot_parameters(model: object) -> Params:
    """Name → copy of every parameter array of ``model`` (see the module docstring)."""
    if callable(getattr(model, "state_dict", None)):
        return _state_dict(model)
    if is_sklearn_estimator(model):
        params: Params = {}
        _collect_fitted(model, "", params, 0)
        return params
    return _held_models(model)


def _state_dict(model: Any) -> Params:
    state = model.state_dict()
    if not isinstance(state, Mapping):
        raise TypeError(f"{type(model).__name__}.state_dict() returned {type(state).__name__}")
    params: Params = {}
    for name, value in state.items():
        if is_tensor(value) or isinstance(value, (np.ndarray, int, float)):
            params[str(name)] = np.array(to_numpy(value), copy=True)
    return params


def _held_models(obj: object) -> Params:
    """The parameters of the models a wrapper holds in its attributes (one level down)."""
    params: Params = {}
    try:
        attributes = sorted(vars(obj).items())
    except TypeError:  # no __dict__: a function, a builtin
        return params
    for attr, value in attributes:
        if attr.startswith("__") or value is obj:
            continue
        if callable(getattr(value, "state_dict", None)):
            params.update({f"{attr}.{k}": v for k, v in _state_dict(value).items()})
        elif is_sklearn_estimator(value):
            _collect_fitted(value, f"{attr}.", params, 1)
    return params


def _collect_fitted(obj: Any, prefix: str, out: Params, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if hasattr(obj, "steps") and isinstance(obj.steps, list):  # sklearn Pipeline
        for step_name, step in obj.steps:
            if step is not None and step != "passthrough":
                _collect_fitted(step, f"{prefix}{step_name}.", out, depth + 1)
        return
    for attr, value in sorted(vars(obj).items()):
        if not attr.endswith("_") or attr.startswith("_") or attr.endswith("__"):
            continue
        _collect_value(value, f"{prefix}{attr}", out, depth)


def _collect_value(value: Any, name: str, out: Params, depth: int) -> None:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        out[name] = np.array(value, copy=True)
    elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        out[name] = np.asarray(value, dtype=np.float64)
    elif isinstance(value, (list, tuple)) or (
        isinstance(value, np.ndarray) and value.dtype == object
    ):
        items = list(value.ravel()) if isinstance(value, np.ndarray) else list(value)
        for i, item in enumerate(items):
            _collect_value(item, f"{name}[{i}]", out, depth + 1)
    elif type(value).__name__ == "Tree" and hasattr(value, "threshold"):  # sklearn tree_
        for field in ("feature", "threshold", "value"):
            out[f"{name}.{field}"] = np.array(getattr(value, field), copy=True)
    elif is_sklearn_estimator(value):
        _collect_fitted(value, f"{name}.", out, depth + 1)


@dataclass(frozen=True)
class ParamDiff:
    """How two parameter snapshots differ.

    ``max_abs_diff`` is over parameters present in both runs with the same shape;
    ``structural`` counts those missing from one run, shaped differently or not finite.
    """

    compared: int
    max_abs_diff: float
    first_differing: str | None
    differing: list[dict[str, Any]]  # name, max_abs_diff / note; capped
    total_differing: int
    structural: int


def compare_parameters(a: Params, b: Params, *, atol: float, cap: int = 10) -> ParamDiff:
    """Compare two snapshots in ``a``'s order; a parameter differs when its max |Δ| > atol."""
    rows: list[dict[str, Any]] = []
    overall = 0.0
    structural = 0
    names = list(a) + [n for n in b if n not in a]
    for name in names:
        if name not in a or name not in b:
            structural += 1
            note = "only in run 1" if name in a else "only in run 2"
            rows.append({"name": name, "max_abs_diff": None, "note": note})
            continue
        diff = compare_outputs(a[name], b[name], atol=atol)
        if diff.max_abs_diff is None and not diff.equal:
            structural += 1
            rows.append({"name": name, "max_abs_diff": None, "note": diff.note or "NaN/Inf"})
            continue
        delta = diff.max_abs_diff or 0.0
        overall = max(overall, delta)
        if not diff.equal:
            row = {"name": name, "max_abs_diff": rounded(delta, 9)}
            rows.append(row | {"mismatched": diff.mismatched, "size": diff.compared})
    first = rows[0]["name"] if rows else None
    return ParamDiff(len(names), overall, first, rows[:cap], len(rows), structural)


def diff_text(diff: ParamDiff) -> str:
    """``max |diff| 0.93`` plus how many parameters differ in shape/presence."""
    structural = f"{diff.structural} differ in shape, presence or NaN"
    if diff.structural and not diff.max_abs_diff:
        return structural
    text = f"max |diff| {diff.max_abs_diff:.3g}"
    return f"{text}, {structural}" if diff.structural else text
