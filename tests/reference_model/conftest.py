"""Shared fixtures: small data and briefly trained tiny models (session-scoped, a few seconds)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from mltestscore.reference_model.config import CONFIGS, RecognizerConfig
from mltestscore.reference_model.data import DigitLinesConfig, LineDataset, make_splits
from mltestscore.reference_model.store import ModelStore
from mltestscore.reference_model.train import TrainResult, train

SMALL_DATA = DigitLinesConfig(seed=3, train_size=384, val_size=48, test_size=48)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long training runs only when asked: ``-m slow`` or MLTESTSCORE_SLOW=1."""
    asked = "slow" in (config.getoption("markexpr") or "").replace("not slow", "")
    if asked or os.environ.get("MLTESTSCORE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or MLTESTSCORE_SLOW=1")
    here = Path(__file__).parent
    for item in items:
        if "slow" in item.keywords and here in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _few_threads() -> None:
    torch.set_num_threads(1)  # small batches: a second thread mostly waits on a shared CPU


@pytest.fixture(scope="session")
def small_data() -> DigitLinesConfig:
    return SMALL_DATA


@pytest.fixture(scope="session")
def small_config() -> RecognizerConfig:
    return CONFIGS["tiny"].replace(data=SMALL_DATA, max_seconds=None)


@pytest.fixture(scope="session")
def small_splits() -> dict[str, LineDataset]:
    return make_splits(SMALL_DATA)


def _brief(config: RecognizerConfig, splits: dict[str, LineDataset], seed: int) -> TrainResult:
    return train(config, data=splits, seed=seed, max_epochs=2, log=None)


@pytest.fixture(scope="session")
def trained(small_config: RecognizerConfig, small_splits: dict[str, LineDataset]) -> TrainResult:
    return _brief(small_config, small_splits, seed=0)


@pytest.fixture(scope="session")
def trained_other(
    small_config: RecognizerConfig, small_splits: dict[str, LineDataset]
) -> TrainResult:
    return _brief(small_config, small_splits, seed=1)


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")
