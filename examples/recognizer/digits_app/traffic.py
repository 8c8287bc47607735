"""Simulated production traffic: the scans users send, made from DigitLines.

There is no real user traffic in an example, so requests are rendered lines from
the *test* scans (digit images the model never trained on), each seed standing for
one period of traffic, turned into what a scanner app uploads: a ``uint8`` image
cropped a few pixels after the last ink column. Labels arrive later (a person
corrects the transcription); they are kept alongside for monitor.7.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.reference_model.data import DigitLines, DigitLinesConfig, LineDataset

RIGHT_MARGIN = 4  # background columns a scanner keeps after the last ink
SERVING_SEED = 1_000  # "last week" of traffic; monitor.7's recent data uses the next seed
RECENT_SEED = 1_001
# Canary lines: every digit, repeats (CTC's weak spot), long and single-digit lines.
CANARY_LABELS = (
    "0123456789",
    "11",
    "7",
    "404",
    "98765",
    "3141592",
    "2718281828",
    "5550",
    "66",
    "8",
)


def canary_lines(data: DigitLinesConfig) -> LineDataset:
    """The canary lines, rendered from test scans (the same on every run)."""
    return DigitLines(data).render(list(CANARY_LABELS), "test", seed=7)


def to_scan(image: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """A rendered line ``(1, H, W)`` or ``(H, W)`` as an uploaded scan: uint8, cropped."""
    grey = np.asarray(image)[0] if np.ndim(image) == 3 else np.asarray(image)
    inked = np.flatnonzero(grey.max(axis=0) > 0.25)
    width = grey.shape[1] if inked.size == 0 else min(grey.shape[1], inked[-1] + 1 + RIGHT_MARGIN)
    return np.rint(grey[:, :width] * 255.0).astype(np.uint8)


def scans(lines: LineDataset) -> list[npt.NDArray[np.uint8]]:
    """Every line of ``lines`` as an uploaded scan."""
    return [to_scan(image) for image in lines.images.numpy()]


def traffic(data: DigitLinesConfig, n: int, seed: int) -> LineDataset:
    """``n`` lines of one traffic period, rendered from the test scans."""
    return DigitLines(data).generate("test", n, seed=seed)


def line_metadata(lines: LineDataset) -> pd.DataFrame:
    """What the pipeline stores about each line besides its pixels (data.5 scans it).

    ``transcription`` is the digit string typed for the line; ``glyphs`` the list of
    load_digits indices it was composed from; ``source`` where the pixels come from.
    """
    return pd.DataFrame(
        {
            "line_id": [f"{lines.split}-{i:05d}" for i in range(len(lines))],
            "split": lines.split,
            "transcription": lines.labels,
            "length": lines.lengths,
            "glyphs": [list(ids) for ids in lines.line_glyph_ids],
            "source": "sklearn.datasets.load_digits (UCI optdigits, 43 writers)",
        }
    )
