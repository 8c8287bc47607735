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
import numpy.typing as npt
import pandas as pd

from mltestscore.checks.model_inputs import (
    default_metric,
    is_classification,
    predict,
    split_xy,
    to_numpy,
)
from mltestscore.metrics import Metric
from mltestscore.results import CheckResult

MAX_TRAIN_ROWS = 100_000  # baselines train on a seeded sample beyond this
MAX_CLASSES = 100  # more distinct labels (e.g. whole text lines): no logistic baseline


def tabular(features: Any) -> pd.DataFrame:
    """Features as a DataFrame (arrays/tensors flattened to one column per value)."""
    if isinstance(features, pd.DataFrame):
        return features
    arr = to_numpy(features)
    arr = arr.reshape(len(arr), -1) if arr.ndim != 2 else arr
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


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
    y_train: npt.NDArray[Any],
    x_eval: pd.DataFrame,
    y_eval: npt.NDArray[Any],
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


def judge_baseline(
    model: object,
    train_data: object,
    eval_data: object,
    metric: object,
    target: str | None,
    baseline: object,
    *,
    margin: float,
    task: str,
) -> CheckResult:
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    x_tr, y_tr = split_xy(train_data, target, "train_data")
    x_ev, y_ev = split_xy(eval_data, target, "eval_data")
    classification = task == "classification" or (task == "auto" and is_classification(y_tr))
    scorer = default_metric(metric, y_tr)
    model_score = scorer(y_ev, predict(model, x_ev))
    scores, errors = score_baselines(
        tabular(x_tr), y_tr, tabular(x_ev), y_ev, scorer, classification
    )
    if baseline is not None:
        if isinstance(baseline, int | float) and not isinstance(baseline, bool):
            scores["provided"] = float(baseline)
        else:
            scores["provided"] = scorer(y_ev, predict(baseline, x_ev, "baseline"))
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
