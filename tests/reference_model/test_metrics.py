from __future__ import annotations

import pytest

from mltestscore.reference_model.metrics import (
    character_error_rate,
    confusion_pairs,
    line_accuracy,
)


def test_cer_counts_edits_over_target_characters():
    assert character_error_rate(["123", "45"], ["123", "45"]) == 0.0
    assert character_error_rate(["13", "45"], ["123", "45"]) == pytest.approx(1 / 5)
    assert character_error_rate(["", ""], ["12", "3"]) == 1.0
    assert character_error_rate(["1234"], ["1"]) == 3.0


def test_cer_rejects_mismatched_or_empty_targets():
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        character_error_rate(["1", "2"], ["1"])
    with pytest.raises(ValueError, match="no characters"):
        character_error_rate([""], [""])
    with pytest.raises(TypeError):
        character_error_rate("12", "12")


def test_line_accuracy_and_confusions():
    assert line_accuracy(["12", "3"], ["12", "4"]) == 0.5
    pairs = confusion_pairs(["17", "5", "66"], ["12", "", "6"])
    assert pairs[("2", "7")] == 1 and pairs[("", "5")] == 1 and pairs[("", "6")] == 1
