"""infra.5's mechanism for scikit-learn: trace one example through any fitted estimator.

The rows follow the example in the order it is computed:

- a ``Pipeline``'s transform steps, each output recorded; a ``ColumnTransformer`` or
  ``FeatureUnion`` step also records each of its transformers' share of the output
  (``preprocess/num``, ``preprocess/cat``), with the output feature names;
- the final estimator, explained by what it is: a tree's **decision path** (one row per
  split: feature, threshold, the example's value, the branch taken; then the leaf), the
  first tree of a forest/boosting ensemble plus the trees' votes; a linear model's
  **per-feature contributions** ``coef · x`` (largest first), with the check that they
  and the intercept add up to ``decision_function``;
- ``predict_proba`` / ``decision_function`` and ``predict``.

Only the ``predict`` row is not an intermediate output; an estimator offering nothing but
``predict`` cannot be followed step by step (infra.5 fails for it).

(About 320 lines, kept in one module: the steps and the final estimator's explanations
write the same trace rows, in the order the example is computed.)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mltestscore.checks.infra.trace import Trace, output_stats
from mltestscore.inputs.arrays import rounded, to_numpy
from mltestscore.results import NotAutomated

MAX_CONTRIBUTIONS = 20  # contribution rows kept (largest |coef · x| first)
MAX_PATH_NODES = 40  # split rows kept for one tree


def as_one_row(example: Any) -> Any:
    """``example`` as a batch of one row: a 1-row DataFrame, or a ``(1, F)`` array."""
    if hasattr(example, "iloc") and hasattr(example, "columns"):
        return example.iloc[:1]
    if hasattr(example, "to_frame") and hasattr(example, "index"):  # a Series: one row
        return example.to_frame().T
    array = to_numpy(example, "example")
    if array.ndim == 1:
        return array.reshape(1, -1)
    return array[:1]


def trace_estimator(model: Any, example: Any) -> Trace:
    """Trace ``example`` through a fitted estimator or pipeline (see the module docstring)."""
    _require_fitted(model)
    trace = Trace(kind="sklearn")
    data = as_one_row(example)
    names = _input_names(model, data)
    start = time.perf_counter()
    steps = _steps(model)
    try:
        for name, step in steps[:-1]:
            data, names = _transform_step(trace, name, step, data, names)
        final_name, final = steps[-1]
        _explain(trace, final_name, final, data, names)
        _predict_rows(trace, final_name, final, data)
    except Exception as exc:
        trace.error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:400]
        trace.raised_in = trace.raised_in or f"{_current(trace, steps)}"
    trace.seconds = time.perf_counter() - start
    return trace


# -- steps ------------------------------------------------------------------------------
def _steps(model: Any) -> list[tuple[str, Any]]:
    if isinstance(getattr(model, "steps", None), list):
        kept = [(str(n), s) for n, s in model.steps if s is not None and s != "passthrough"]
        if not kept:
            raise NotAutomated(f"{type(model).__name__} has no steps to trace")
        return kept
    return [(type(model).__name__, model)]


def _require_fitted(model: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise NotAutomated(
            f"{type(model).__name__} is not fitted: hand over the trained model as ml_model"
        ) from None
    except TypeError:  # not a scikit-learn estimator proper: trust it
        return


def _current(trace: Trace, steps: list[tuple[str, Any]]) -> str:
    """The step that was running when the trace stopped (after the last recorded one)."""
    done = {str(r["module"]).split("/")[0] for r in trace.rows}
    for name, step in steps:
        if name not in done:
            return f"{name} ({type(step).__name__})"
    name, step = steps[-1]
    return f"{name} ({type(step).__name__})"


def _input_names(model: Any, data: Any) -> list[str]:
    if hasattr(data, "columns"):
        return [str(c) for c in data.columns]
    names = getattr(model, "feature_names_in_", None)
    width = int(np.asarray(data).shape[-1])
    if names is not None and len(names) == width:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(width)]


def _out_names(step: Any, names: list[str], width: int) -> list[str]:
    try:
        out = [str(n) for n in step.get_feature_names_out()]
    except Exception:  # not every transformer names its outputs
        out = []
    if len(out) == width:
        return out
    return names if len(names) == width else [f"f{i}" for i in range(width)]


def _width(data: Any) -> int:
    shape = getattr(data, "shape", None)
    return int(shape[-1]) if shape is not None and len(shape) > 1 else 1


def _row(trace: Trace, module: str, step: Any, call: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "step": len(trace.rows) + 1,
        "module": module,
        "type": type(step).__name__,
        "call": call,
    }
    row.update(extra)
    trace.rows.append(row)
    return row


def _transform_step(
    trace: Trace, name: str, step: Any, data: Any, names: list[str]
) -> tuple[Any, list[str]]:
    trace.raised_in = f"{name} ({type(step).__name__})"
    out = step.transform(data)
    out_names = _out_names(step, names, _width(out))
    dense = out.toarray() if hasattr(out, "toarray") else out
    named = getattr(step, "named_transformers_", None) or dict(
        getattr(step, "transformer_list", None) or []
    )
    for part, columns in _parts(step, out_names):
        inner = named.get(part, step) if isinstance(named, dict) else step
        _row(trace, f"{name}/{part}", inner, "transform", features=columns[:10]).update(
            output_stats(np.asarray(dense)[:, _positions(out_names, columns)])
        )
    row = _row(trace, name, step, "transform", features=out_names[:10])
    row.update(output_stats(out))
    trace.raised_in = ""
    return out, out_names


def _parts(step: Any, out_names: list[str]) -> list[tuple[str, list[str]]]:
    """A ColumnTransformer's / FeatureUnion's transformers and the output columns of each."""
    indices = getattr(step, "output_indices_", None)
    if isinstance(indices, dict):  # ColumnTransformer
        return [
            (str(part), list(out_names[sl]))
            for part, sl in indices.items()
            if isinstance(sl, slice) and sl.stop > sl.start
        ]
    parts: list[tuple[str, list[str]]] = []
    for part, transformer in getattr(step, "transformer_list", []) or []:
        if transformer in (None, "drop"):
            continue
        prefix = f"{part}__"
        columns = [n for n in out_names if n.startswith(prefix)]
        if columns:
            parts.append((str(part), columns))
    return parts


def _positions(names: list[str], columns: list[str]) -> list[int]:
    wanted = set(columns)
    return [i for i, n in enumerate(names) if n in wanted]


# -- the final estimator ----------------------------------------------------------------
def _explain(trace: Trace, name: str, est: Any, data: Any, names: list[str]) -> None:
    trace.raised_in = f"{name} ({type(est).__name__})"
    if hasattr(est, "tree_") and hasattr(est, "decision_path"):
        _tree_path(trace, name, est, data, names)
    elif hasattr(est, "estimators_") and _trees(est):
        _ensemble(trace, name, est, data, names)
    elif hasattr(est, "coef_") and hasattr(est, "intercept_"):
        _contributions(trace, name, est, data, names)


def _trees(est: Any) -> list[Any]:
    found = np.asarray(est.estimators_, dtype=object).ravel().tolist()
    return [t for t in found if hasattr(t, "tree_")]


def _tree_path(trace: Trace, name: str, tree: Any, data: Any, names: list[str]) -> None:
    x = _dense_row(data)
    node_ids = tree.decision_path(_as_tree_input(tree, data)).indices
    structure = tree.tree_
    for node in node_ids[:MAX_PATH_NODES]:
        feature = int(structure.feature[node])
        if feature < 0:  # a leaf
            value = structure.value[node].ravel()
            total = float(value.sum())
            _row(
                trace,
                f"{name}/leaf {int(node)}",
                tree,
                "decision_path",
                node=int(node),
                samples=int(structure.n_node_samples[node]),
                leaf_value=[rounded(float(v / total) if total and value.size > 1 else float(v))
                            for v in value[:10]],
            )  # fmt: skip
            continue
        threshold = float(structure.threshold[node])
        value_x = float(x[feature]) if feature < x.size else float("nan")
        _row(
            trace,
            f"{name}/node {int(node)}",
            tree,
            "decision_path",
            node=int(node),
            feature=names[feature] if feature < len(names) else f"x{feature}",
            threshold=rounded(threshold),
            value=rounded(value_x),
            branch="left (<=)" if value_x <= threshold else "right (>)",
        )


def _ensemble(trace: Trace, name: str, est: Any, data: Any, names: list[str]) -> None:
    trees = _trees(est)
    _tree_path(trace, f"{name}/tree 0", trees[0], data, names)
    x = _as_tree_input(trees[0], data)
    outputs = np.asarray([np.ravel(t.predict(x))[0] for t in trees], dtype=np.float64)
    extra: dict[str, Any] = {"trees": len(trees)}
    if hasattr(est, "classes_") and hasattr(trees[0], "predict_proba"):
        votes = np.bincount(outputs.astype(int), minlength=len(est.classes_))
        extra["votes"] = {str(c): int(v) for c, v in zip(est.classes_, votes, strict=False)}
    else:
        extra.update(
            mean=rounded(float(outputs.mean())),
            std=rounded(float(outputs.std())),
            min=rounded(float(outputs.min())),
            max=rounded(float(outputs.max())),
        )
    _row(trace, f"{name}/trees", est, "tree_outputs", **extra)


def _as_tree_input(tree: Any, data: Any) -> Any:
    array = np.asarray(data.toarray() if hasattr(data, "toarray") else data)
    return array.astype(np.float32) if array.dtype.kind in "biuf" else array


def _dense_row(data: Any) -> np.ndarray:
    array = np.asarray(data.toarray() if hasattr(data, "toarray") else data)
    row: np.ndarray = array.reshape(1, -1)[0].astype(np.float64)
    return row


def _contributions(trace: Trace, name: str, est: Any, data: Any, names: list[str]) -> None:
    x = _dense_row(data)
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    if coef.shape[-1] != x.size:
        raise ValueError(f"{name}: coef_ has {coef.shape[-1]} features, the input {x.size}")
    k = 0
    decision = getattr(est, "decision_function", None)
    scores = np.atleast_1d(np.ravel(decision(data) if callable(decision) else est.predict(data)))
    if coef.shape[0] > 1:  # multiclass: the predicted class's row
        k = int(np.argmax(scores))
    contrib = coef[k] * x
    total = float(contrib.sum() + intercept[min(k, intercept.size - 1)])
    reconstructed = bool(np.isclose(total, float(scores[min(k, scores.size - 1)]), atol=1e-6))
    target = ""
    if hasattr(est, "classes_") and coef.shape[0] > 1:
        target = f" (class {est.classes_[k]!s})"
    order = np.argsort(-np.abs(contrib))[:MAX_CONTRIBUTIONS]
    for i in order:
        _row(
            trace,
            f"{name}/{names[i] if i < len(names) else f'x{i}'}",
            est,
            "contribution",
            value=rounded(float(x[i])),
            coef=rounded(float(coef[k, i])),
            contribution=rounded(float(contrib[i])),
        )
    _row(
        trace,
        f"{name}/intercept",
        est,
        "contribution",
        contribution=rounded(float(intercept[min(k, intercept.size - 1)])),
        decision=rounded(total),
        target=target.strip(" ()"),
        reconstructs_decision_function=reconstructed,
    )


def _predict_rows(trace: Trace, name: str, est: Any, data: Any) -> None:
    trace.raised_in = f"{name} ({type(est).__name__})"
    for call in ("predict_proba", "decision_function"):
        method = getattr(est, call, None)
        if not callable(method):
            continue
        try:
            out = method(data)
        except (AttributeError, NotImplementedError):  # e.g. SVC(probability=False)
            continue
        _row(trace, f"{name}/{call}", est, call).update(output_stats(out))
        break
    out = est.predict(data)
    _row(trace, name, est, "predict").update(output_stats(out))
    trace.raised_in = ""
