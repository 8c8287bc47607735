"""The broken copy: the healthy project's fixtures, with planted bugs in a few of them.

All fixtures of ``examples/recognizer/conftest.py`` are loaded as a plugin; the
fixtures below override the ones a bug lives in (README.md lists each bug and the
rubric test it fails).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from broken_app import bugs
from digits_app import history, pipeline, traffic
from digits_app.model_config import AppConfig
from digits_app.serving import LineService

from mltestscore.reference_model.models import LineRecognizer
from mltestscore.reference_model.store import ModelStore
from mltestscore.reference_model.train import TrainResult

RECOGNIZER = Path(__file__).resolve().parents[1] / "recognizer"
_spec = importlib.util.spec_from_file_location("recognizer_conftest", RECOGNIZER / "conftest.py")
if _spec is None or _spec.loader is None:
    raise ImportError(f"cannot load {RECOGNIZER / 'conftest.py'}")
_module = importlib.util.module_from_spec(_spec)
sys.modules["recognizer_conftest"] = _module
_spec.loader.exec_module(_module)
pytest_plugins = ["recognizer_conftest"]


# infra.1: unseeded shuffling
@pytest.fixture(scope="session")
def ml_train_fn(app: AppConfig, data: pipeline.Splits) -> Callable[[int], LineRecognizer]:
    return lambda seed: bugs.unseeded_fast_train(app, data, seed)


# infra.2: a frozen layer in the model spec
@pytest.fixture(scope="session")
def ml_infra2_model(app: AppConfig) -> LineRecognizer:
    torch.manual_seed(app.seed)
    return bugs.FrozenTemporalCNN(app.recognizer)


# infra.4: the candidate under validation was trained on a truncated dataset
@pytest.fixture(scope="session")
def ml_infra4_model(app: AppConfig, data: pipeline.Splits) -> LineRecognizer:
    return bugs.truncated_candidate(app, data)


# infra.6: the artifact takes batches of one
@pytest.fixture(scope="session")
def ml_export_fn() -> Callable[..., Path]:
    return bugs.export_batch_of_one


# infra.7: the store keeps the serving version only
@pytest.fixture(scope="session")
def ml_infra7_model_store(
    released_store: ModelStore, tmp_path_factory: pytest.TempPathFactory
) -> ModelStore:
    return bugs.pruned_store(released_store, tmp_path_factory.mktemp("pruned"), history.NAME)


# monitor.4 and monitor.7: an incident rollback to v1 was never undone
@pytest.fixture(scope="session")
def released_store(
    store_with_candidate: tuple[ModelStore, int], serving_before: LineRecognizer
) -> ModelStore:
    store, _candidate = store_with_candidate
    store.rollback(history.NAME)  # BUG: rolled back to v1 during an incident, never forward
    return store  # and the release step that would promote the candidate never ran


# monitor.2 and monitor.3: serving's rewritten preprocessing
@pytest.fixture(scope="session")
def service(released_store: ModelStore, app: AppConfig) -> LineService:
    served = LineService.from_onnx(released_store.export(history.NAME))
    careless = LineService(served.runner, bugs.careless_prepare)
    week = traffic.traffic(app.recognizer.data, 300, traffic.SERVING_SEED)
    careless.handle([f"req-{i:05d}" for i in range(len(week))], traffic.scans(week))
    return careless


@pytest.fixture(scope="session")
def ml_serving_data(service: LineService, app: AppConfig) -> np.ndarray:
    """Today's requests: a new client app uploads float scans in 0-255, unchecked."""
    today = traffic.traffic(app.recognizer.data, 100, traffic.SERVING_SEED + 7)
    floats = [scan.astype(np.float32) for scan in traffic.scans(today)]
    return np.concatenate([service.logged_inputs(), np.stack([service.prepare(s) for s in floats])])


# monitor.5: log-compressed activations
@pytest.fixture(scope="session")
def ml_monitor5_model(app: AppConfig, candidate: TrainResult) -> LineRecognizer:
    return bugs.LogCompressedCNN(app.recognizer, candidate.model)
