"""The intake schema accepts the real export and rejects what it exists to catch: data.1."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pe
import pytest
from tabular_app.data import load_intake
from tabular_app.schema import intake_schema

pytestmark = pytest.mark.ml_score("data.1")


@pytest.fixture(scope="module")
def intake() -> pd.DataFrame:
    return load_intake(seed=0)


def failed_checks(frame: pd.DataFrame, *, labelled: bool = True) -> set[str]:
    try:
        intake_schema(labelled=labelled).validate(frame, lazy=True)
    except pe.SchemaErrors as exc:
        return {str(c) for c in exc.failure_cases["check"]}
    return set()


def test_the_whole_export_validates(intake: pd.DataFrame) -> None:
    assert failed_checks(intake) == set()


def test_serving_requests_need_no_diagnosis(intake: pd.DataFrame) -> None:
    assert failed_checks(intake.drop(columns=["diagnosis"]), labelled=False) == set()
    assert "column_in_dataframe" in failed_checks(intake.drop(columns=["diagnosis"]))


def test_a_rescaled_area_is_out_of_range(intake: pd.DataFrame) -> None:
    bad = intake.head(20).copy()
    bad["worst_area"] = bad["worst_area"] * 100
    assert any("in_range" in c for c in failed_checks(bad))


def test_worst_below_mean_is_rejected(intake: pd.DataFrame) -> None:
    bad = intake.head(5).copy()
    bad["worst_radius"] = bad["worst_radius"].where(bad.index != 0, bad["mean_radius"] - 1)
    assert "worst_radius>=mean_radius" in failed_checks(bad)


def test_ids_sites_and_labels_are_checked(intake: pd.DataFrame) -> None:
    bad = intake.head(5).copy()
    bad.loc[0, "patient_id"] = "alice"
    bad.loc[1, "site"] = "east"
    bad.loc[2, "diagnosis"] = 2
    checks = failed_checks(bad)
    assert any("str_matches" in c for c in checks)
    assert sum("isin" in c for c in checks) == 2
