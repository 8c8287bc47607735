"""Planted problems, switched on with ``TABULAR_PLANT=<name>``, to show which check catches what.

Not part of the product: ``conftest.py`` applies the active plant to the intake
table (and, for ``uninformative_feature``, to the feature list) before any
fixture uses them. Each plant is a bug that happens to real tabular pipelines.

| plant | what goes wrong | caught by |
|---|---|---|
| ``uninformative_feature`` | a scanner batch number is added as a model input | data.2 (+ data.3) |
| ``pii`` | the export gains a referring physician's e-mail column | data.5 |
| ``drift`` | from 2023-10 on, the export writes ``worst_area`` ×100 | data.1 (+ monitor.2, data.2) |
| ``failing_slice`` | a pathology-coding bug labels the medium-size malignant tumours of the training extract benign | model.6 |
| ``biased_group`` | site south's scanner under-reads concave points by 40 % | model.7 |
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable

import numpy as np
import pandas as pd
from tabular_app.data import TARGET, TRAIN_CUTOFF
from tabular_app.features import size_band

ENV = "TABULAR_PLANT"
PLANTS = ("uninformative_feature", "pii", "drift", "failing_slice", "biased_group")
DRIFT_FROM = pd.Timestamp("2023-10-01")


def active() -> str:
    """The plant named in ``$TABULAR_PLANT`` ("" for none); an unknown name is an error."""
    name = os.environ.get(ENV, "").strip()
    if name and name not in PLANTS:
        raise ValueError(f"{ENV}={name!r}: expected one of {', '.join(PLANTS)} (or unset)")
    return name


def apply_to_intake(raw: pd.DataFrame, plant: str) -> pd.DataFrame:
    """The intake table with ``plant`` applied (a copy; unchanged for the other plants)."""
    raw = raw.copy()
    if plant == "pii":
        raw["referrer_email"] = [
            f"dr.{zlib.crc32(p.encode()) % 97:02d}@{s}-clinic.example.org"
            for p, s in zip(raw["patient_id"], raw["site"], strict=True)
        ]
    elif plant == "drift":
        late = raw["received_at"] >= DRIFT_FROM
        raw.loc[late, "worst_area"] = raw.loc[late, "worst_area"] * 100.0
    elif plant == "failing_slice":
        medium = size_band(raw["worst_radius"]) == "medium"
        miscoded = medium & (raw[TARGET] == 1) & (raw["received_at"] < TRAIN_CUTOFF)
        raw.loc[miscoded, TARGET] = 0
    elif plant == "biased_group":
        south = raw["site"] == "south"
        for column in ("mean_concave_points", "worst_concave_points", "concave_points_error"):
            raw.loc[south, column] = raw.loc[south, column] * 0.6
    return raw


def extra_features(plant: str) -> dict[str, Callable[[pd.DataFrame], object]]:
    """Features the plant adds to the model's inputs."""
    if plant != "uninformative_feature":
        return {}

    def scan_batch(raw: pd.DataFrame) -> np.ndarray:
        # The scanner's batch counter: a number unrelated to the tumour.
        return np.array([zlib.crc32(p.encode()) % 40 for p in raw["patient_id"]], dtype=float)

    return {"scan_batch": scan_batch}
