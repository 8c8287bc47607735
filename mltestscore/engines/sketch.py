"""KLL quantile sketches for the reference's edges when the data is streamed.

:class:`QuantileSketch` holds one Apache DataSketches KLL sketch per numeric column
(the ``sketch`` extra); its normalized rank error (``rank_error``) bounds how far
each edge can sit from the exact quantile. Only the edges are approximate: the
counts in them (:mod:`mltestscore.engines.counts`) are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mltestscore.stats.summary import DEFAULT_QUANTILES

SKETCH_K = 2000  # KLL accuracy parameter: rank error ≈ 0.2 % (see QuantileSketch.rank_error)
FloatArray = npt.NDArray[np.float64]


class QuantileSketch:
    """KLL sketches (Apache DataSketches, the ``sketch`` extra) for many numeric columns."""

    def __init__(self, names: Sequence[str], k: int = SKETCH_K) -> None:
        try:
            from datasketches import kll_doubles_sketch
        except ImportError as exc:
            raise ImportError(
                "streamed reference summaries need Apache DataSketches for their quantile "
                "edges: pip install 'mltestscore[sketch]' (datasketches)"
            ) from exc
        self.k = k
        self.sketches: dict[str, Any] = {n: kll_doubles_sketch(k) for n in names}

    @property
    def rank_error(self) -> float:
        """Normalized rank error of one quantile (99 % confidence), e.g. 0.0017 for k=2000."""
        first = next(iter(self.sketches.values()), None)
        return float(first.normalized_rank_error(False)) if first is not None else 0.0

    def update(self, name: str, values: FloatArray) -> None:
        """Add NaN-free values of one chunk."""
        if values.size:
            self.sketches[name].update(np.ascontiguousarray(values, dtype=np.float64))

    def merge(self, other: QuantileSketch) -> None:
        for name, sketch in other.sketches.items():
            self.sketches[name].merge(sketch)

    def edges(self, name: str, n_quantiles: int = DEFAULT_QUANTILES) -> tuple[float, ...]:
        sketch = self.sketches[name]
        if sketch.is_empty():
            return ()
        ranks = np.arange(1, n_quantiles) / n_quantiles
        values = np.asarray(sketch.get_quantiles(ranks.tolist()), dtype=np.float64)
        return tuple(float(v) for v in np.unique(values))
