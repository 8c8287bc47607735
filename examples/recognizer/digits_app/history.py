"""The model store with the team's release history (model.4, infra.4, infra.7, monitor.4).

A real store outlives CI runs; an example has to rebuild it. The two earlier
releases are retrained the way they were made back then — on the data of their
time (shorter, cleaner lines) with the smaller training budgets of the time — and
stored with their real ages as ``created_at``. Each release records its answers
to the canary lines when it is stored, as a release pipeline does, so a rollback
can be checked against what that version really answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from digits_app.cache import cached
from digits_app.model_config import AppConfig
from mltestscore.inputs.arrays import content_id
from mltestscore.reference_model.data import DigitLines
from mltestscore.reference_model.models import LineRecognizer
from mltestscore.reference_model.store import ModelStore
from mltestscore.reference_model.train import TrainResult, predict_lines, train

NAME = "recognizer"


@dataclass(frozen=True)
class PastRelease:
    """An earlier release: how old it is and what it was trained on."""

    age_days: float
    data: dict[str, Any]  # DigitLinesConfig changes: the data of its time
    train_lines: int
    epochs: int


PAST_RELEASES = (
    PastRelease(120.0, {"seed": 11, "max_length": 6, "noise": 0.02}, train_lines=2048, epochs=2),
    PastRelease(45.0, {"seed": 12, "max_length": 9, "noise": 0.05}, train_lines=2048, epochs=2),
)


def _record(store: ModelStore, version: int, model: LineRecognizer, canary: np.ndarray) -> None:
    import torch

    answers = predict_lines(model, torch.from_numpy(canary))
    store.record_predictions(NAME, version, content_id(canary), answers)


def train_past(app: AppConfig, release: PastRelease) -> TrainResult:
    """Retrain an earlier release on the data of its time."""
    config = app.recognizer.replace(data=release.data)

    def run() -> TrainResult:
        lines = DigitLines(config.data)
        data = {
            "train": lines.generate("train", release.train_lines),
            "val": lines.generate("val", 128),
        }
        return train(config, data=data, seed=app.seed, max_epochs=release.epochs, log=None)

    parts = {"run": "past", "config": config.to_dict(), "seed": app.seed, "release": repr(release)}
    return cached(parts, run)


def build_store(
    root: Path, app: AppConfig, candidate: TrainResult, canary: np.ndarray, *, now: dt.datetime
) -> tuple[ModelStore, int]:
    """The store with the past releases (the last one serving) and the unpromoted candidate."""
    store = ModelStore(root)
    for release in PAST_RELEASES:
        result = train_past(app, release)
        created = now - dt.timedelta(days=release.age_days)
        version = store.save(
            result.model, result.config, name=NAME, metrics=result.metrics(), created_at=created
        )
        _record(store, version, result.model, canary)
        store.promote(NAME, version)
    version = store.save(
        candidate.model, candidate.config, name=NAME, metrics=candidate.metrics(), created_at=now
    )
    _record(store, version, candidate.model, canary)
    return store, version
