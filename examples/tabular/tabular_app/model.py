"""The model: standardized features -> logistic regression -> a referral threshold.

:class:`RiskModel` is a scikit-learn classifier (``fit``/``predict``/
``predict_proba``, ``feature_names_in_``) around a ``Pipeline`` of
``StandardScaler`` and ``LogisticRegression``; ``predict`` refers a scan (1)
when the probability of malignancy reaches ``decision_threshold``. It saves to
and loads from plain JSON (:meth:`to_dict`/:meth:`from_dict`): no pickle, so a
stored model cannot run code when loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from tabular_app.config import ModelConfig

FORMAT = "tabular_app.risk_model/1"


class RiskModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Logistic regression on standardized features with a tuned decision threshold."""

    def __init__(
        self,
        C: float = 1.0,
        l1_ratio: float = 0.0,
        decision_threshold: float = 0.5,
        max_iter: int = 5000,
    ) -> None:
        self.C = C
        self.l1_ratio = l1_ratio
        self.decision_threshold = decision_threshold
        self.max_iter = max_iter

    @classmethod
    def from_config(cls, config: ModelConfig) -> RiskModel:
        return cls(config.C, config.l1_ratio, config.decision_threshold, config.max_iter)

    def _pipeline(self) -> Pipeline:
        # lbfgs for pure L2 (fast, exact); saga is the solver that handles L1/elastic-net.
        solver = "lbfgs" if self.l1_ratio == 0 else "saga"
        logistic = LogisticRegression(
            C=self.C, l1_ratio=self.l1_ratio, solver=solver, max_iter=self.max_iter,
            random_state=0,
        )  # fmt: skip
        return Pipeline([("scale", StandardScaler()), ("logistic", logistic)])

    def fit(self, X: pd.DataFrame, y: Any) -> RiskModel:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"RiskModel.fit: X must be a DataFrame of features, got {type(X)}")
        labels = np.asarray(y).astype(np.int64)
        if set(np.unique(labels)) != {0, 1}:
            raise ValueError("RiskModel.fit: y must hold both classes 0 (benign) and 1 (malignant)")
        self.pipeline_ = self._pipeline().fit(X, labels)
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.classes_ = np.array([0, 1])
        return self

    def _inputs(self, X: Any) -> pd.DataFrame:
        names = [str(n) for n in self.feature_names_in_]
        if isinstance(X, pd.DataFrame):
            missing = [n for n in names if n not in X.columns]
            if missing:
                raise ValueError(f"RiskModel: input has no column(s) {missing}")
            return X[names]
        values = np.asarray(X, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(names):
            raise ValueError(
                f"RiskModel: expected {len(names)} feature columns {names}, got shape {values.shape}"
            )
        return pd.DataFrame(values, columns=names)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.pipeline_.predict_proba(self._inputs(X)))

    def predict(self, X: Any) -> np.ndarray:
        """1 (refer for biopsy) when P(malignant) >= ``decision_threshold``, else 0."""
        return (self.predict_proba(X)[:, 1] >= self.decision_threshold).astype(np.int64)

    # -- plain-JSON persistence ------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        scaler: StandardScaler = self.pipeline_.named_steps["scale"]
        logistic: LogisticRegression = self.pipeline_.named_steps["logistic"]
        return {
            "format": FORMAT,
            "params": self.get_params(),
            "features": [str(n) for n in self.feature_names_in_],
            "scaler": {
                "mean": scaler.mean_.tolist(),
                "scale": scaler.scale_.tolist(),
                "var": scaler.var_.tolist(),
                "n_samples_seen": int(np.max(scaler.n_samples_seen_)),
            },
            "logistic": {
                "coef": logistic.coef_.tolist(),
                "intercept": logistic.intercept_.tolist(),
                "n_iter": np.asarray(logistic.n_iter_).tolist(),
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskModel:
        """Rebuild a fitted model from :meth:`to_dict` output (predictions are identical)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"not a {FORMAT} model document (format: {found!r})")
        try:
            model = cls(**data["params"])
            names = np.asarray(data["features"], dtype=object)
            pipeline = model._pipeline()
            scaler, logistic = pipeline.named_steps["scale"], pipeline.named_steps["logistic"]
            scaler.mean_ = np.asarray(data["scaler"]["mean"], dtype=np.float64)
            scaler.scale_ = np.asarray(data["scaler"]["scale"], dtype=np.float64)
            scaler.var_ = np.asarray(data["scaler"]["var"], dtype=np.float64)
            scaler.n_samples_seen_ = int(data["scaler"]["n_samples_seen"])
            logistic.coef_ = np.asarray(data["logistic"]["coef"], dtype=np.float64)
            logistic.intercept_ = np.asarray(data["logistic"]["intercept"], dtype=np.float64)
            logistic.n_iter_ = np.asarray(data["logistic"]["n_iter"], dtype=np.int32)
        except KeyError as exc:
            raise ValueError(f"incomplete {FORMAT} model document: missing {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed {FORMAT} model document: {exc}") from exc
        scaler.n_features_in_ = logistic.n_features_in_ = len(names)
        scaler.feature_names_in_ = names  # the scaler sees the DataFrame, the logistic an array
        logistic.classes_ = np.array([0, 1])
        if logistic.coef_.shape != (1, len(names)) or scaler.mean_.shape != (len(names),):
            raise ValueError(
                f"model document is inconsistent: {len(names)} features but coef "
                f"{logistic.coef_.shape}, mean {scaler.mean_.shape}"
            )
        model.pipeline_ = pipeline
        model.feature_names_in_ = names
        model.n_features_in_ = len(names)
        model.classes_ = np.array([0, 1])
        return model
