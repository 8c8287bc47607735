"""Band permutation importance: how much worse the model reads when a band is scrambled.

For each band (four pixel rows), the band's pixels are swapped between lines (a
seeded permutation of the lines, that band only), the lines are read again, and
the importance is the rise in character error rate. Repeated with several
permutations, it gives a mean and a standard deviation; a band whose mean is not
``noise_k`` standard deviations above zero is not shown to be beneficial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from digits_app.evaluation import CER
from digits_app.features import BAND_ROWS, FEATURE_NAMES

Predict = Callable[[npt.NDArray[np.float32]], Any]


@dataclass(frozen=True)
class BandImportance:
    feature: str
    mean: float  # rise in CER when the band is permuted
    std: float
    repeats: int

    def beneficial(self, noise_k: float) -> bool:
        return self.mean - noise_k * self.std > 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "cer_rise": round(self.mean, 5), "std": round(self.std, 5)}


def band_importance(
    predict: Predict,
    images: npt.NDArray[np.float32],
    labels: Sequence[str],
    *,
    repeats: int = 3,
    seed: int = 0,
) -> tuple[float, list[BandImportance]]:
    """Baseline CER on ``images`` and each band's importance."""
    base = CER(list(labels), list(predict(images)))
    rng = np.random.default_rng(seed)
    out = []
    for index, name in enumerate(FEATURE_NAMES):
        rows = slice(index * BAND_ROWS, (index + 1) * BAND_ROWS)
        rises = []
        for _ in range(repeats):
            shuffled = images.copy()
            shuffled[:, :, rows] = images[rng.permutation(len(images)), :, rows]
            rises.append(CER(list(labels), list(predict(shuffled))) - base)
        std = float(np.std(rises, ddof=1)) if repeats > 1 else 0.0
        out.append(BandImportance(name, float(np.mean(rises)), std, repeats))
    return base, out
