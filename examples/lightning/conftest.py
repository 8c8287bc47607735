"""The digit-line reader trained with Lightning, versions in MLflow: the ``ml_*`` fixtures."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from digits_app import features, traffic
from digits_app.baseline import SegmentingBaseline
from digits_app.evaluation import CER, LineReader, evaluate_cer, slices, style_groups
from digits_app.importance import band_importance
from digits_app.model_config import load_config
from digits_app.newfeature import add_feature
from recognizer_pl.datamodule import DigitLinesDataModule
from recognizer_pl.module import LineReaderModule
from recognizer_pl.registry import NAME, build_registry
from recognizer_pl.serving import onnx_service, recent_requests, serve_a_week

from mltestscore.checks.integrations import mlflow_runs
from mltestscore.checks.integrations.lightning_fixtures import lightning_fixtures
from mltestscore.schema import TensorSchema

ROOT = Path(__file__).parent
SWEPT = ("lr", "hidden", "dropout")  # the hyperparameters of the sweep (model.3)
TRAIN_STEPS = int(os.environ.get("DIGITS_PL_STEPS", "376"))  # 2 epochs of 6,000 lines


def pytest_configure(config: pytest.Config) -> None:
    torch.set_num_threads(int(os.environ.get("DIGITS_APP_THREADS", "2")))


def define(name: str, fn: Any) -> None:
    globals()[name] = pytest.fixture(fn, scope="session", name=name)


define("app", lambda: load_config(ROOT / "recognizer_pl" / "config.toml"))
define("ml_lightning_module", lambda app: lambda: LineReaderModule(app.recognizer))
define("ml_datamodule", lambda app: DigitLinesDataModule(app.recognizer.data))
lightning_fixtures(globals(), pytest.fixture, train_steps=TRAIN_STEPS, fit_steps=6)
define("ml_data", lambda: None)  # as ../recognizer: 128 lines are too few for val_improves
# the release serving before this one: a tenth of the training steps
define(
    "previous", lambda ml_lightning_inputs: ml_lightning_inputs.fit(1, max_steps=TRAIN_STEPS // 10)
)
define("ml_model_store", lambda tmp_path_factory, app, ml_model, previous: build_registry(
    tmp_path_factory.mktemp("mlflow"), app.recognizer, ml_model, previous))  # fmt: skip
define("ml_sweep_results", lambda ml_model_store: mlflow_runs.sweep_results(
    "sweep", metric="val_cer", tracking_uri=ml_model_store.tracking_uri))  # fmt: skip
define("ml_metric_log", lambda ml_model_store: mlflow_runs.metric_log(
    "releases", offline="offline", online="online", tracking_uri=ml_model_store.tracking_uri))  # fmt: skip
define("ml_model_name", lambda: NAME)
define("ml_metric", lambda: CER)
define("ml_evaluate", lambda: evaluate_cer)
define("ml_hyperparameters", lambda app: {k: getattr(app.recognizer, k) for k in SWEPT})
define("ml_chosen_config", lambda ml_hyperparameters: ml_hyperparameters)
define("splits", lambda ml_lightning_inputs: ml_lightning_inputs.datamodule.lines)
define("test_lines", lambda splits: splits["test"])
define("ml_eval_data", lambda test_lines: test_lines)
define("ml_serving_model", lambda previous: previous)
define("ml_slices", lambda test_lines: slices(test_lines.labels))
define("ml_groups", lambda test_lines: style_groups(test_lines.images.numpy(), test_lines.labels))
define("ml_canary_inputs", lambda test_lines: test_lines.images[:10].numpy())
for _name in ("ml_model5_model", "ml_model6_model", "ml_model7_model"):
    define(_name, lambda ml_model: LineReader(ml_model))
define("ml_schema", lambda: TensorSchema(shape=(1, 28, 256), dtype="float32", min_value=0.0,
                                        max_value=1.0, labels=tuple("0123456789"),
                                        label_sequences=True, name="line_image"))  # fmt: skip
define("ml_train_data", lambda splits: splits["train"])
define("ml_model5_train_data", lambda splits: splits["train"].head(300))
define("ml_baseline", lambda splits: SegmentingBaseline().fit(
    splits["train"].head(1500).images.numpy(), splits["train"].head(1500).labels))  # fmt: skip
define("ml_band_importance", lambda ml_model, test_lines: band_importance(
    LineReader(ml_model).predict, test_lines.head(300).images.numpy(),
    test_lines.head(300).labels)[1])  # fmt: skip
define("ml_importance", lambda ml_band_importance: {b.feature: b.mean for b in ml_band_importance})
define("ml_feature_fns", lambda: features.band_features())
define("ml_feature_fn", lambda: features.training_features)
define("ml_feature_names", lambda: features.FEATURE_NAMES)
define("ml_raw_data", lambda test_lines: traffic.scans(test_lines.head(500)))
define("ml_data5_train_data", lambda splits: traffic.line_metadata(splits["train"]))
define("ml_add_feature_pipeline", lambda app, splits: lambda n, fn: add_feature(app, splits, n, fn))
define("service", lambda ml_model_store, ml_model, app, tmp_path_factory: serve_a_week(
    ml_model, app.recognizer.data, tmp_path_factory.mktemp("serving")))  # fmt: skip
define("ml_serving_data", lambda service: service.logged_inputs())
define("ml_serving_log", lambda service: service.request_log())
define("ml_predict", lambda service: service.predict)
define("ml_baseline_predict", lambda previous, tmp_path_factory: onnx_service(
    previous, tmp_path_factory.mktemp("serving-before")).predict)  # fmt: skip
define("ml_monitor2_schema", lambda ml_schema: dataclasses.replace(
    ml_schema, labels=None, label_sequences=False))  # fmt: skip
define("ml_monitor3_train_data", lambda splits: features.fingerprint(
    splits["train"].images.numpy()))  # fmt: skip
define("ml_perf_inputs", lambda app: traffic.scans(traffic.traffic(
    app.recognizer.data, 32, traffic.SERVING_SEED)))  # fmt: skip
define("ml_recent_data", lambda app: recent_requests(app.recognizer.data))
