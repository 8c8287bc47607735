"""Declared data slices (``ml_slices``) → boolean masks: one parser for every check.

A slice specification (the values of ``ml_slices``) is one of:

- ``callable(frame) -> bool mask`` — a predicate on the evaluation data (the whole
  DataFrame, target included, or the features);
- ``(column, value)`` — rows where ``column == value`` (a ``[column, value]`` list too,
  as TOML writes it; ``column`` may be an int index into 2-D array features);
- ``(column, (lo, hi))`` — a numeric bin, ``lo <= column < hi`` (``None`` = open end);
- ``{"column": c, "value": v}``, ``{"column": c, "values": [...]}`` or
  ``{"column": c, "bin": [lo, hi]}`` (the TOML form), optionally with ``"min_metric"``,
  a floor for that slice alone;
- a boolean array with one entry per row.

``ml_slices`` is a mapping ``name -> spec``, or a list of column names: one slice
per value (columns with more than ``AUTO_MAX_VALUES`` numeric values are cut into
quartile bins). :func:`build_slices` returns :class:`Slice` objects; :func:`slice_masks`
returns ``(name, mask)`` pairs and accepts ``None`` (no slices). A spec of another form is
an error naming the slice and the forms accepted.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.inputs.arrays import to_numpy

AUTO_MAX_VALUES = 20
_FORMS = (
    "a slice is a predicate(frame) -> mask, (column, value), (column, (lo, hi)), "
    "{'column': c, 'value'/'values'/'bin': ...} or a boolean mask"
)

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Slice:
    """A named set of rows and, optionally, its own metric floor."""

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


def _is_column_spec(spec: Any) -> bool:
    if isinstance(spec, tuple) and len(spec) == 2:
        return not isinstance(spec[0], bool | np.bool_)
    return isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str)


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
    elif _is_column_spec(spec):
        values = _column(frame, spec[0], where)
        mask = _bin_mask(values, *spec[1]) if _is_bin(spec[1]) else values == spec[1]
    elif isinstance(spec, str | bytes | int | float) or spec is None:
        raise TypeError(f"{where}: {_FORMS}; got {type(spec).__name__} {spec!r:.60}")
    else:
        try:
            mask = to_numpy(spec, where)
        except TypeError as exc:
            raise TypeError(f"{where}: {_FORMS}; got {type(spec).__name__}") from exc
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise ValueError(
            f"{where}: expected a boolean mask of {n} rows, got dtype {mask.dtype} "
            f"shape {mask.shape} ({_FORMS})"
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


def slice_masks(
    frame: Any, slices: object, n: int, where: str = "slices"
) -> list[tuple[str, Mask]]:
    """``(name, mask)`` per declared slice; no slices (``None``) gives an empty list."""
    if slices is None:
        return []
    return [(s.name, s.mask) for s in build_slices(frame, slices, n, where)]
