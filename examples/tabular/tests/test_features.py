"""Unit tests of the feature code (tabular_app/features.py): evidence for data.7."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tabular_app.features import (
    FEATURES,
    build_features,
    log_worst_area,
    size_band,
    texture_mean_worst,
    worst_concave_points,
)

pytestmark = pytest.mark.ml_score("data.7")


@pytest.fixture
def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "worst_area": [100.0, np.e**6, 1.0],
            "worst_concave_points": [0.1, 0.2, 0.0],
            "mean_texture": [10.0, 20.0, 30.0],
            "worst_texture": [12.0, 30.0, 30.0],
        },
        index=[7, 8, 9],
    )


def test_log_worst_area_is_the_natural_log(raw: pd.DataFrame) -> None:
    out = log_worst_area(raw)
    np.testing.assert_allclose(out.to_numpy(), [np.log(100.0), 6.0, 0.0])
    assert list(out.index) == [7, 8, 9]


def test_log_worst_area_rejects_non_positive_areas(raw: pd.DataFrame) -> None:
    raw.loc[8, "worst_area"] = 0.0
    with pytest.raises(ValueError, match="1 row"):
        log_worst_area(raw)


def test_missing_raw_column_is_named(raw: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="worst_area"):
        log_worst_area(raw.drop(columns=["worst_area"]))


def test_worst_concave_points_passes_through(raw: pd.DataFrame) -> None:
    assert worst_concave_points(raw).tolist() == [0.1, 0.2, 0.0]


def test_texture_mean_worst_averages_both(raw: pd.DataFrame) -> None:
    assert texture_mean_worst(raw).tolist() == [11.0, 25.0, 30.0]


@pytest.mark.parametrize(
    ("radius", "band"),
    [(0.0, "small"), (12.99, "small"), (13.0, "medium"), (16.99, "medium"), (17.0, "large"),
     (40.0, "large")],
)  # fmt: skip
def test_size_band_edges(radius: float, band: str) -> None:
    assert size_band([radius]).tolist() == [band]


@pytest.mark.parametrize("bad", [[np.nan], [-1.0]])
def test_size_band_rejects_nan_and_negative(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        size_band(bad)


def test_size_band_needs_one_value_per_row() -> None:
    with pytest.raises(ValueError, match="one value per row"):
        size_band(np.zeros((2, 2)))


def test_build_features_in_declared_order_with_extra(raw: pd.DataFrame) -> None:
    table = build_features(
        raw, ["texture_mean_worst", "log_worst_area"], {"ones": lambda r: np.ones(len(r))}
    )
    assert list(table.columns) == ["texture_mean_worst", "log_worst_area", "ones"]
    assert list(table.index) == [7, 8, 9]
    assert table["ones"].tolist() == [1.0, 1.0, 1.0]


def test_build_features_knows_every_registered_feature(raw: pd.DataFrame) -> None:
    assert list(build_features(raw, list(FEATURES)).columns) == list(FEATURES)


def test_build_features_rejects_unknown_names(raw: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="nope"):
        build_features(raw, ["nope"])


def test_build_features_rejects_extra_of_wrong_length(raw: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'short' returned shape"):
        build_features(raw, [], {"short": lambda r: [1.0]})
