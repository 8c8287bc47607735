from __future__ import annotations

import numpy as np
import pytest
import torch

from mltestscore.reference_model.data import (
    DigitLines,
    DigitLinesConfig,
    make_splits,
    render_line,
    render_lines,
)
from mltestscore.reference_model.vocab import VOCAB, decode_output


def test_splits_have_the_configured_sizes_shapes_and_ranges(small_splits, small_data):
    for split in ("train", "val", "test"):
        lines = small_splits[split]
        assert len(lines) == small_data.size(split)
        assert lines.images.shape == (len(lines), 1, small_data.height, small_data.width)
        assert lines.images.dtype == torch.float32
        assert float(lines.images.min()) >= 0.0 and float(lines.images.max()) <= 1.0
        assert all(1 <= len(label) <= 12 and label.isdigit() for label in lines.labels)
        image, label = lines[0]
        assert image.shape == (1, small_data.height, small_data.width)
        assert label == lines.labels[0]


def test_generation_is_deterministic_by_seed(small_splits, small_data):
    again = make_splits(small_data)
    other = make_splits(DigitLinesConfig(seed=4, train_size=384, val_size=48, test_size=48))
    for split in ("train", "val", "test"):
        assert torch.equal(again[split].images, small_splits[split].images)
        assert again[split].labels == small_splits[split].labels
        assert not torch.equal(other[split].images, small_splits[split].images)
        assert other[split].labels != small_splits[split].labels


def test_splits_use_disjoint_scans(small_splits, small_data):
    train, val, test = (set(small_splits[s].glyph_ids.tolist()) for s in ("train", "val", "test"))
    assert train and val and test
    assert not train & val and not train & test and not val & test
    lines = DigitLines(small_data)
    pools = [set(lines.scan_ids(s).tolist()) for s in ("train", "val", "test")]
    assert sum(len(p) for p in pools) == 1797 and len(set().union(*pools)) == 1797
    assert test <= pools[2] and train <= pools[0]


def test_scan_split_does_not_move_with_the_line_seed():
    a = DigitLines(DigitLinesConfig(seed=1)).scan_ids("test")
    b = DigitLines(DigitLinesConfig(seed=2)).scan_ids("test")
    c = DigitLines(DigitLinesConfig(glyph_split_seed=5)).scan_ids("test")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_lengths_cover_the_configured_range():
    lines = DigitLines(DigitLinesConfig(min_length=3, max_length=5)).generate("val", 200)
    assert set(lines.lengths) == {3, 4, 5}


def test_line_glyphs_match_their_labels(small_splits):
    from sklearn.datasets import load_digits

    targets = load_digits().target
    lines = small_splits["test"]
    for label, ids in zip(lines.labels, lines.line_glyph_ids, strict=True):
        assert "".join(str(targets[i]) for i in ids) == label


def test_render_line_is_deterministic_and_shows_ink():
    image = render_line("0123456789", seed=5)
    assert image.shape == (28, 256) and image.dtype == np.float32
    assert np.array_equal(image, render_line("0123456789", seed=5))
    assert not np.array_equal(image, render_line("0123456789", seed=6))
    assert image.max() > 0.5
    batch = render_lines(["7", "42"], split="val", seed=1)
    assert batch.labels == ["7", "42"] and batch.split == "val"


@pytest.mark.parametrize("label", ["", "12a", "1 2"])
def test_render_line_rejects_bad_labels(label):
    with pytest.raises(ValueError, match="label"):
        render_line(label)


def test_config_validation_names_the_problem():
    with pytest.raises(ValueError, match="min_length"):
        DigitLinesConfig(min_length=5, max_length=2)
    with pytest.raises(ValueError, match="glyph_size"):
        DigitLinesConfig(glyph_size=(10, 40))


def test_head_and_select_keep_rows_together(small_splits):
    head = small_splits["train"].head(5)
    assert len(head) == 5 and head.labels == small_splits["train"].labels[:5]
    assert torch.equal(head.images, small_splits["train"].images[:5])


def test_vocab_round_trip_and_decoders():
    assert VOCAB.decode(VOCAB.encode("0912")) == "0912"
    assert VOCAB.ctc_collapse([0, 2, 2, 0, 2, 10, 10, 0]) == "119"
    assert VOCAB.until_end([2, 3, VOCAB.end, 4]) == "12"
    with pytest.raises(ValueError, match="vocabulary"):
        VOCAB.encode("1x")
    logits = np.zeros((1, 4, VOCAB.ctc_size), dtype=np.float32)
    logits[0, [0, 1, 3], [3, 3, 5]] = 1.0  # "2", "2", blank, "4"
    assert decode_output("cnn_ctc", logits) == ["24"]
    with pytest.raises(ValueError, match="shape"):
        decode_output("cnn_ctc", logits[0])
