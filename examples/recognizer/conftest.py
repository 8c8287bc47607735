"""How the digit-line reader is connected to the ML Test Score: the ``ml_*`` fixtures.

``pytest --ml-score`` runs the 28 built-in rubric checks; each takes its inputs
from the fixtures below (``ml_<input>``; ``ml_<section><n>_<input>`` feeds one
check only). Everything expensive is session-scoped and made once: the data, the
release candidate (trained on the spec in ``digits_app/config.toml``), the model
store with the release history, and a serving process answering a week of
simulated traffic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from digits_app import analysis, features, history, pipeline, traffic
from digits_app.baseline import SegmentingBaseline
from digits_app.evaluation import CER, LineReader, evaluate_cer, slices, style_groups
from digits_app.importance import BandImportance, band_importance
from digits_app.losses import ctc_loss_fn, encode_targets
from digits_app.model_config import AppConfig, load_config
from digits_app.newfeature import add_feature
from digits_app.serving import LineService

from mltestscore.error_analysis import ErrorAnalysis
from mltestscore.reference_model.data import LineDataset
from mltestscore.reference_model.models import LineRecognizer, build_model
from mltestscore.reference_model.store import ModelStore
from mltestscore.reference_model.train import TrainResult
from mltestscore.schema import TensorSchema

ROOT = Path(__file__).parent
THREADS = int(os.environ.get("DIGITS_APP_THREADS", "2"))
SERVING_REQUESTS = 300
RECENT_REQUESTS = 300
PERF_BATCH = 32


def pytest_configure(config: pytest.Config) -> None:
    torch.set_num_threads(THREADS)


# -- the system ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def app() -> AppConfig:
    return load_config()


@pytest.fixture(scope="session")
def data(app: AppConfig) -> pipeline.Splits:
    return pipeline.load_data(app)


@pytest.fixture(scope="session")
def candidate(app: AppConfig, data: pipeline.Splits) -> TrainResult:
    """The release candidate, trained once per session on the full spec."""
    return pipeline.train_candidate(app, data)


@pytest.fixture(scope="session")
def canary(app: AppConfig) -> np.ndarray:
    """Canary lines (model inputs ``(10, 1, 28, 256)``) from test scans."""
    return traffic.canary_lines(app.recognizer.data).images.numpy()


@pytest.fixture(scope="session")
def store_with_candidate(
    tmp_path_factory: pytest.TempPathFactory,
    app: AppConfig,
    candidate: TrainResult,
    canary: np.ndarray,
) -> tuple[ModelStore, int]:
    now = dt.datetime.now(dt.UTC)
    return history.build_store(tmp_path_factory.mktemp("store"), app, candidate, canary, now=now)


@pytest.fixture(scope="session")
def serving_before(store_with_candidate: tuple[ModelStore, int]) -> LineRecognizer:
    """The model serving before this release (loaded before the candidate is promoted)."""
    store, _ = store_with_candidate
    model, _meta = store.load(history.NAME, store.serving_version(history.NAME))
    return model


@pytest.fixture(scope="session")
def released_store(
    store_with_candidate: tuple[ModelStore, int],
    serving_before: LineRecognizer,
    data: pipeline.Splits,
) -> ModelStore:
    """The store after the release step promoted the candidate."""
    store, version = store_with_candidate
    if not pipeline.release(store, version, data["val"]):
        raise RuntimeError(
            f"the release step kept the serving model: candidate v{version} is worse"
        )
    return store


@pytest.fixture(scope="session")
def service(released_store: ModelStore, app: AppConfig) -> LineService:
    """The serving process after the release, having answered a week of traffic."""
    service = LineService.from_onnx(released_store.export(history.NAME))
    week = traffic.traffic(app.recognizer.data, SERVING_REQUESTS, traffic.SERVING_SEED)
    ids = [f"req-{i:05d}" for i in range(len(week))]
    service.handle(ids, traffic.scans(week))
    return service


@pytest.fixture(scope="session")
def test_lines(data: pipeline.Splits) -> LineDataset:
    return data["test"]


@pytest.fixture(scope="session")
def reader(candidate: TrainResult) -> LineReader:
    return LineReader(candidate.model)


# -- shared inputs of the built-in checks -------------------------------------------
@pytest.fixture(scope="session")
def ml_model(candidate: TrainResult) -> LineRecognizer:
    return candidate.model


@pytest.fixture(scope="session")
def ml_train_data(data: pipeline.Splits) -> LineDataset:
    return data["train"]


@pytest.fixture(scope="session")
def ml_eval_data(test_lines: LineDataset) -> LineDataset:
    return test_lines


@pytest.fixture(scope="session")
def ml_metric() -> Any:
    return CER


@pytest.fixture(scope="session")
def ml_schema() -> TensorSchema:
    """What a model input is: one grey line image in [0, 1], digit-string labels."""
    return TensorSchema(
        shape=(1, features.HEIGHT, features.WIDTH),
        dtype="float32",
        min_value=0.0,
        max_value=1.0,
        labels=tuple("0123456789"),
        label_sequences=True,
        name="line_image",
    )


@pytest.fixture(scope="session")
def ml_slices(test_lines: LineDataset) -> dict[str, np.ndarray]:
    return slices(test_lines.labels)


@pytest.fixture(scope="session")
def ml_canary_inputs(canary: np.ndarray) -> np.ndarray:
    return canary


@pytest.fixture(scope="session")
def ml_model_store(released_store: ModelStore) -> ModelStore:
    return released_store


@pytest.fixture(scope="session")
def ml_model_name() -> str:
    return history.NAME


# -- data ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_band_importance(reader: LineReader, test_lines: LineDataset) -> list[BandImportance]:
    """Input of the team's data.2 check (tests/test_team_checks.py)."""
    lines = test_lines.head(300)
    _base, bands = band_importance(reader.predict, lines.images.numpy(), lines.labels)
    return bands


@pytest.fixture(scope="session")
def ml_importance(ml_band_importance: list[BandImportance]) -> dict[str, float]:
    return {band.feature: band.mean for band in ml_band_importance}


@pytest.fixture(scope="session")
def ml_feature_fns() -> dict[str, Callable[..., Any]]:
    return features.band_features()


@pytest.fixture(scope="session")
def ml_raw_data(test_lines: LineDataset) -> list[np.ndarray]:
    return traffic.scans(test_lines.head(500))


@pytest.fixture(scope="session")
def ml_feature_names() -> tuple[str, ...]:
    return features.FEATURE_NAMES


@pytest.fixture(scope="session")
def ml_data5_train_data(data: pipeline.Splits) -> pd.DataFrame:
    """What the pipeline stores about each training line besides pixels."""
    return traffic.line_metadata(data["train"])


@pytest.fixture(scope="session")
def ml_add_feature_pipeline(app: AppConfig, data: pipeline.Splits) -> Callable[..., Any]:
    return lambda name, feature_fn: add_feature(app, data, name, feature_fn)


# -- model ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_metric_log() -> Path:
    return ROOT / "history" / "metric_log.csv"


@pytest.fixture(scope="session")
def ml_sweep_results() -> Path:
    return ROOT / "history" / "sweep.csv"


@pytest.fixture(scope="session")
def ml_hyperparameters(app: AppConfig) -> dict[str, Any]:
    config = app.recognizer
    return {"lr": config.lr, "hidden": config.hidden, "dropout": config.dropout}


@pytest.fixture(scope="session")
def ml_chosen_config(ml_hyperparameters: dict[str, Any]) -> dict[str, Any]:
    return ml_hyperparameters


@pytest.fixture(scope="session")
def ml_evaluate() -> Callable[[Any, Any], float]:
    return evaluate_cer


@pytest.fixture(scope="session")
def ml_model5_model(reader: LineReader) -> LineReader:
    return reader


@pytest.fixture(scope="session")
def ml_model5_train_data(data: pipeline.Splits) -> LineDataset:
    """Where the built-in baselines train: the most frequent line wins for the majority
    baseline; logistic regression on pixels is skipped for hundreds of distinct lines,
    which is why the team provides its own baseline below. A sample is enough for both."""
    return data["train"].head(300)


@pytest.fixture(scope="session")
def ml_baseline(data: pipeline.Splits) -> SegmentingBaseline:
    """The team's classical baseline: segmentation + logistic regression per glyph."""
    train = data["train"].head(1500)
    return SegmentingBaseline().fit(train.images.numpy(), train.labels)


@pytest.fixture(scope="session")
def ml_model6_model(reader: LineReader) -> LineReader:
    return reader


@pytest.fixture(scope="session")
def ml_previous_model(serving_before: LineRecognizer) -> LineReader:
    return LineReader(serving_before)


@pytest.fixture(scope="session")
def ml_model7_model(reader: LineReader) -> LineReader:
    return reader


@pytest.fixture(scope="session")
def ml_groups(test_lines: LineDataset) -> dict[str, np.ndarray]:
    return style_groups(test_lines.images.numpy(), test_lines.labels)


# -- infrastructure ------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_train_fn(app: AppConfig, data: pipeline.Splits) -> Callable[[int], LineRecognizer]:
    return lambda seed: pipeline.fast_train(app, data, seed)


@pytest.fixture(scope="session")
def ml_infra2_model(app: AppConfig) -> LineRecognizer:
    """The model spec under unit test: a freshly initialised model of the config."""
    torch.manual_seed(app.seed)
    return build_model(app.recognizer)


@pytest.fixture(scope="session")
def ml_batch(data: pipeline.Splits) -> tuple[torch.Tensor, torch.Tensor]:
    lines = data["train"].head(16)
    return lines.images, encode_targets(lines.labels)


@pytest.fixture(scope="session")
def ml_loss_fn() -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return ctc_loss_fn


@pytest.fixture(scope="session")
def ml_optimizer(app: AppConfig) -> Callable[[Any], torch.optim.Optimizer]:
    """The training loop's optimizer, as the smoke suite builds it for each check."""
    config = app.recognizer
    return lambda params: torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


@pytest.fixture(scope="session")
def ml_pipeline(app: AppConfig, data: pipeline.Splits) -> dict[str, Callable[..., Any]]:
    return pipeline.IntegrationRun(app, data).stages()


@pytest.fixture(scope="session")
def ml_serving_model(serving_before: LineRecognizer) -> LineRecognizer:
    return serving_before


@pytest.fixture(scope="session")
def ml_example(test_lines: LineDataset) -> torch.Tensor:
    return test_lines.images[:1]


@pytest.fixture(scope="session")
def ml_export_fn() -> Callable[..., Path]:
    from mltestscore.reference_model.export import export_model

    return export_model


@pytest.fixture(scope="session")
def ml_serve_command() -> str:
    return (
        "{python} -m mltestscore.reference_model.export serve-canary "
        "--model {artifact} --inputs {inputs} --outputs {outputs}"
    )


# -- monitoring ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_monitor2_schema(ml_schema: TensorSchema) -> TensorSchema:
    """The data.1 schema for inputs alone: requests carry no label."""
    return dataclasses.replace(ml_schema, labels=None, label_sequences=False)


@pytest.fixture(scope="session")
def ml_serving_data(service: LineService) -> np.ndarray:
    return service.logged_inputs()


@pytest.fixture(scope="session")
def ml_serving_log(service: LineService) -> tuple[pd.DataFrame, pd.DataFrame]:
    return service.request_log()


@pytest.fixture(scope="session")
def ml_feature_fn() -> Callable[[pd.DataFrame], pd.DataFrame]:
    return features.training_features


@pytest.fixture(scope="session")
def ml_monitor3_train_data(data: pipeline.Splits) -> pd.DataFrame:
    """Fingerprints of the training inputs: the reference for distribution skew."""
    return features.fingerprint(data["train"].images.numpy())


@pytest.fixture(scope="session")
def ml_predict(service: LineService) -> Callable[[Any], list[str]]:
    return service.predict


@pytest.fixture(scope="session")
def ml_baseline_predict(
    tmp_path_factory: pytest.TempPathFactory, serving_before: LineRecognizer, app: AppConfig
) -> Callable[[Any], list[str]]:
    """The version that served before this release, served the same way (ONNX): monitor.6
    times it beside the candidate, in the same run, on the same requests."""
    from mltestscore.reference_model.export import export_model

    data = app.recognizer.data
    path = tmp_path_factory.mktemp("serving-before") / "model.onnx"
    export_model(serving_before, path, torch.zeros(1, 1, data.height, data.width))  # (B, 1, H, W)
    return LineService.from_onnx(path).predict


@pytest.fixture(scope="session")
def ml_perf_inputs(app: AppConfig) -> list[np.ndarray]:
    lines = traffic.traffic(app.recognizer.data, PERF_BATCH, traffic.SERVING_SEED)
    return traffic.scans(lines)


@pytest.fixture(scope="session")
def ml_recent_data(app: AppConfig) -> tuple[list[np.ndarray], list[str]]:
    """Last days' requests whose transcriptions were confirmed by people."""
    recent = traffic.traffic(app.recognizer.data, RECENT_REQUESTS, traffic.RECENT_SEED)
    return traffic.scans(recent), list(recent.labels)


# -- error analysis ------------------------------------------------------------------
@pytest.fixture(scope="session")
def ml_error_analysis(candidate: TrainResult, data: pipeline.Splits) -> ErrorAnalysis:
    return analysis.error_analysis(candidate, data)
