"""The ML pipeline: data → train → evaluate → export → load → predict, and the release step.

Full runs train the spec in ``config.toml``. The *fast subset* (a few hundred
lines, a few optimizer steps) runs the same code in seconds; CI uses it to check
that training is reproducible (infra.1), that the pipeline works end to end
(infra.3) and that a new feature can be added (data.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from digits_app.cache import cached
from digits_app.features import model_inputs
from digits_app.model_config import AppConfig
from digits_app.traffic import scans
from mltestscore.reference_model.data import LineDataset, make_splits
from mltestscore.reference_model.export import ExportedRecognizer, export_model, load_exported
from mltestscore.reference_model.metrics import character_error_rate, line_accuracy
from mltestscore.reference_model.models import LineRecognizer
from mltestscore.reference_model.store import ModelStore
from mltestscore.reference_model.train import TrainResult, predict_lines, train

Splits = dict[str, LineDataset]
FAST_TRAIN_LINES = 192
FAST_VAL_LINES = 64
FAST_EPOCHS = 1  # 6 optimizer steps of 32 lines


def load_data(app: AppConfig) -> Splits:
    """Train / val / test lines for the spec (deterministic)."""
    return make_splits(app.recognizer.data)


def train_candidate(app: AppConfig, data: Splits, *, log: Any = None) -> TrainResult:
    """Train the release candidate on the full spec (reused from DIGITS_APP_CACHE if set)."""
    parts = {"run": "candidate", "config": app.recognizer.to_dict(), "seed": app.seed}
    return cached(parts, lambda: train(app.recognizer, data=data, seed=app.seed, log=log))


def fast_subset(data: Splits) -> Splits:
    """The first lines of train and val (prefixes: the same lines on every machine)."""
    return {"train": data["train"].head(FAST_TRAIN_LINES), "val": data["val"].head(FAST_VAL_LINES)}


def fast_train(app: AppConfig, data: Splits, seed: int) -> LineRecognizer:
    """Train on the fast subset with ``seed`` (infra.1 calls this twice)."""
    result = train(
        app.recognizer, data=fast_subset(data), seed=seed, max_epochs=FAST_EPOCHS, log=None
    )
    return result.model


def evaluate(model: LineRecognizer, lines: LineDataset) -> dict[str, float]:
    """Character error rate and exact-line accuracy on ``lines``."""
    predictions = predict_lines(model, lines.images)
    return {
        "cer": character_error_rate(predictions, lines.labels),
        "line_accuracy": line_accuracy(predictions, lines.labels),
    }


def export(model: LineRecognizer, path: Path) -> Path:
    """The ONNX artifact serving runs (verified against torch by the exporter)."""
    example = model_inputs([np.zeros((28, 16), dtype=np.uint8)])  # (1, 1, H, W)
    return export_model(model, path, torch.from_numpy(example))


@dataclass(frozen=True)
class IntegrationRun:
    """The stages infra.3 runs, bound to the data they start from."""

    app: AppConfig
    data: Splits

    def stages(self) -> dict[str, Callable[..., Any]]:
        def data() -> Splits:
            return fast_subset(self.data)

        def train_stage(data: Splits) -> LineRecognizer:
            return fast_train(self.app, data, seed=self.app.seed)

        def evaluate_stage(train: LineRecognizer, data: Splits) -> dict[str, float]:
            return evaluate(train, data["val"])

        def export_stage(train: LineRecognizer, workdir: Path) -> Path:
            return export(train, workdir / "model.onnx")

        def load(export: Path) -> ExportedRecognizer:
            return load_exported(export)

        def predict(load: ExportedRecognizer, data: Splits) -> list[str]:
            served = model_inputs(scans(data["val"].head(8)))
            return load.predict(served)

        return {
            "data": data,
            "train": train_stage,
            "evaluate": evaluate_stage,
            "export": export_stage,
            "load": load,
            "predict": predict,
        }


def release(
    store: ModelStore, candidate: int, val_lines: LineDataset, *, name: str = "recognizer"
) -> bool:
    """Promote ``candidate`` when it reads ``val_lines`` no worse than the serving version."""
    serving = store.serving_version(name)
    if serving is not None and serving != candidate:
        current, _ = store.load(name, serving)
        new, _ = store.load(name, candidate)
        if evaluate(new, val_lines)["cer"] > evaluate(current, val_lines)["cer"]:
            return False
    store.promote(name, candidate)
    return True
