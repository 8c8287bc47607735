"""The intake table: scikit-learn's breast-cancer scans with the columns a clinic's export has.

The 569 rows and 30 measurements are the Wisconsin Diagnostic Breast Cancer data
bundled with scikit-learn (``load_breast_cancer``). Three columns are
*synthetic*, added deterministically so that the example looks like a real
intake export (see ``docs/data_card.md``):

- ``received_at`` — intake date, drawn uniformly over 2023-01-01 … 2024-12-31
  (seeded); rows are ordered by it;
- ``patient_id`` — ``BC-00001`` … in intake order (a pseudonymous record id,
  not a person's identifier);
- ``site`` — the clinic that sent the scan, ``north`` or ``south``, from a
  CRC-32 of the record id: independent of the measurements and the diagnosis.

``diagnosis`` is 1 for malignant, 0 for benign (scikit-learn codes benign as 1;
it is flipped so that the positive class is the one a triage model must catch).
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

TARGET = "diagnosis"
ID_COLUMN = "patient_id"
SITES = ("north", "south")
FIRST_DAY = pd.Timestamp("2023-01-01")
DAYS = 731  # two years of intake
# Data received before this date trained the current model; later data is "current".
TRAIN_CUTOFF = pd.Timestamp("2024-03-01")


def measurement_columns() -> list[str]:
    """The 30 measurement columns, snake_case (``mean radius`` -> ``mean_radius``)."""
    from sklearn.datasets import load_breast_cancer

    return [_snake(c) for c in load_breast_cancer().feature_names]


def _snake(name: str) -> str:
    return str(name).strip().replace(" ", "_")


def site_of(patient_id: str) -> str:
    """The synthetic clinic of a record: a hash of its id, unrelated to the scan."""
    return SITES[zlib.crc32(patient_id.encode("ascii")) % len(SITES)]


def load_intake(seed: int = 0) -> pd.DataFrame:
    """All 569 intake rows, ordered by ``received_at`` (deterministic for a seed)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns=_snake)
    frame[TARGET] = (1 - frame.pop("target")).astype("int64")
    days = np.random.default_rng(seed).integers(0, DAYS, len(frame))
    frame.insert(0, "received_at", FIRST_DAY + pd.to_timedelta(days, unit="D"))
    frame = frame.sort_values("received_at", kind="stable").reset_index(drop=True)
    ids = [f"BC-{i:05d}" for i in range(1, len(frame) + 1)]
    frame.insert(0, ID_COLUMN, pd.Series(ids, dtype="str"))
    frame.insert(2, "site", pd.Series([site_of(i) for i in ids], dtype="str"))
    result: pd.DataFrame = frame
    return result


def received_before(frame: pd.DataFrame, when: str | pd.Timestamp) -> pd.DataFrame:
    """Rows received strictly before ``when`` (what a model trained then could see)."""
    return frame[frame["received_at"] < pd.Timestamp(when)].reset_index(drop=True)


def split_by_date(
    frame: pd.DataFrame, cutoff: str | pd.Timestamp = TRAIN_CUTOFF
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows received before ``cutoff``, current rows received from it on)."""
    when = pd.Timestamp(cutoff)
    before = frame["received_at"] < when
    return frame[before].reset_index(drop=True), frame[~before].reset_index(drop=True)
