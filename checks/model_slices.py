"""Declared data slices → boolean masks, and model.6's metric per slice.

A slice specification (the values of ``ml_slices``) is one of:

- ``callable(frame) -> bool mask`` — a predicate on the evaluation data;
- ``(column, value)`` — rows where ``column == value``;
- ``(column, (lo, hi))`` — a numeric bin, ``lo <= column < hi`` (``None`` = open end);
- ``{"column": c, "value": v}``, ``{"column": c, "values": [...]}`` or
  ``{"column": c, "bin": [lo, hi]}`` (the TOML form), optionally with ``"min_metric"``,
  a floor for that slice alone;
- a boolean array with one entry per row.

``ml_slices`` is a mapping ``name -> spec``, or a list of column names: one slice
per value (columns with more than ``AUTO_MAX_VALUES`` numeric values are cut into
quartile bins).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.checks.model_inputs import to_numpy

AUTO_MAX_VALUES = 20

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Slice:
    name: str
    mask: Mask
    min_metric: float | None = None


def _column(frame: Any, column: Any, where: str) -> npt.NDArray[Any]:
    if isinstance(frame, pd.DataFrame):
        if column not in frame.columns:
            raise ValueError(f"{where}: eval data has no column {column!r}")
        return np.asarray(frame[column].to_numpy())
    arr = to_numpy(frame)
    if isinstance(column, int) and arr.ndim == 2 and -arr.shape[1] <= column < arr.shape[1]:
        return np.asarray(arr[:, column])
    raise ValueError(f"{where}: column {column!r} needs DataFrame eval data (or an int index)")


def _bin_mask(values: npt.NDArray[Any], lo: Any, hi: Any) -> Mask:
    numeric = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    mask = ~np.isnan(numeric)
    if lo is not None:
        mask &= numeric >= float(lo)
    if hi is not None:
        mask &= numeric < float(hi)
    return np.asarray(mask, dtype=np.bool_)


def _is_bin(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in value
        )
    )


def spec_mask(frame: Any, spec: Any, n: int, where: str) -> tuple[Mask, float | None]:
    """The rows selected by one slice spec, and its own floor if it declares one."""
    floor = None
    if isinstance(spec, Mapping):
        if "column" not in spec:
            raise ValueError(f"{where}: a dict slice needs a 'column' key, got {sorted(spec)}")
        floor = None if spec.get("min_metric") is None else float(spec["min_metric"])
        values = _column(frame, spec["column"], where)
        if "bin" in spec:
            lo, hi = spec["bin"]
            mask = _bin_mask(values, lo, hi)
        elif "values" in spec:
            mask = pd.Series(values).isin(list(spec["values"])).to_numpy()
        elif "value" in spec:
            mask = values == spec["value"]
        else:
            raise ValueError(f"{where}: a dict slice needs 'value', 'values' or 'bin'")
    elif callable(spec):
        mask = to_numpy(spec(frame))
    elif isinstance(spec, tuple) and len(spec) == 2 and not isinstance(spec[0], bool):
        values = _column(frame, spec[0], where)
        mask = _bin_mask(values, *spec[1]) if _is_bin(spec[1]) else values == spec[1]
    else:
        mask = to_numpy(spec)
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise ValueError(
            f"{where}: expected a boolean mask of {n} rows, got dtype {mask.dtype} shape {mask.shape}"
        )
    return mask, floor


def _auto_slices(frame: Any, columns: Sequence[str], where: str) -> list[tuple[str, Any]]:
    specs: list[tuple[str, Any]] = []
    for col in columns:
        values = pd.Series(_column(frame, col, where))
        distinct = values.dropna().unique()
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and len(distinct) > AUTO_MAX_VALUES:
            edges = np.unique(np.quantile(values.dropna(), [0.0, 0.25, 0.5, 0.75, 1.0]))
            for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
                top = None if i == len(edges) - 2 else float(hi)
                specs.append((f"{col}∈[{lo:.4g}, {hi:.4g}{']' if top is None else ')'}",
                              (col, (float(lo), top))))  # fmt: skip
        else:
            if len(distinct) > 50:
                raise ValueError(
                    f"{where}: column {col!r} has {len(distinct)} values; slice it by bins"
                )
            specs.extend((f"{col}={v}", (col, v)) for v in sorted(distinct, key=str))
    return specs


def build_slices(frame: Any, slices: object, n: int, where: str = "slices") -> list[Slice]:
    """Parse ``slices`` (mapping name -> spec, or column names) into masks over ``n`` rows."""
    if isinstance(slices, str):
        slices = [slices]
    if isinstance(slices, Mapping):
        items = [(str(k), v) for k, v in slices.items()]
    elif isinstance(slices, Sequence) and all(isinstance(s, str) for s in slices):
        items = _auto_slices(frame, list(slices), where)
    else:
        raise TypeError(
            f"{where}: expected a mapping name -> slice spec or a list of column names, "
            f"got {type(slices).__name__}"
        )
    if not items:
        raise ValueError(f"{where} is empty: declare at least one slice")
    out = []
    for name, spec in items:
        mask, floor = spec_mask(frame, spec, n, f"{where}[{name!r}]")
        out.append(Slice(name, mask, floor))
    return out


def safe_metric(fn: Callable[[Any, Any], float], y: Any, pred: Any) -> tuple[float | None, str]:
    """The metric, or ``None`` and why when it is undefined on these rows."""
    try:
        value = float(fn(y, pred))
    except (ValueError, ZeroDivisionError, IndexError) as exc:
        return None, f"metric undefined: {exc}"[:160]
    return (value, "") if np.isfinite(value) else (None, f"metric is {value}")
