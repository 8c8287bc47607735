from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mltestscore.reference_model.checkpoint import save_checkpoint
from mltestscore.reference_model.data import render_line
from mltestscore.reference_model.predictor import Recognizer


@pytest.fixture(scope="module")
def recognizer(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("predictor") / "model.safetensors"
    return Recognizer.from_checkpoint(save_checkpoint(path, trained.model, trained.config))


@pytest.fixture(scope="module")
def line() -> np.ndarray:
    return render_line("31415", seed=2)


def test_accepts_arrays_tensors_pil_images_and_paths(recognizer, line, tmp_path):
    expected = recognizer.model.predict(torch.from_numpy(line)[None, None])[0]
    as_uint8 = np.round(line * 255).astype(np.uint8)
    path = tmp_path / "line.png"
    Image.fromarray(as_uint8).save(path)
    uint8_expected = recognizer.model.predict(
        torch.from_numpy(as_uint8 / np.float32(255))[None, None]
    )[0]
    assert recognizer.predict(line) == expected
    assert recognizer.predict(line[None]) == expected
    assert recognizer.predict(torch.from_numpy(line)) == expected
    assert recognizer.predict(line.astype(np.float64)) == expected
    assert recognizer.predict(as_uint8) == uint8_expected
    assert recognizer.predict(Image.fromarray(as_uint8)) == uint8_expected
    assert recognizer.predict(path) == uint8_expected
    assert recognizer.predict(str(path)) == uint8_expected
    assert recognizer.predict_batch([line, as_uint8]) == [expected, uint8_expected]
    assert recognizer.predict_batch(np.stack([line, line])) == [expected, expected]
    assert recognizer.predict_batch([]) == []


def test_narrow_images_are_padded(recognizer, line):
    narrow = line[:, :100]
    padded = np.zeros_like(line)
    padded[:, :100] = narrow
    assert recognizer.predict(narrow) == recognizer.predict(padded)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((32, 256), np.float32), r"height must be 28 px, got shape \(32, 256\)"),
        (np.zeros((28, 300), np.float32), r"width must be 1\.\.256 px, got shape \(28, 300\)"),
        (np.zeros((28, 256, 3), np.uint8), r"\(H, W\) or \(1, H, W\).*\(28, 256, 3\).*colour"),
        (np.zeros((256,), np.float32), r"\(H, W\) or \(1, H, W\).*\(256,\)"),
        (
            np.zeros((28, 256), np.int64),
            r"dtype must be uint8 \(0-255\) or float \(0-1\), got int64",
        ),
        (
            np.full((28, 256), 255.0, np.float32),
            r"values must lie in \[0, 1\], got range \[255, 255\]",
        ),
        (np.full((28, 256), np.nan, np.float32), r"NaN or infinite"),
        ("no/such/file.png", r"image file no/such/file\.png does not exist"),
        (12, r"numpy array, torch tensor, PIL image or file path, got int"),
    ],
)
def test_bad_inputs_are_rejected_with_messages(recognizer, bad, message):
    with pytest.raises(ValueError, match=message):
        recognizer.predict(bad)


def test_batch_errors_name_the_image(recognizer, line):
    with pytest.raises(ValueError, match=r"image 1: .*height"):
        recognizer.predict_batch([line, np.zeros((10, 10), np.float32)])
    with pytest.raises(ValueError, match="one \\(H, W\\) array"):
        recognizer.predict_batch(line)


def test_unreadable_image_file(recognizer, tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"nope")
    with pytest.raises(ValueError, match=r"cannot read image file .*x\.png"):
        recognizer.predict(path)


def test_load_from_store(store, trained, line):
    store.save(trained.model, trained.config)
    loaded = Recognizer.load(store)
    assert loaded.version == 1
    assert loaded.predict(line) == trained.model.predict(torch.from_numpy(line)[None, None])[0]
    assert Recognizer.load(str(store.root), version=1).version == 1
