"""Feature code: raw intake rows -> the model's input features.

Every feature is a function ``fn(raw: DataFrame) -> Series`` (one value per row)
registered in :data:`FEATURES` under its name; :func:`build_features` computes
the features a model configuration lists, plus any extra ones (how a new feature
is tried end to end, rubric data.6). :func:`size_band` buckets tumours by size
for the per-slice evaluation. The unit tests in ``tests/test_features.py`` cover
this module (rubric data.7 measures it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

FeatureFn = Callable[[pd.DataFrame], "pd.Series[float]"]

# Worst-radius band edges (inclusive lower edge, in the data's units), reviewed with the
# radiologists: about a quarter of the scans are small, a third large.
SIZE_BANDS: tuple[tuple[str, float], ...] = (("small", 0.0), ("medium", 13.0), ("large", 17.0))


def _values(raw: pd.DataFrame, name: str) -> np.ndarray:
    if name not in raw.columns:
        raise KeyError(f"raw data has no column {name!r} (needed by a feature)")
    return raw[name].to_numpy(dtype=np.float64)


def log_worst_area(raw: pd.DataFrame) -> pd.Series[float]:
    """log of the largest cell-nucleus area: area spans 185–4254, its log is near normal."""
    area = _values(raw, "worst_area")
    if (area <= 0).any():
        raise ValueError(f"worst_area must be positive; {int((area <= 0).sum())} row(s) are not")
    return pd.Series(np.log(area), index=raw.index, name="log_worst_area")


def worst_concave_points(raw: pd.DataFrame) -> pd.Series[float]:
    """The largest share of concave contour points, as measured (no transform)."""
    values = _values(raw, "worst_concave_points")
    return pd.Series(values, index=raw.index, name="worst_concave_points")


def texture_mean_worst(raw: pd.DataFrame) -> pd.Series[float]:
    """Average of the mean and worst texture (grey-level spread): less noisy than either."""
    mean = _values(raw, "mean_texture")
    worst = _values(raw, "worst_texture")
    return pd.Series((mean + worst) / 2.0, index=raw.index, name="texture_mean_worst")


FEATURES: dict[str, FeatureFn] = {
    "log_worst_area": log_worst_area,
    "worst_concave_points": worst_concave_points,
    "texture_mean_worst": texture_mean_worst,
}


def size_band(worst_radius: Sequence[float] | pd.Series[float] | np.ndarray) -> np.ndarray:
    """``small`` / ``medium`` / ``large`` per tumour (edges in :data:`SIZE_BANDS`)."""
    radius = np.asarray(worst_radius, dtype=np.float64)
    if radius.ndim != 1:
        raise ValueError(f"worst_radius must be one value per row, got shape {radius.shape}")
    if np.isnan(radius).any() or (radius < 0).any():
        raise ValueError("worst_radius must be non-negative numbers (got NaN or negatives)")
    bands = np.empty(len(radius), dtype=object)
    for name, lower in SIZE_BANDS:
        bands[radius >= lower] = name
    return bands


def build_features(
    raw: pd.DataFrame,
    names: Sequence[str],
    extra: Mapping[str, Callable[[pd.DataFrame], object]] | None = None,
) -> pd.DataFrame:
    """The model's input table: the listed registered features, then ``extra`` ones."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown feature(s) {unknown}; registered: {sorted(FEATURES)}")
    columns: dict[str, object] = {name: FEATURES[name](raw).to_numpy() for name in names}
    for name, fn in (extra or {}).items():
        values = np.asarray(fn(raw), dtype=np.float64)
        if values.shape != (len(raw),):
            raise ValueError(
                f"feature {name!r} returned shape {values.shape}, expected ({len(raw)},)"
            )
        columns[name] = values
    return pd.DataFrame(columns, index=raw.index)
