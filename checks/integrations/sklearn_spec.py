"""infra.2 for scikit-learn: the estimator's spec, unit tested on a tiny subset.

What the troubleshooting suite is to a torch model, this is to an estimator. On a
subset of the training data (``subset_rows``, every class kept), each finding is one
promise of the spec:

- ``fit_subset``: a clone of the estimator (same hyperparameters, unfitted) fits;
- ``deterministic_predict``: the team's fitted model and the clone answer the same rows
  the same way twice;
- ``predict_proba``: rows are probabilities (in [0, 1], summing to 1 within
  ``proba_atol``), one column per class, and their argmax agrees with ``predict``;
- ``schema_dtypes``: rows cast to the data.1 schema's dtypes (pandera) are accepted;
- ``clone_refits_identically``: a second clone fitted on the same rows scores as the first
  (``predict_proba``/``decision_function`` where it has them, to 1e-7 relative — threads
  may sum in another order —, else ``predict``; a ``random_state=None`` somewhere in the
  parameters is named).

:func:`check_sklearn_spec` returns a :class:`~mltestscore.results.CheckResult`: FAIL when
a promise is broken, WARN for a soft one (argmax disagreeing with ``predict``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import rounded
from mltestscore.inputs.tables import split_with_frame
from mltestscore.results import CheckResult, NotAutomated

Finding = dict[str, Any]


def _finding(name: str, status: str, message: str, **metrics: Any) -> Finding:
    return {"name": name, "status": status, "message": message, "metrics": metrics}


def subset(x: Any, y: np.ndarray, rows: int, seed: int, classes: bool) -> tuple[Any, np.ndarray]:
    """Up to ``rows`` rows, every class represented (at least two rows each when there)."""
    rng = np.random.default_rng(seed)
    if classes:
        labels = np.unique(y)
        per = max(2, rows // max(len(labels), 1))
        picked = np.concatenate(
            [rng.permutation(np.flatnonzero(y == label))[:per] for label in labels]
        )
    else:
        picked = rng.permutation(len(y))[:rows]
    picked = np.sort(picked)
    part = x.iloc[picked] if hasattr(x, "iloc") else np.asarray(x)[picked]
    return part, y[picked]


def unseeded(model: Any) -> list[str]:
    """Parameters named ``random_state`` (nested ones too) that are ``None``."""
    params = model.get_params(deep=True)
    return sorted(k for k, v in params.items() if k.split("__")[-1] == "random_state" and v is None)


def _same(a: Any, b: Any) -> bool:
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return False
    if x.dtype.kind in "fc" and y.dtype.kind in "fc":
        return bool(np.array_equal(x, y, equal_nan=True))
    return bool(np.array_equal(x, y))


def _fitted_outputs(model: Any, x: Any) -> Any:
    """What a refit must reproduce: the scores (``predict_proba``, else
    ``decision_function``) where the estimator has them, else ``predict``. Labels alone
    hide an unseeded refit on easy rows: two unseeded forests label them alike."""
    for name in ("predict_proba", "decision_function"):
        method = getattr(model, name, None)
        if callable(method):
            try:
                return method(x)
            except (AttributeError, NotImplementedError):  # SVC(probability=False) and the like
                continue
    return model.predict(x)


def _refit_alike(a: Any, b: Any) -> bool:
    x, y = np.asarray(a), np.asarray(b)
    if x.shape == y.shape and x.dtype.kind in "fc" and y.dtype.kind in "fc":
        return bool(np.allclose(x, y, rtol=1e-7, atol=1e-12, equal_nan=True))
    return _same(x, y)


def _proba(model: Any, x: Any, predicted: np.ndarray, atol: float) -> Finding | None:
    method = getattr(model, "predict_proba", None)
    if not callable(method):
        return None
    try:
        proba = np.asarray(method(x), dtype=np.float64)
    except (AttributeError, NotImplementedError):  # SVC(probability=False) and the like
        return None
    classes = getattr(model, "classes_", None)
    width = len(classes) if classes is not None else proba.shape[-1]
    sums = proba.sum(axis=1) if proba.ndim == 2 else np.full(1, np.nan)
    worst = float(np.max(np.abs(sums - 1.0))) if sums.size else float("nan")
    metrics = {"shape": list(proba.shape), "max_row_sum_error": rounded(worst)}
    if proba.ndim != 2 or proba.shape != (len(predicted), width):
        return _finding(
            "predict_proba", "fail",
            f"predict_proba returned shape {list(proba.shape)}; expected "
            f"[{len(predicted)}, {width}] (rows × classes_)", **metrics,
        )  # fmt: skip
    if not np.all(np.isfinite(proba)) or proba.min() < -atol or proba.max() > 1 + atol:
        return _finding(
            "predict_proba", "fail",
            f"predict_proba has values outside [0, 1] (min {proba.min():.3g}, max "
            f"{proba.max():.3g})", **metrics,
        )  # fmt: skip
    if not worst <= atol:
        return _finding(
            "predict_proba",
            "fail",
            f"predict_proba rows do not sum to 1 (largest error {worst:.3g} > {atol:g})",
            **metrics,
        )
    if classes is not None:
        agree = float(np.mean(np.asarray(classes)[proba.argmax(axis=1)] == predicted))
        metrics["argmax_agrees"] = rounded(agree)
        if agree < 1.0:
            return _finding(
                "predict_proba", "warn",
                f"argmax of predict_proba differs from predict on {1 - agree:.1%} of rows",
                **metrics,
            )  # fmt: skip
    return _finding("predict_proba", "pass", "rows are probabilities summing to 1", **metrics)


def _schema_columns(schema: Any) -> dict[str, str]:
    """Column → dtype name from a pandera schema (DataFrameSchema or DataFrameModel)."""
    if schema is None:
        return {}
    to_schema = getattr(schema, "to_schema", None)
    if isinstance(schema, type) and callable(to_schema):  # a DataFrameModel class
        schema = to_schema()
    columns = getattr(schema, "columns", None)
    if not isinstance(columns, dict):
        return {}
    return {str(name): str(col.dtype) for name, col in columns.items() if col.dtype is not None}


def _schema_dtypes(model: Any, x: Any, schema: Any, target: str | None) -> Finding | None:
    declared = _schema_columns(schema)
    if not declared or not hasattr(x, "columns"):
        return None
    cast = x.copy()
    casts: dict[str, str] = {}
    for column, dtype in declared.items():
        if column == target or column not in cast.columns:
            continue
        try:
            cast[column] = cast[column].astype(dtype)
        except (TypeError, ValueError) as exc:
            return _finding(
                "schema_dtypes", "fail",
                f"column {column!r} cannot be cast to the schema's {dtype}: {exc}"[:300],
            )  # fmt: skip
        casts[column] = dtype
    try:
        model.predict(cast)
    except Exception as exc:
        return _finding(
            "schema_dtypes", "fail",
            f"rows cast to the schema's dtypes are refused: {type(exc).__name__}: {exc}"[:300],
            dtypes=casts,
        )  # fmt: skip
    return _finding(
        "schema_dtypes", "pass", f"rows cast to the schema's {len(casts)} column dtypes accepted",
        dtypes=casts,
    )  # fmt: skip


def _step(name: str, call: Callable[[], Any]) -> tuple[Any, Finding | None]:
    try:
        return call(), None
    except Exception as exc:
        return None, _finding(name, "fail", f"{type(exc).__name__}: {exc}"[:300])


def check_sklearn_spec(
    model: Any,
    train_data: Any,
    schema: Any = None,
    target: str | None = None,
    *,
    seed: int = 0,
    subset_rows: int = 200,
    proba_atol: float = 1e-6,
) -> CheckResult:
    """Unit-test the estimator's spec on a tiny subset of ``train_data`` (module docstring)."""
    from sklearn.base import clone

    if train_data is None:
        raise NotAutomated("the scikit-learn spec test fits on a subset of ml_train_data")
    features, labels, _ = split_with_frame(train_data, target)
    classifier = hasattr(model, "classes_") or getattr(model, "_estimator_type", "") == (
        "classifier"
    )
    x, y = subset(features, labels, subset_rows, seed, classifier)
    findings: list[Finding] = []
    first, problem = _step("fit_subset", lambda: clone(model).fit(x, y))
    if problem is not None:
        problem["message"] = (
            f"a clone of {type(model).__name__} cannot fit {len(y)} rows: " + (problem["message"])
        )
        findings.append(problem)
    else:
        findings.append(_finding("fit_subset", "pass", f"a clone fits {len(y)} rows", rows=len(y)))
    predicted, problem = _step("deterministic_predict", lambda: model.predict(x))
    if problem is not None:
        findings.append(problem)
    else:
        again = model.predict(x)
        clone_twice = first is None or _same(first.predict(x), first.predict(x))
        findings.append(
            _finding("deterministic_predict", "pass", "the same rows get the same predictions")
            if _same(predicted, again) and clone_twice
            else _finding(
                "deterministic_predict",
                "fail",
                "predict answered the same rows differently on a second call",
            )
        )
        proba = _proba(model, x, np.asarray(predicted), proba_atol)
        if proba is not None:
            findings.append(proba)
    dtypes = _schema_dtypes(model, x, schema, target)
    if dtypes is not None:
        findings.append(dtypes)
    if first is not None:
        second, problem = _step("clone_refits_identically", lambda: clone(model).fit(x, y))
        if problem is None and _refit_alike(_fitted_outputs(first, x), _fitted_outputs(second, x)):
            findings.append(
                _finding(
                    "clone_refits_identically", "pass", "two clones fitted alike predict alike"
                )
            )
        elif problem is None:
            loose = unseeded(model)
            findings.append(
                _finding(
                    "clone_refits_identically",
                    "fail",
                    "two clones fitted on the same rows score differently"
                    + (f": {', '.join(loose)} is None — set it" if loose else ""),
                    unseeded=loose,
                )
            )
        else:
            findings.append(problem)
    return _judge(model, findings, len(y))


def _judge(model: Any, findings: list[Finding], rows: int) -> CheckResult:
    evidence = {"estimator": type(model).__name__, "subset_rows": rows, "findings": findings}
    failed = [f for f in findings if f["status"] == "fail"]
    warned = [f for f in findings if f["status"] == "warn"]
    names = ", ".join(f["name"] for f in findings)
    if failed:
        return CheckResult.failed(
            f"the {type(model).__name__} spec test failed: "
            + "; ".join(f"{f['name']}: {f['message']}" for f in failed),
            evidence,
            f"{failed[0]['name']}: {failed[0]['message']}",
        )
    if warned:
        return CheckResult.warned(
            f"the {type(model).__name__} spec test passed with warnings ({names}): "
            + "; ".join(f["message"] for f in warned),
            evidence,
        )
    return CheckResult.passed(
        f"the {type(model).__name__} spec test passed on {rows} rows ({names})", evidence
    )
