"""mltestscore.inputs.times: one reading of a time as aware UTC."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from mltestscore.inputs.times import as_utc

UTC = dt.UTC
NOON = dt.datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 5, 1, 12),  # naive = UTC
        dt.datetime(2024, 5, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "2024-05-01T12:00:00Z",
        NOON.timestamp(),
        pd.Timestamp("2024-05-01 12:00"),
    ],
)
def test_forms_of_a_time(value: object) -> None:
    assert as_utc(value, "created_at") == NOON


def test_a_date_is_midnight_utc() -> None:
    assert as_utc(dt.date(2024, 5, 1), "d") == dt.datetime(2024, 5, 1, tzinfo=UTC)


def test_bad_values_name_the_input() -> None:
    with pytest.raises(ValueError, match="created_at: 'yesterday' is not an ISO-8601"):
        as_utc("yesterday", "created_at")
    with pytest.raises(TypeError, match="created_at: expected a datetime"):
        as_utc(True, "created_at")
