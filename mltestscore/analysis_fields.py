"""Checked field values for the error-analysis types.

Each helper raises ``ValueError`` naming the part (``slice 'a': expected a number``),
so a bad input fails where it is built, not when the report renders.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any


def finite(value: object, where: str) -> float:
    """``value`` as a finite float; ValueError naming ``where`` otherwise."""
    checked = as_number(value, where)
    if checked is None or not math.isfinite(checked):
        raise ValueError(f"{where}: expected a finite number, got {value!r}")
    return checked


def as_number(value: object, where: str) -> float | None:
    """``value`` (a number or a numpy/torch scalar) as a float, None as None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        try:
            value = value.item()  # numpy / torch scalars
        except (ValueError, TypeError, RuntimeError):
            raise ValueError(f"{where}: expected one number, got {type(value).__name__}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {type(value).__name__}")
    return float(value)


def text(value: object, where: str, limit: int = 500) -> str:
    """A string, cut to ``limit`` characters with an ellipsis."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string, got {type(value).__name__}")
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def interval(value: object, where: str) -> tuple[float, float]:
    """``[low, high]`` as two finite floats with ``low <= high``."""
    items = as_list(value, where)
    if len(items) != 2:
        raise ValueError(f"{where}: expected [low, high], got {value!r}")
    low, high = finite(items[0], f"{where}[0]"), finite(items[1], f"{where}[1]")
    if low > high:
        raise ValueError(f"{where}: low {low} is above high {high}")
    return low, high


def as_count(value: object, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def set_fields(obj: object, **values: object) -> None:
    for name, value in values.items():
        object.__setattr__(obj, name, value)


def build(cls: type[Any], data: object, where: str) -> Any:
    """``cls(**data)`` with a clear error for a non-mapping or unknown keys."""
    mapping = as_mapping(data, where)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(mapping) - set(names))
    if unknown:
        raise ValueError(
            f"{where + ': ' if where else ''}unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(names)}"
        )
    return cls(**{k: v for k, v in mapping.items() if k in names})


def as_mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def as_list(value: object, where: str) -> Sequence[Any]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return value
