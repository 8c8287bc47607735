"""model.5: simple baselines trained on the same data, and the margin the model beats them by.

Baselines (scikit-learn, trained on ``train_data``, scored on ``eval_data``):
classification — ``majority`` (DummyClassifier, most frequent) and ``logistic``
(LogisticRegression; skipped beyond ``MAX_CLASSES`` labels, e.g. whole text lines);
regression — ``mean`` (DummyRegressor) and ``linear``
(Ridge, alpha=1). Features are imputed (median / most frequent), numeric ones
standardized, others one-hot encoded; image-like arrays are flattened. A
team-provided ``baseline`` (a fitted model or a score) joins them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mltestscore.inputs.arrays import Array, to_numpy
from mltestscore.inputs.labels import as_labels, default_metric, is_classification
from mltestscore.inputs.predict import predict
from mltestscore.inputs.tables import split_features
from mltestscore.metrics import Metric
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult

MAX_TRAIN_ROWS = 100_000  # baselines train on a seeded sample beyond this
MAX_CLASSES = 100  # more distinct labels (e.g. whole text lines): no logistic baseline


@register_builtin_check("model.5")
def simpler_model_not_better(
    model: object,
    train_data: object,
    eval_data: object,
    metric: object = None,
    target: str | None = None,
    baseline: object = None,
    *,
    margin: float = 0.01,
    task: str = "auto",
) -> CheckResult:
    """The model beats simple baselines trained on the same data by a margin.

    Inputs: ``model``, ``train_data`` and ``eval_data`` (DataFrames with ``target``,
    or ``(X, y)``), ``metric`` (default accuracy for classes, R² otherwise),
    ``baseline`` — a team-provided fitted model or its score (optional).
    Baselines: majority class + logistic regression, or mean + ridge regression.
    Thresholds: ``margin`` — how much better (metric units) than the best baseline
    the model must be; ``task`` — ``auto``, ``classification`` or ``regression``.
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    x_tr, y_tr = split_features(train_data, target, "train_data")
    x_ev, y_ev = split_features(eval_data, target, "eval_data")
    classification = task == "classification" or (task == "auto" and is_classification(y_tr))
    scorer = default_metric(y_tr, metric, model)
    model_score = scorer(y_ev, as_labels(predict(model, x_ev), y_ev))
    train_frame, eval_frame = feature_frames(x_tr, x_ev)
    scores, errors = score_baselines(train_frame, y_tr, eval_frame, y_ev, scorer, classification)
    if baseline is not None:
        if isinstance(baseline, int | float) and not isinstance(baseline, bool):
            scores["provided"] = float(baseline)
        else:
            outputs = predict(baseline, x_ev, what="baseline")
            scores["provided"] = scorer(y_ev, as_labels(outputs, y_ev))
    if not scores:
        raise ValueError(f"no baseline could be trained: {errors}")
    best_name = max(scores, key=lambda n: scores[n] if scorer.higher_is_better else -scores[n])
    best = scores[best_name]
    lead = scorer.regression(best, model_score)  # > 0: the model is better than the baseline
    evidence: dict[str, Any] = {
        "metric": scorer.name, "higher_is_better": scorer.higher_is_better,
        "task": "classification" if classification else "regression",
        "model": model_score, "baselines": scores, "best_baseline": best_name,
        "lead": lead, "margin": margin, "n_train": len(y_tr), "n_eval": len(y_ev),
    }  # fmt: skip
    if errors:
        evidence["baseline_errors"] = errors
    found = f"model {scorer.name} {model_score:.4g} vs best baseline {best_name} {best:.4g}"
    if lead < margin:
        return CheckResult.failed(
            f"a simpler model is as good: {found} (lead {lead:+.4g} < margin {margin})",
            evidence,
            f"The model must beat the {best_name} baseline by {margin}: check the training "
            "pipeline and features (smoke suite), or ship the simpler model.",
        )
    return CheckResult.passed(f"{found}: lead {lead:+.4g} ≥ margin {margin}", evidence)


def feature_frame(features: Any) -> pd.DataFrame:
    """Features as a DataFrame for the baselines (arrays/tensors flattened, one column per value)."""
    if isinstance(features, pd.DataFrame):
        return features
    arr = to_numpy(features, "features")
    arr = arr.reshape(len(arr), -1) if arr.ndim != 2 else arr
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])]).infer_objects()


def feature_frames(train: Any, evaluation: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and eval features as frames with the same columns.

    When one side is a DataFrame and the other an array of the same width, the array
    side takes the DataFrame's column names (the baselines are fitted on one, scored on
    the other).
    """
    frames = feature_frame(train), feature_frame(evaluation)
    named = isinstance(train, pd.DataFrame), isinstance(evaluation, pd.DataFrame)
    if named[0] != named[1] and frames[0].shape[1] == frames[1].shape[1]:
        columns = frames[0 if named[0] else 1].columns
        return frames[0].set_axis(columns, axis=1), frames[1].set_axis(columns, axis=1)
    return frames


def _pipeline(frame: pd.DataFrame, estimator: Any) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    other = [c for c in frame.columns if c not in numeric]
    steps = [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)]
    if other:
        encoder = OneHotEncoder(handle_unknown="ignore", max_categories=50)
        steps.append(
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), other)
        )
    return make_pipeline(ColumnTransformer(steps), estimator)


def _baselines(classification: bool) -> dict[str, Any]:
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    if classification:
        return {
            "majority": DummyClassifier(strategy="most_frequent"),
            "logistic": LogisticRegression(max_iter=1000),
        }
    return {"mean": DummyRegressor(strategy="mean"), "linear": Ridge(alpha=1.0)}


def score_baselines(
    x_train: pd.DataFrame,
    y_train: Array,
    x_eval: pd.DataFrame,
    y_eval: Array,
    metric: Metric,
    classification: bool,
) -> tuple[dict[str, float], dict[str, str]]:
    """Train each baseline; return scores and the errors of those that could not train."""
    if len(x_train) > MAX_TRAIN_ROWS:
        keep = np.random.default_rng(0).choice(len(x_train), MAX_TRAIN_ROWS, replace=False)
        x_train, y_train = x_train.iloc[keep], y_train[keep]
    scores: dict[str, float] = {}
    errors: dict[str, str] = {}
    n_classes = len(pd.unique(pd.Series(y_train))) if classification else 0
    for name, estimator in _baselines(classification).items():
        if name == "logistic" and n_classes > MAX_CLASSES:
            errors[name] = (f"skipped: {n_classes} distinct labels (> {MAX_CLASSES}) is not a "
                            "classification a linear model can baseline; provide ml_baseline")  # fmt: skip
            continue
        pipe = estimator if name in ("majority", "mean") else _pipeline(x_train, estimator)
        try:
            pipe.fit(x_train, y_train)
            scores[name] = metric(y_eval, pipe.predict(x_eval))
        except (ValueError, TypeError) as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"[:200]
    return scores, errors
