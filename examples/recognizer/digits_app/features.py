"""Feature code: from a scanned line to what the recognizer reads (training side).

A *scan* is one line of handwritten digits, grey levels with bright ink on a dark
background, 28 px high and 1–256 px wide: ``uint8`` (0–255) or float (0–1),
shaped ``(H, W)`` or ``(1, H, W)``. The model reads a float32 ``(1, 28, 256)``
image in [0, 1], padded on the right with background.

The model's input features are the image's seven horizontal **bands** of four
pixel rows, ``band_0`` (top) … ``band_6`` (bottom): what data.2 (importance by
permuting a band between lines), data.3 (the cost of computing each band) and
data.4 (the declared feature rules) talk about.

:func:`fingerprint` summarises model inputs in a few numbers (mean ink per band,
ink maximum and mean, inked columns). Serving logs the fingerprint of every input
it hands to the model; :func:`training_features` recomputes it from the logged
scans with this module's code, so monitor.3 compares two real code paths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

HEIGHT, WIDTH = 28, 256
BAND_ROWS = 4
BANDS = HEIGHT // BAND_ROWS
FEATURE_NAMES = tuple(f"band_{i}" for i in range(BANDS))
INK = 0.5  # a column is "inked" when its brightest pixel exceeds this
FINGERPRINT = (*(f"{name}_ink" for name in FEATURE_NAMES), "ink_max", "ink_mean", "ink_columns")

FloatArray = npt.NDArray[np.float32]


def _grey(image: Any, where: str) -> npt.NDArray[Any]:
    """A scan as a 2-D array, its shape checked (values are checked by the caller)."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"{where}: a scan is (H, W) or (1, H, W) grey levels, got {array.shape}")
    height, width = array.shape
    if height != HEIGHT:
        raise ValueError(f"{where}: a scan is {HEIGHT} px high, got shape {array.shape}")
    if not 1 <= width <= WIDTH:
        raise ValueError(f"{where}: a scan is 1..{WIDTH} px wide, got shape {array.shape}")
    return array


def _scaled(array: npt.NDArray[Any], where: str) -> FloatArray:
    """Grey levels as float32 in [0, 1]: uint8 / 255, floats checked to lie in [0, 1]."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255.0)
    if array.dtype.kind != "f":
        raise ValueError(f"{where}: pixels are uint8 (0-255) or float (0-1), got {array.dtype}")
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: pixels hold NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(f"{where}: float pixels lie in [0, 1], got [{low:.3g}, {high:.3g}]")
    return array.astype(np.float32)


def to_model_input(image: Any, where: str = "scan") -> FloatArray:
    """One scan as the model reads it: float32 ``(1, 28, 256)``, padded on the right."""
    pixels = _scaled(_grey(image, where), where)
    padded = np.zeros((1, HEIGHT, WIDTH), dtype=np.float32)  # (1, H, W), background 0
    padded[0, :, : pixels.shape[1]] = pixels
    return padded


def model_inputs(scans: Sequence[Any] | npt.NDArray[Any]) -> FloatArray:
    """A batch of scans as model inputs ``(N, 1, 28, 256)``; errors name the scan."""
    if len(scans) == 0:
        raise ValueError("no scans given")
    return np.stack([to_model_input(scan, f"scan {i}") for i, scan in enumerate(scans)])


def band(pixels: FloatArray, index: int) -> FloatArray:
    """Band ``index`` of model inputs ``(N, 1, H, W)``: ``(N, 4, W)``."""
    if not 0 <= index < BANDS:
        raise ValueError(f"band index must be in 0..{BANDS - 1}, got {index}")
    return pixels[:, 0, index * BAND_ROWS : (index + 1) * BAND_ROWS]


def band_feature(index: int) -> Callable[[Sequence[Any]], FloatArray]:
    """The function computing band ``index`` alone from raw scans (data.3 times it)."""
    if not 0 <= index < BANDS:
        raise ValueError(f"band index must be in 0..{BANDS - 1}, got {index}")
    rows = slice(index * BAND_ROWS, (index + 1) * BAND_ROWS)

    def compute(scans: Sequence[Any]) -> FloatArray:
        out = np.zeros((len(scans), BAND_ROWS, WIDTH), dtype=np.float32)  # (N, 4, W)
        for i, scan in enumerate(scans):
            grey = _grey(scan, f"scan {i}")
            out[i, :, : grey.shape[1]] = _scaled(grey[rows], f"scan {i}")
        return out

    compute.__name__ = f"band_{index}"
    return compute


def band_features() -> dict[str, Callable[[Sequence[Any]], FloatArray]]:
    """Feature name → the function computing it from raw scans."""
    return {name: band_feature(i) for i, name in enumerate(FEATURE_NAMES)}


def fingerprint(pixels: FloatArray) -> pd.DataFrame:
    """Monitoring features of model inputs ``(N, 1, H, W)``, one row per input."""
    array = np.asarray(pixels)
    if array.ndim != 4 or array.shape[1:] != (1, HEIGHT, WIDTH):
        raise ValueError(f"fingerprint needs (N, 1, {HEIGHT}, {WIDTH}) inputs, got {array.shape}")
    x = array[:, 0].astype(np.float64)  # (N, H, W)
    n = x.shape[0]
    bands = x.reshape(n, BANDS, BAND_ROWS, WIDTH).mean(axis=(2, 3))  # (N, BANDS)
    columns = {f"{name}_ink": bands[:, i] for i, name in enumerate(FEATURE_NAMES)}
    columns["ink_max"] = x.max(axis=(1, 2))
    columns["ink_mean"] = x.mean(axis=(1, 2))
    columns["ink_columns"] = (x.max(axis=1) > INK).sum(axis=1).astype(np.float64)
    return pd.DataFrame(columns, columns=list(FINGERPRINT))


def training_features(raw: pd.DataFrame) -> pd.DataFrame:
    """The fingerprint of logged requests, recomputed from their scans (``image`` column)."""
    if "image" not in raw.columns:
        raise ValueError(f"raw requests need an 'image' column, got {list(raw.columns)}")
    return fingerprint(model_inputs(list(raw["image"]))).set_axis(raw.index, axis=0)
