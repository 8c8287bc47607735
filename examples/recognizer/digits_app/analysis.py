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
misread or missed. Every error and slice carries its per-line edits and characters,
so the report gives each a bootstrap interval and advises only outside the noise;
the loss curve has one point per training step.
"""

from __future__ import annotations

from typing import Any

from digits_app.evaluation import slices
from mltestscore.alignment import edit_counts, edit_pairs
from mltestscore.error_analysis import (
    ErrorAnalysis,
    LossCurve,
    SliceTable,
    confusion_pairs,
    slice_metric,
    slice_table,
    worst_examples,
)
from mltestscore.reference_model.data import DigitLines, LineDataset
from mltestscore.reference_model.train import TrainResult, predict_lines

SAMPLE = 500  # lines per split measured


def _edits(
    result: TrainResult, lines: LineDataset
) -> tuple[tuple[list[int], list[int]], list[str]]:
    """Per line: (edits, characters) of the model's reading of ``lines``, and the readings."""
    predictions = predict_lines(result.model, lines.images)
    return edit_counts(list(lines.labels), predictions), predictions


def digit_slices(labels: list[str], predictions: list[str], overall: float) -> SliceTable:
    """Line-length slices, then per digit the share of its occurrences misread or missed."""
    edits, chars = edit_counts(labels, predictions)
    table = slice_table(
        {f"lines: {name}": mask for name, mask in slices(labels).items()},
        edits,
        chars,
        metric="character error rate",
    )
    rows = list(table.rows)
    missed = [edit_pairs(t, p) for t, p in zip(labels, predictions, strict=True)]
    for digit in "0123456789":
        misses = [sum(1 for truth, _ in line if truth == digit) for line in missed]
        occurrences = [label.count(digit) for label in labels]
        if sum(occurrences):
            rows.append(slice_metric(f"digit {digit}", misses, occurrences))
    return SliceTable("character error rate", rows, higher_is_better=False, overall=overall)


def error_analysis(result: TrainResult, data: dict[str, LineDataset]) -> ErrorAnalysis:
    """The report's error-analysis part for ``result`` (train/val/test of ``data``)."""
    fresh = DigitLines(result.config.data).generate(
        "train", SAMPLE, seed=result.config.data.seed + 1
    )
    samples = {
        "train": _edits(result, data["train"].head(SAMPLE))[0],
        "train_val": _edits(result, fresh)[0],
        "test_val": _edits(result, data["val"].head(SAMPLE))[0],
    }
    test = data["test"]
    samples["test"], predictions = _edits(result, test)
    errors = {split: sum(e) / max(sum(c), 1) for split, (e, c) in samples.items()}
    labels = list(test.labels)
    edits, chars = samples["test"]
    per_line = [e / max(c, 1) for e, c in zip(edits, chars, strict=True)]
    notes: Any = (
        f"{result.parameters:,} parameters, {len(result.history)} epochs on "
        f"{result.train_lines:,} lines ({result.stopped}); best epoch {result.best_epoch}. "
        f"The loss curve has one point per training step ({len(result.step_losses)} steps)."
    )
    return ErrorAnalysis(
        errors=errors,
        samples=samples,
        irreducible=0.0,
        metric="character error rate",
        slices=digit_slices(labels, predictions, errors["test"]),
        confusions=confusion_pairs(labels, predictions, characters=True),
        loss_curve=LossCurve.from_losses(list(result.step_losses)),
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
