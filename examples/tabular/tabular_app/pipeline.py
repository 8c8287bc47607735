"""The training pipeline: intake rows -> features -> fitted :class:`RiskModel` -> metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from tabular_app.config import ModelConfig
from tabular_app.data import TARGET
from tabular_app.features import build_features
from tabular_app.metrics import cost_weighted_accuracy
from tabular_app.model import RiskModel

FAST_SUBSET_ROWS = 200  # training rows of the fast pipeline (data.6, infra.1, infra.3)

ExtraFeatures = Mapping[str, Callable[[pd.DataFrame], object]]


def training_table(
    raw: pd.DataFrame, config: ModelConfig, extra: ExtraFeatures | None = None
) -> pd.DataFrame:
    """The model's input features plus the ``diagnosis`` label, one row per intake row."""
    table = build_features(raw, config.features, extra)
    table[TARGET] = raw[TARGET].to_numpy()
    return table


def train(raw: pd.DataFrame, config: ModelConfig, extra: ExtraFeatures | None = None) -> RiskModel:
    """Fit the configured model on ``raw`` intake rows (plus ``extra`` features)."""
    table = training_table(raw, config, extra)
    return RiskModel.from_config(config).fit(table.drop(columns=[TARGET]), table[TARGET])


def evaluate(model: RiskModel, table: pd.DataFrame) -> dict[str, float]:
    """Cost-weighted accuracy, accuracy and sensitivity on a labelled feature table."""
    truth = table[TARGET].to_numpy()
    pred = model.predict(table.drop(columns=[TARGET]))
    positives = truth == 1
    return {
        "cost_weighted_accuracy": cost_weighted_accuracy(truth, pred),
        "accuracy": float((pred == truth).mean()),
        "sensitivity": float(pred[positives].mean()) if positives.any() else float("nan"),
    }
