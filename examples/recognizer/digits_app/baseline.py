"""The simpler model the recognizer must beat (model.5): segment, then classify glyphs.

Classical OCR: cut the line at empty columns, split segments too wide for one
digit evenly, scale each piece to ``SIDE`` × ``SIDE`` and classify it with a
logistic regression. The classifier learns from the training lines whose
segmentation gave exactly one piece per character (their labels then say which
digit each piece is). Touching or overlapping digits are its weakness.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

SIDE = 10  # pixels per side of a normalized glyph
INK = 0.3
MAX_ASPECT = 1.15  # a piece wider than this × its height holds more than one digit


def _runs(inked: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of inked columns."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inked.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _glyph(piece: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A piece cropped to its ink, centred in a square, scaled to SIDE × SIDE."""
    rows = np.flatnonzero(piece.max(axis=1) > INK)
    if rows.size:
        piece = piece[rows[0] : rows[-1] + 1]
    height, width = piece.shape
    side = max(height, width)
    square = np.zeros((side, side), dtype=np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = piece
    scaled = F.interpolate(torch.from_numpy(square)[None, None], size=(SIDE, SIDE), mode="area")
    return scaled[0, 0].numpy().reshape(-1)


def segment(line: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
    """Glyph vectors of one line image ``(H, W)``, left to right."""
    pieces: list[npt.NDArray[np.float32]] = []
    for start, end in _runs(line.max(axis=0) > INK):
        segment_ = line[:, start:end]
        rows = np.flatnonzero(segment_.max(axis=1) > INK)
        height = max(int(rows[-1] - rows[0] + 1), 1) if rows.size else line.shape[0]
        count = max(1, round((end - start) / (MAX_ASPECT * height * 0.8)))
        cuts = np.linspace(start, end, count + 1).round().astype(int)
        pieces.extend(_glyph(line[:, a:b]) for a, b in itertools.pairwise(cuts.tolist()) if b > a)
    return pieces


class SegmentingBaseline:
    """Segment + logistic regression; ``predict(images (N, 1, H, W)) -> strings``."""

    def __init__(self) -> None:
        from sklearn.linear_model import LogisticRegression

        self.classifier = LogisticRegression(max_iter=300)
        self.training_glyphs = 0

    def fit(self, images: Any, labels: Sequence[str]) -> SegmentingBaseline:
        x: list[npt.NDArray[np.float32]] = []
        y: list[str] = []
        for line, label in zip(np.asarray(images, dtype=np.float32)[:, 0], labels, strict=True):
            pieces = segment(line)
            if len(pieces) == len(label):
                x.extend(pieces)
                y.extend(label)
        if not x:
            raise ValueError("no training line segmented into one piece per digit")
        self.classifier.fit(np.stack(x), np.asarray(y))
        self.training_glyphs = len(y)
        return self

    def predict(self, images: Any) -> npt.NDArray[np.str_]:
        lines = np.asarray(images, dtype=np.float32)[:, 0]  # (N, H, W)
        out = []
        for line in lines:
            pieces = segment(line)
            out.append("".join(self.classifier.predict(np.stack(pieces))) if pieces else "")
        return np.asarray(out, dtype=str)
