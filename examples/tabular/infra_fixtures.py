"""Fixtures for a few infra and monitoring checks, and the report's error analysis.

The data and model fixtures they build on (``intake``, ``model_store``,
``ml_model``, …) are in ``conftest.py``, which loads this module as a plugin.
The recognizer example covers all 28 tests; these come cheap for a tabular model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tabular_app.config import ModelConfig
from tabular_app.data import TARGET, split_by_date
from tabular_app.metrics import cost_weighted_accuracy
from tabular_app.pipeline import FAST_SUBSET_ROWS, evaluate, train, training_table
from tabular_app.schema import intake_schema
from tabular_app.store import MODEL_NAME, ModelStore


@pytest.fixture(scope="session")
def ml_train_fn(
    raw_train: pd.DataFrame,
    config: ModelConfig,
    extra_features: dict[str, Callable[[pd.DataFrame], object]],
) -> Callable[[int], Any]:
    """infra.1: training on the fast subset (lbfgs/saga with a fixed random_state)."""

    def train_fn(seed: int) -> Any:
        return train(raw_train.head(FAST_SUBSET_ROWS), config, extra_features)

    return train_fn


@pytest.fixture(scope="session")
def ml_pipeline(
    intake: pd.DataFrame,
    config: ModelConfig,
    extra_features: dict[str, Callable[[pd.DataFrame], object]],
) -> dict[str, Callable[..., Any]]:
    """infra.3: data -> train -> evaluate -> export (JSON store) -> load -> predict."""

    def export(train: Any, workdir: Path) -> tuple[ModelStore, int]:
        store = ModelStore(workdir / "store")
        now = dt.datetime.now(dt.UTC)
        return store, store.save(train, MODEL_NAME, created_at=now)

    return {
        "data": lambda: split_by_date(intake),
        "train": lambda data: train(data[0].head(FAST_SUBSET_ROWS), config, extra_features),
        "evaluate": lambda train, data: evaluate(
            train, training_table(data[1], config, extra_features)
        ),
        "export": export,
        "load": lambda export: export[0].load(MODEL_NAME, export[1])[0],
        "predict": lambda load, data: load.predict(
            training_table(data[1], config, extra_features).drop(columns=[TARGET])
        ),
    }


@pytest.fixture(scope="session")
def ml_serving_model(ml_previous_model: Any) -> Any:
    """infra.4: the candidate (ml_model) must not be worse than the serving version."""
    return ml_previous_model


@pytest.fixture(scope="session")
def ml_serving_data(raw_current: pd.DataFrame) -> pd.DataFrame:
    """monitor.2: the logged serving requests since the cutoff (no diagnosis yet)."""
    return raw_current.drop(columns=[TARGET])


@pytest.fixture(scope="session")
def ml_monitor2_schema() -> Any:
    return intake_schema(labelled=False)


# -- the report's error-analysis part ----------------------------------------------------
@pytest.fixture(scope="session")
def ml_error_analysis(
    ml_model: Any,
    ml_train_data: pd.DataFrame,
    ml_eval_data: pd.DataFrame,
    ml_sweep_results: pd.DataFrame,
    ml_chosen_config: dict[str, float],
    ml_slices: dict[str, np.ndarray],
    raw_current: pd.DataFrame,
) -> Any:
    """Error decomposition (train / cross-validated / current data), slices, worst cases."""
    from mltestscore.error_analysis import (
        ErrorAnalysis,
        SliceMetric,
        SliceTable,
        confusion_pairs,
        worst_examples,
    )

    def error(table: pd.DataFrame) -> float:
        return 1.0 - cost_weighted_accuracy(table[TARGET], ml_model.predict(table))

    chosen = np.logical_and.reduce([ml_sweep_results[k] == v for k, v in ml_chosen_config.items()])
    truth = ml_eval_data[TARGET].to_numpy()
    pred = ml_model.predict(ml_eval_data)
    risk = ml_model.predict_proba(ml_eval_data)[:, 1]
    names = np.where(truth == 1, "malignant", "benign")
    said = np.where(pred == 1, "malignant", "benign")
    slices = SliceTable(
        "cost_weighted_accuracy",
        [
            SliceMetric(name, cost_weighted_accuracy(truth[mask], pred[mask]), int(mask.sum()))
            for name, mask in ml_slices.items()
        ],
        overall=cost_weighted_accuracy(truth, pred),
    )
    return ErrorAnalysis(
        errors={
            "train": error(ml_train_data),
            "val": 1.0 - float(ml_sweep_results.loc[chosen, "metric"].mean()),
            "test": error(ml_eval_data),
        },
        metric="1 − cost-weighted accuracy",
        slices=slices,
        confusions=confusion_pairs(list(names), list(said)),
        worst_examples=worst_examples(
            list(raw_current["patient_id"]),
            list(names),
            list(said),
            list(np.abs(truth - risk)),
        ),
        notes="val = 5-fold cross-validation of the chosen configuration on the training "
        "rows; test = the current data (received since 2024-03-01).",
    )
