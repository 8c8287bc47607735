"""Reference summaries: a training set reduced once to what drift tests need.

A :class:`ReferenceSummary` holds, per column, either a :class:`NumericSummary`
(exact counts in bins whose edges are the reference quantiles — enough for KS at
the edges, PSI, JS and chi-square) or a :class:`CategoricalSummary` (top-k value
frequencies plus an "other" bucket), and each column's missing-value count.
It is JSON-able (:meth:`ReferenceSummary.to_dict` / :meth:`~ReferenceSummary.from_dict`,
:meth:`~ReferenceSummary.save` / :meth:`~ReferenceSummary.load`), so a serving sample
is compared against a stored summary rather than the full training set.

Column kinds: numeric dtypes (not bool) and datetimes (as epoch seconds) are
numeric; everything else (strings, categories, bools, objects) is categorical;
``categorical=`` forces columns to categorical.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FORMAT_VERSION = 1
DEFAULT_QUANTILES = 200  # bins for numeric columns: KS resolution ≈ 1/200 of the mass
DEFAULT_TOP_K = 50  # categories kept per categorical column; the rest go to "other"


@dataclass(frozen=True)
class NumericSummary:
    """Counts of a numeric column in bins cut at its reference quantiles.

    The ``2 * len(edges) + 1`` counts alternate open intervals and the edges
    themselves: ``(-inf, e0), {e0}, (e0, e1), {e1}, …, {e_last}, (e_last, inf)``, so
    repeated values (atoms) are counted exactly and the cumulative counts give the
    distribution function on both sides of every edge. Missing values (NaN/None)
    are counted in ``nan_count`` only.
    """

    name: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    nan_count: int
    mean: float | None
    std: float | None

    kind = "numeric"

    @property
    def count(self) -> int:
        return int(sum(self.counts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "edges": list(self.edges),
            "counts": list(self.counts), "nan_count": self.nan_count,
            "mean": self.mean, "std": self.std,
        }  # fmt: skip


@dataclass(frozen=True)
class CategoricalSummary:
    """Frequencies of the ``top_k`` most common values; ``counts[-1]`` is everything else."""

    name: str
    categories: tuple[str, ...]
    counts: tuple[int, ...]
    nan_count: int

    kind = "categorical"

    @property
    def count(self) -> int:
        return int(sum(self.counts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "categories": list(self.categories),
            "counts": list(self.counts), "nan_count": self.nan_count,
        }  # fmt: skip


ColumnSummary = NumericSummary | CategoricalSummary


@dataclass(frozen=True)
class ReferenceSummary:
    """Per-column summaries of a reference (training) data set, in column order."""

    columns: tuple[ColumnSummary, ...]
    n_rows: int
    # how it was computed: engine, exact or sketched quantiles and the sketch's rank error
    provenance: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSummary:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"column {name!r} is not in the reference summary")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "mltestscore.reference-summary",
            "version": FORMAT_VERSION,
            "n_rows": self.n_rows,
            "columns": [c.to_dict() for c in self.columns],
            **({"provenance": dict(self.provenance)} if self.provenance else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceSummary:
        if data.get("format") != "mltestscore.reference-summary":
            raise ValueError("not a mltestscore reference summary (missing 'format' key)")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"reference summary version {data.get('version')!r} is not supported "
                f"(expected {FORMAT_VERSION}); recompute it with summarize()"
            )
        cols: list[ColumnSummary] = []
        for raw in data["columns"]:
            if raw["kind"] == "numeric":
                cols.append(NumericSummary(
                    str(raw["name"]), tuple(float(e) for e in raw["edges"]),
                    tuple(int(c) for c in raw["counts"]), int(raw["nan_count"]),
                    None if raw.get("mean") is None else float(raw["mean"]),
                    None if raw.get("std") is None else float(raw["std"]),
                ))  # fmt: skip
            elif raw["kind"] == "categorical":
                cols.append(CategoricalSummary(
                    str(raw["name"]), tuple(str(c) for c in raw["categories"]),
                    tuple(int(c) for c in raw["counts"]), int(raw["nan_count"]),
                ))  # fmt: skip
            else:
                raise ValueError(f"column {raw.get('name')!r}: unknown kind {raw['kind']!r}")
        return cls(tuple(cols), int(data["n_rows"]), dict(data.get("provenance") or {}))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> ReferenceSummary:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"reference summary file {p} does not exist") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"reference summary file {p} is not valid JSON: {exc}") from None
        return cls.from_dict(data)


def statistics_frame(data: object, name: str = "data") -> pd.DataFrame:
    """The drift statistics' input as a frame: a DataFrame, a Series, or a 1-D/2-D array
    (columns ``x0, x1, …``). Team tables and files are read by
    :func:`mltestscore.inputs.tables.as_frame`."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, pd.Series):
        frame = data.to_frame(name=str(data.name) if data.name is not None else "value")
    elif isinstance(data, np.ndarray | list | tuple):
        arr = np.asarray(data)
        if arr.ndim == 1:
            frame = pd.DataFrame({"value": arr})
        elif arr.ndim == 2:
            frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        else:
            raise ValueError(f"{name}: expected 1-D or 2-D data, got shape {arr.shape}")
    else:
        raise TypeError(
            f"{name}: expected a pandas DataFrame/Series or a numpy array, got {type(data).__name__}"
        )
    if len(frame) == 0:
        raise ValueError(f"{name} has no rows")
    return frame


def is_numeric(series: pd.Series) -> bool:
    return bool(
        (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))
        or pd.api.types.is_datetime64_any_dtype(series)
    )


def numeric_values(series: pd.Series) -> npt.NDArray[np.float64]:
    """The column as float64 with NaN for missing; unparsable values become NaN."""
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
        values[series.isna().to_numpy()] = np.nan
        return values
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        series = pd.to_numeric(series, errors="coerce")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def category_counts(series: pd.Series) -> pd.Series:
    """Value counts keyed by the value's string form (missing values dropped)."""
    counts = series.value_counts(dropna=True, sort=False)
    keys = counts.index.map(str)
    return counts.groupby(np.asarray(keys), sort=False).sum()


def interval_counts(
    ordered: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Counts of sorted, NaN-free ``ordered`` in the alternating intervals/edges of the edges."""
    cum = np.empty(2 * len(edges), dtype=np.int64)
    cum[0::2] = np.searchsorted(ordered, edges, side="left")
    cum[1::2] = np.searchsorted(ordered, edges, side="right")
    return np.diff(np.concatenate(([0], cum, [len(ordered)])))


def summarize_numeric(
    name: str,
    values: npt.NDArray[np.float64],
    n_quantiles: int,
    edges: Sequence[float] | None = None,
) -> NumericSummary:
    """Quantile-bin counts of one column; given ``edges`` (a shared plan) replace the quantiles."""
    ordered = np.sort(values)  # NaN sort last
    n_valid = int(np.count_nonzero(~np.isnan(ordered)))
    valid = ordered[:n_valid]
    if edges is not None:
        cut = np.asarray(edges, dtype=np.float64)
    elif n_valid == 0:
        return NumericSummary(name, (), (0,), len(values), None, None)  # all missing
    else:
        idx = np.unique(
            np.round(np.linspace(0, n_valid - 1, n_quantiles + 1)[1:-1]).astype(np.int64)
        )
        cut = np.unique(valid[idx]) if idx.size else valid[:1]
    counts = interval_counts(valid, cut)
    lo = int(np.searchsorted(valid, -np.inf, side="right"))  # sorted: ±inf sit at the ends
    finite = valid[lo : int(np.searchsorted(valid, np.inf, side="left"))]
    mean = float(finite.mean()) if finite.size else None
    std = float(finite.std()) if finite.size else None
    return NumericSummary(
        name, tuple(cut.tolist()), tuple(int(c) for c in counts), len(values) - n_valid, mean, std
    )


def summarize_categorical(name: str, series: pd.Series, top_k: int | None) -> CategoricalSummary:
    counts = category_counts(series).sort_values(ascending=False, kind="stable")
    kept = counts.iloc[:top_k]
    other = 0 if top_k is None else int(counts.iloc[top_k:].sum())
    return CategoricalSummary(
        name,
        tuple(str(k) for k in kept.index),
        (*(int(c) for c in kept.to_numpy()), other),
        int(series.isna().sum()),
    )


def summarize(
    data: object,
    *,
    columns: Iterable[str] | None = None,
    categorical: Iterable[str] = (),
    n_quantiles: int = DEFAULT_QUANTILES,
    top_k: int | None = DEFAULT_TOP_K,
    edges: Mapping[str, Sequence[float]] | None = None,
) -> ReferenceSummary:
    """Summarize reference data once: quantile-bin counts or top-k frequencies per column.

    ``data`` may also be a Polars frame (eager or lazy), a Parquet file/dataset
    path, a pyarrow Table/Dataset or a Spark DataFrame: the summary is then built
    by that engine (:mod:`mltestscore.engines`) without pandas.
    ``edges`` (column → edges, e.g. ``engines.counts.edges_of(plan)``) replaces the
    quantile cut of those columns, so summaries of parts counted with the same
    edges (and ``top_k=None``) merge exactly
    (:func:`mltestscore.engines.counts.merge_summaries`).
    """
    if n_quantiles < 2:
        raise ValueError(f"n_quantiles must be >= 2, got {n_quantiles}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 (or None: keep every value), got {top_k}")
    from mltestscore import engines

    if engines.engine_of(data) not in (None, "pandas"):
        return engines.summarize(
            data, columns=columns, categorical=categorical, n_quantiles=n_quantiles,
            top_k=top_k, edges=edges,
        )  # fmt: skip
    frame = statistics_frame(data, "reference data")
    names = [str(c) for c in frame.columns] if columns is None else [str(c) for c in columns]
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise KeyError(f"reference data has no column(s) {', '.join(map(repr, missing))}")
    forced = set(categorical)
    out: list[ColumnSummary] = []
    for name in names:
        series = frame[name]
        if name not in forced and is_numeric(series):
            planned = None if edges is None else edges.get(name)
            out.append(summarize_numeric(name, numeric_values(series), n_quantiles, planned))
        else:
            out.append(summarize_categorical(name, series, top_k))
    return ReferenceSummary(tuple(out), len(frame))
