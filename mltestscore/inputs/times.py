"""Times: one reading of "when" (datetime, date, ISO-8601 string, epoch seconds) as UTC."""

from __future__ import annotations

import datetime as dt
import math


def as_utc(value: object, what: str) -> dt.datetime:
    """A datetime (naive = UTC), date, ISO-8601 string or epoch seconds, as aware UTC.

    Shared by model.4's staleness curve and monitor.4's age check; ``pandas.Timestamp``
    is accepted too.
    """
    to_pydatetime = getattr(value, "to_pydatetime", None)  # pandas.Timestamp
    if isinstance(value, dt.datetime) and callable(to_pydatetime):
        value = to_pydatetime()
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{what}: {value!r} is not an ISO-8601 date/time") from exc
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        when = dt.datetime.fromtimestamp(float(value), dt.UTC)
    else:
        raise TypeError(
            f"{what}: expected a datetime, date, ISO-8601 string or epoch seconds, "
            f"got {type(value).__name__}"
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)
