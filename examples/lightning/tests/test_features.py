"""Unit tests of the feature code (digits_app/features.py): data.7 measures their coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from digits_app import features

pytestmark = pytest.mark.ml_score("data.7")


def scan(width: int = 40, value: int = 200) -> np.ndarray:
    image = np.zeros((features.HEIGHT, width), dtype=np.uint8)
    image[6:20, 5:15] = value
    return image


def test_uint8_scan_is_scaled_and_padded() -> None:
    out = features.to_model_input(scan())
    assert out.shape == (1, 28, 256) and out.dtype == np.float32
    assert out[0, 10, 7] == pytest.approx(200 / 255)
    assert not out[0, :, 40:].any()  # padded with background


def test_float_scan_and_channel_axis_are_accepted() -> None:
    image = scan().astype(np.float32)[None] / 255.0
    np.testing.assert_array_equal(features.to_model_input(image), features.to_model_input(scan()))


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((27, 40), np.uint8), "28 px high"),
        (np.zeros((28, 300), np.uint8), "1..256 px wide"),
        (np.zeros((2, 28, 40), np.uint8), r"\(H, W\) or \(1, H, W\)"),
        (np.zeros((28, 40), np.int32), "uint8 \\(0-255\\) or float"),
        (np.full((28, 40), np.nan, np.float32), "NaN"),
        (np.full((28, 40), 2.0, np.float32), r"lie in \[0, 1\]"),
    ],
)
def test_bad_scans_are_rejected_with_the_reason(image: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        features.to_model_input(image)


def test_model_inputs_name_the_bad_scan() -> None:
    with pytest.raises(ValueError, match="scan 1"):
        features.model_inputs([scan(), np.zeros((5, 5), np.uint8)])
    with pytest.raises(ValueError, match="no scans"):
        features.model_inputs([])
    assert features.model_inputs([scan(), scan(60)]).shape == (2, 1, 28, 256)


def test_each_band_feature_computes_its_rows_only() -> None:
    scans = [scan(), scan(30, 90)]
    pixels = features.model_inputs(scans)
    for index, (name, compute) in enumerate(features.band_features().items()):
        assert name == f"band_{index}" == compute.__name__
        np.testing.assert_array_equal(compute(scans), features.band(pixels, index))


@pytest.mark.parametrize("index", [-1, features.BANDS])
def test_band_index_out_of_range(index: int) -> None:
    with pytest.raises(ValueError, match="band index"):
        features.band(np.zeros((1, 1, 28, 256), np.float32), index)
    with pytest.raises(ValueError, match="band index"):
        features.band_feature(index)


def test_fingerprint_summarises_bands_and_ink() -> None:
    pixels = features.model_inputs([scan(), np.zeros((28, 10), np.uint8)])
    frame = features.fingerprint(pixels)
    assert list(frame.columns) == list(features.FINGERPRINT)
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["ink_columns"] == 10 and second["ink_max"] == 0
    assert first["band_0_ink"] == 0 and float(first["band_2_ink"]) > 0
    with pytest.raises(ValueError, match="fingerprint needs"):
        features.fingerprint(np.zeros((2, 28, 256), np.float32))


def test_training_features_recompute_logged_requests() -> None:
    raw = pd.DataFrame({"image": [scan(), scan(50)]}, index=["a", "b"])
    frame = features.training_features(raw)
    assert list(frame.index) == ["a", "b"]
    pd.testing.assert_frame_equal(
        frame.reset_index(drop=True),
        features.fingerprint(features.model_inputs([scan(), scan(50)])),
    )
    with pytest.raises(ValueError, match="'image' column"):
        features.training_features(pd.DataFrame({"pixels": [1]}))
