"""Error analysis of a trained recognizer, in the Full Stack Deep Learning playbook's terms.

Four error measurements (character error rate) separate the sources of error:

- ``train`` — lines the model trained on;
- ``train_val`` — new lines composed from the *training* scans (same digit images,
  new lines): the gap to ``train`` is memorization of lines (variance);
- ``test_val`` — the validation split: lines of digit images never trained on, the
  distribution the test comes from; the gap to ``train_val`` is the shift to unseen
  handwriting;
- ``test`` — the test split; the gap to ``test_val`` is validation overfitting
  (early stopping chose the epoch on ``test_val``).

Slices are line lengths and, per digit, the share of that digit's occurrences
misread or missed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from digits_app.evaluation import slices
from mltestscore.error_analysis import (
    ErrorAnalysis,
    LossCurve,
    SliceTable,
    confusion_pairs,
    worst_examples,
)
from mltestscore.reference_model.data import DigitLines, LineDataset
from mltestscore.reference_model.metrics import character_error_rate
from mltestscore.reference_model.metrics import confusion_pairs as edit_pairs
from mltestscore.reference_model.train import TrainResult, predict_lines

SAMPLE = 500  # lines per split measured


def _cer(result: TrainResult, lines: LineDataset) -> tuple[float, list[str]]:
    predictions = predict_lines(result.model, lines.images)
    return character_error_rate(predictions, lines.labels), predictions


def slice_table(labels: list[str], predictions: list[str], overall: float) -> SliceTable:
    values: dict[str, tuple[float, int]] = {}
    for name, mask in slices(labels).items():
        rows = np.flatnonzero(mask)
        if rows.size:
            picked = [predictions[i] for i in rows], [labels[i] for i in rows]
            values[f"lines: {name}"] = (character_error_rate(*picked), int(rows.size))
    misses = edit_pairs(predictions, labels)
    occurrences = Counter("".join(labels))
    for digit in "0123456789":
        missed = sum(n for (truth, _), n in misses.items() if truth == digit)
        values[f"digit {digit}"] = (missed / occurrences[digit], occurrences[digit])
    return SliceTable.from_mapping(
        values, metric="character error rate", higher_is_better=False, overall=overall
    )


def error_analysis(result: TrainResult, data: dict[str, LineDataset]) -> ErrorAnalysis:
    """The report's error-analysis part for ``result`` (train/val/test of ``data``)."""
    fresh = DigitLines(result.config.data).generate(
        "train", SAMPLE, seed=result.config.data.seed + 1
    )
    errors: dict[str, float] = {
        "train": _cer(result, data["train"].head(SAMPLE))[0],
        "train_val": _cer(result, fresh)[0],
        "test_val": _cer(result, data["val"].head(SAMPLE))[0],
    }
    test = data["test"]
    errors["test"], predictions = _cer(result, test)
    labels = list(test.labels)
    per_line = [
        Levenshtein.distance(p, t) / max(len(t), 1)
        for p, t in zip(predictions, labels, strict=True)
    ]
    notes: Any = (
        f"{result.parameters:,} parameters, {len(result.history)} epochs on "
        f"{result.train_lines:,} lines ({result.stopped}); best epoch {result.best_epoch}. "
        "The loss curve has one point per epoch (mean training loss)."
    )
    return ErrorAnalysis(
        errors=errors,
        irreducible=0.0,
        metric="character error rate",
        slices=slice_table(labels, predictions, errors["test"]),
        confusions=confusion_pairs(labels, predictions, characters=True),
        loss_curve=LossCurve.from_losses([entry.train_loss for entry in result.history]),
        worst_examples=worst_examples(
            [f"test-{i}" for i in range(len(labels))],
            labels,
            predictions,
            per_line,
            images=[image[0] for image in test.images.numpy()],
            top=8,
        ),
        notes=notes,
    )
