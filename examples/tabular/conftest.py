"""The ``ml_*`` fixtures that connect this project to ``pytest --ml-score``.

Each fixture hands one of the project's real objects to the built-in checks:
the intake table, the pandera schema, the trained model from the model store,
the sweep results, the metric log. Session scope: everything is computed once
(the whole run takes 10-25 s on two cores). ``TABULAR_PLANT`` plants a problem
(see ``plants.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plants
import pytest
from tabular_app.config import SWEEP_GRID, ModelConfig
from tabular_app.data import TARGET, load_intake, received_before, split_by_date
from tabular_app.features import FEATURES, size_band
from tabular_app.metrics import cost_weighted_accuracy
from tabular_app.pipeline import FAST_SUBSET_ROWS, evaluate, train, training_table
from tabular_app.schema import intake_schema
from tabular_app.store import MODEL_NAME, ModelStore
from tabular_app.sweep import run_sweep

from mltestscore import Metric

pytest_plugins = ["infra_fixtures"]  # infra, monitoring and error-analysis fixtures

HERE = Path(__file__).parent
# Each model version was trained on the intake received before its creation date.
VERSIONS = ("2023-07-01", "2023-12-01", "2024-03-01")
SERVING_VERSION = 2  # v2 serves; v3 (trained on everything before the cutoff) is the candidate


def pytest_configure(config: pytest.Config) -> None:
    try:
        plants.active()
    except ValueError as exc:  # a typo in TABULAR_PLANT: stop before anything runs
        raise pytest.UsageError(str(exc)) from None


# -- the project's data and configuration ------------------------------------------------
@pytest.fixture(scope="session")
def plant() -> str:
    return plants.active()


@pytest.fixture(scope="session")
def intake(plant: str) -> pd.DataFrame:
    return plants.apply_to_intake(load_intake(seed=0), plant)


@pytest.fixture(scope="session")
def raw_train(intake: pd.DataFrame) -> pd.DataFrame:
    return split_by_date(intake)[0]


@pytest.fixture(scope="session")
def raw_current(intake: pd.DataFrame) -> pd.DataFrame:
    return split_by_date(intake)[1]


@pytest.fixture(scope="session")
def config() -> ModelConfig:
    return ModelConfig()


@pytest.fixture(scope="session")
def extra_features(plant: str) -> dict[str, Callable[[pd.DataFrame], object]]:
    return plants.extra_features(plant)


@pytest.fixture(scope="session")
def model_store(
    tmp_path_factory: pytest.TempPathFactory,
    intake: pd.DataFrame,
    config: ModelConfig,
    extra_features: dict[str, Callable[[pd.DataFrame], object]],
) -> ModelStore:
    """The versions trained over time: each on the intake received before its date."""
    store = ModelStore(tmp_path_factory.mktemp("model_store"))
    for created in VERSIONS:
        rows = received_before(intake, created)
        model = train(rows, config, extra_features)
        when = dt.datetime.fromisoformat(created).replace(tzinfo=dt.UTC)
        store.save(model, MODEL_NAME, created_at=when, metrics={"train_rows": len(rows)})
    store.promote(MODEL_NAME, SERVING_VERSION)
    return store


# -- shared check inputs (docs/inputs.md) -----------------------------------------------
@pytest.fixture(scope="session")
def ml_target() -> str:
    return TARGET


@pytest.fixture(scope="session")
def ml_metric() -> Metric:
    return Metric("cost_weighted_accuracy", cost_weighted_accuracy, higher_is_better=True)


@pytest.fixture(scope="session")
def ml_model(model_store: ModelStore) -> Any:
    """The candidate: the newest version, loaded back from its JSON in the store."""
    return model_store.load(MODEL_NAME, len(VERSIONS))[0]


@pytest.fixture(scope="session")
def ml_train_data(
    raw_train: pd.DataFrame, config: ModelConfig, extra_features: dict[str, Any]
) -> pd.DataFrame:
    """The model's training table: its input features plus ``diagnosis``."""
    return training_table(raw_train, config, extra_features)


@pytest.fixture(scope="session")
def ml_eval_data(
    raw_current: pd.DataFrame, config: ModelConfig, extra_features: dict[str, Any]
) -> pd.DataFrame:
    """Current data (received after the cutoff), as the model's input table."""
    return training_table(raw_current, config, extra_features)


@pytest.fixture(scope="session")
def ml_schema() -> Any:
    return intake_schema(labelled=True)


# -- data section ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_data1_train_data(raw_train: pd.DataFrame) -> pd.DataFrame:
    """data.1 validates the raw intake rows the training table was built from."""
    return raw_train


@pytest.fixture(scope="session")
def ml_feature_fns(
    config: ModelConfig, extra_features: dict[str, Callable[[pd.DataFrame], object]]
) -> dict[str, Callable[[pd.DataFrame], object]]:
    return {name: FEATURES[name] for name in config.features} | extra_features


@pytest.fixture(scope="session")
def ml_raw_data(raw_train: pd.DataFrame) -> pd.DataFrame:
    return raw_train


@pytest.fixture(scope="session")
def ml_data5_train_data(raw_train: pd.DataFrame) -> pd.DataFrame:
    """data.5 scans the whole intake export, ids and sites included."""
    return raw_train


@pytest.fixture(scope="session")
def ml_add_feature_pipeline(
    raw_train: pd.DataFrame,
    raw_current: pd.DataFrame,
    config: ModelConfig,
    extra_features: dict[str, Callable[[pd.DataFrame], object]],
) -> Callable[[str, Callable[[pd.DataFrame], object]], dict[str, Any]]:
    """The fast-subset pipeline with one more feature: compute, train, evaluate."""

    def run(name: str, fn: Callable[[pd.DataFrame], object]) -> dict[str, Any]:
        extra = extra_features | {name: fn}
        model = train(raw_train.head(FAST_SUBSET_ROWS), config, extra)
        metrics = evaluate(model, training_table(raw_current, config, extra))
        return {"model": model, "metrics": metrics}

    return run


# -- model section -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_metric_log() -> Path:
    """Offline and online metrics logged for past versions (see docs/metric_log.md)."""
    return HERE / "data" / "metric_log.csv"


@pytest.fixture(scope="session")
def ml_sweep_results(ml_train_data: pd.DataFrame) -> pd.DataFrame:
    """The sweep, re-run: 5-fold cross-validation over ``SWEEP_GRID``."""
    return run_sweep(ml_train_data, SWEEP_GRID)


@pytest.fixture(scope="session")
def ml_hyperparameters(config: ModelConfig) -> dict[str, float]:
    return config.hyperparameters()


@pytest.fixture(scope="session")
def ml_chosen_config(config: ModelConfig) -> dict[str, float]:
    return config.hyperparameters()


@pytest.fixture(scope="session")
def ml_model4_model_store(model_store: ModelStore) -> ModelStore:
    """model.4 evaluates every stored version on current data (ages as of thresholds.as_of)."""
    return model_store


@pytest.fixture(scope="session")
def ml_model_name() -> str:
    return MODEL_NAME


@pytest.fixture(scope="session")
def ml_slices(raw_current: pd.DataFrame) -> dict[str, np.ndarray]:
    """Tumour-size bands (from the raw worst radius, not a model input) over the eval rows."""
    bands = size_band(raw_current["worst_radius"])
    return {f"size={band}": bands == band for band in ("small", "medium", "large")}


@pytest.fixture(scope="session")
def ml_previous_model(model_store: ModelStore) -> Any:
    """The serving version: model.6 checks no slice got worse than with it."""
    return model_store.load(MODEL_NAME, SERVING_VERSION)[0]


@pytest.fixture(scope="session")
def ml_groups(raw_current: pd.DataFrame) -> dict[str, np.ndarray]:
    """The (synthetic) referring site of each eval row."""
    return {"site": raw_current["site"].to_numpy()}
