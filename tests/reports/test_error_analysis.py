"""mltestscore.error_analysis: the FSDL decomposition, builders and the report section."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits

from mltestscore.analysis_types import MAX_CURVE_POINTS
from mltestscore.error_analysis import (
    PLAYBOOK,
    ErrorAnalysis,
    LossCurve,
    SliceTable,
    as_report_section,
    confusion_pairs,
    decompose,
    worst_examples,
)
from mltestscore.png import png_size


def terms(errors: dict[str, float], irreducible: float = 0.0) -> dict[str, float]:
    return {t.name: t.value for t in decompose(errors, irreducible)}


def test_three_splits_decompose_as_the_playbook_says() -> None:
    got = terms({"train": 0.10, "val": 0.25, "test": 0.31}, irreducible=0.04)
    assert got == pytest.approx({"bias": 0.06, "variance": 0.15, "val_overfitting": 0.06})
    assert "distribution_shift" not in got  # needs a test-distribution validation set
    assert 0.04 + sum(got.values()) == pytest.approx(0.31)  # the terms add up to test error


def test_five_splits_add_distribution_shift() -> None:
    errors = {"train": 0.02, "train_val": 0.05, "test_val": 0.20, "test": 0.23}
    got = terms(errors, irreducible=0.01)
    assert got == pytest.approx(
        {"bias": 0.01, "variance": 0.03, "distribution_shift": 0.15, "val_overfitting": 0.03}
    )
    assert 0.01 + sum(got.values()) == pytest.approx(0.23)
    formulas = {t.name: t.formula for t in decompose(errors)}
    assert formulas["distribution_shift"] == "test_val - train_val"
    assert formulas["val_overfitting"] == "test - test_val"


@pytest.mark.parametrize(
    ("errors", "largest", "phrase"),
    [
        ({"train": 0.30, "val": 0.32, "test": 0.33}, "bias", "bigger"),
        ({"train": 0.01, "val": 0.20, "test": 0.21}, "variance", "more training data"),
        (
            {"train": 0.01, "val": 0.02, "test_val": 0.3, "test": 0.31},
            "distribution_shift",
            "domain adaptation",
        ),
        ({"train": 0.01, "val": 0.02, "test": 0.25}, "val_overfitting", "fresh validation set"),
    ],
)
def test_largest_term_gets_the_playbook_step(
    errors: dict[str, float], largest: str, phrase: str
) -> None:
    analysis = ErrorAnalysis(errors=errors)
    assert analysis.largest() is not None and analysis.largest().name == largest  # type: ignore[union-attr]
    assert phrase in analysis.next_step()
    assert analysis.next_step().startswith(PLAYBOOK[largest][2])
    assert "Noise not estimated" in analysis.next_step()


def test_no_positive_term_says_errors_are_at_the_irreducible_estimate() -> None:
    analysis = ErrorAnalysis(errors={"train": 0.05, "val": 0.05, "test": 0.05}, irreducible=0.05)
    assert analysis.largest() is None
    assert "irreducible" in analysis.next_step()
    assert ErrorAnalysis().next_step() == ""  # no errors given: nothing to say


def test_bad_errors_are_named() -> None:
    with pytest.raises(ValueError, match=r"errors\.val: expected a finite number"):
        ErrorAnalysis(errors={"train": 0.1, "val": math.nan})
    with pytest.raises(ValueError, match=r"unknown split.*'tset'"):
        ErrorAnalysis(errors={"tset": 0.1})
    with pytest.raises(ValueError, match=r"errors\.train: expected a number, got str"):
        ErrorAnalysis(errors={"train": "0.1"})  # type: ignore[dict-item]
    numpy_errors: dict[str, Any] = {"train": np.float32(0.25)}
    assert ErrorAnalysis(errors=numpy_errors).errors == {"train": 0.25}


def test_character_confusions_align_recognized_lines() -> None:
    pairs = confusion_pairs(
        ["123", "456", "12", "383"], ["128", "46", "712", "888"], characters=True
    )
    counts = {(c.truth, c.predicted): c.count for c in pairs}
    assert counts == {("3", "8"): 3, ("5", ""): 1, ("", "7"): 1}
    assert (pairs[0].truth, pairs[0].predicted) == ("3", "8")  # most frequent first


def test_label_confusions_and_top() -> None:
    truths = [1, 1, 1, 2, 2, 3, 3]
    preds = [7, 7, 1, 5, 2, 8, 3]
    pairs = confusion_pairs(truths, preds, top=1)
    assert [(c.truth, c.predicted, c.count) for c in pairs] == [("1", "7", 2)]
    with pytest.raises(ValueError, match="3 truths but 2 predictions"):
        confusion_pairs([1, 2, 3], [1, 2])


def test_worst_examples_come_first_with_inline_images() -> None:
    digits = load_digits()
    errors = [0.1, 0.9, 0.5, 0.95]
    examples = worst_examples(
        ["a", "b", "c", "d"],
        list("0123"),
        list("0723"),
        errors,
        images=list(digits.images[:4]),
        top=3,
    )
    assert [e.id for e in examples] == ["d", "b", "c"]
    assert all(png_size(e.image or "") == (8, 8) for e in examples)
    line = np.zeros((1, 28, 256), dtype=np.float32)  # a recognizer line, (1, H, W)
    (one,) = worst_examples(["x"], ["12"], ["17"], [0.5], images=[line])
    assert png_size(one.image or "") == (256, 28)
    with pytest.raises(ValueError, match=r"images\[0\]: expected a 2-D grid"):
        worst_examples(["x"], ["1"], ["2"], [1.0], images=[np.zeros((2, 3, 4))])


def test_slices_worst_first_in_both_directions() -> None:
    accuracy = SliceTable.from_mapping({"a": 0.9, "b": (0.6, 40), "c": 0.8})
    assert [r.name for r in accuracy.worst_first()] == ["b", "c", "a"]
    error = SliceTable.from_mapping({"a": 0.1, "b": 0.4}, metric="CER", higher_is_better=False)
    assert [r.name for r in error.worst_first()] == ["b", "a"]
    many = SliceTable.from_mapping({f"s{i}": i / 100 for i in range(70)}).to_dict()
    assert len(many["rows"]) == 50 and many["omitted"] == 20
    assert many["rows"][0]["name"] == "s0"


def test_loss_curve_keeps_nan_as_gaps_and_thins_long_curves() -> None:
    curve = LossCurve([2.0, math.nan, 1.0, math.inf])
    assert curve.losses == (2.0, None, 1.0, None)
    long = LossCurve([1.0 / (i + 1) for i in range(5000)])
    assert len(long.losses) == MAX_CURVE_POINTS
    assert long.steps is not None and long.steps[0] == 0 and long.steps[-1] == 4999
    json.dumps(long.to_dict(), allow_nan=False)


def test_loss_curve_is_diagnosed_without_the_smoke_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mltestscore.checks.smoke", None)  # torch not installed
    curve = LossCurve.from_losses([2.3 * math.exp(-i / 20) for i in range(200)])
    assert curve.diagnosis is not None and curve.diagnosis["kind"] == "converged"
    short = LossCurve.from_losses([1.0, 0.5])
    assert short.diagnosis is not None and short.diagnosis["kind"] == "too_few_points"


def test_report_section_round_trips_and_validates() -> None:
    analysis = ErrorAnalysis(
        errors={"train": 0.02, "val": 0.08, "test": 0.09},
        metric="character error rate",
        slices=SliceTable.from_mapping({"long lines": 0.8, "short lines": 0.95}),
        confusions=confusion_pairs(["18"], ["13"], characters=True),
        loss_curve=LossCurve([2.0, 1.0, math.nan]),
        worst_examples=worst_examples(["l1"], ["18"], ["13"], [0.5], images=[[[0, 1], [1, 0]]]),
        notes="CTC recognizer",
    )
    section = as_report_section(analysis)
    json.dumps(section, allow_nan=False)
    assert section["largest"] == "variance"
    assert section["slices"]["rows"][0]["name"] == "long lines"
    assert as_report_section(section) == section  # a built mapping is accepted as is
    assert as_report_section(json.loads(json.dumps(section))) == section


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ({"erors": {}}, ValueError, "unknown key.*'erors'"),
        (
            {"slices": {"metric": "acc", "rows": [{"name": "a", "value": "high"}]}},
            ValueError,
            "slice 'a': expected a number",
        ),
        (
            {
                "worst_examples": [
                    {
                        "id": "1",
                        "truth": "1",
                        "prediction": "7",
                        "error": 1,
                        "image": "data:image/png;base64,!!",
                    }
                ]
            },
            ValueError,
            "not valid base64",
        ),
        (
            {"confusions": [{"truth": "1", "predicted": "7", "count": 0}]},
            ValueError,
            "expected an integer >= 1",
        ),
        (3.5, TypeError, "expected an mltestscore.error_analysis.ErrorAnalysis or a mapping"),
    ],
)
def test_bad_sections_get_clear_errors(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        as_report_section(value)
