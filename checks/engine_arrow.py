"""Columnar engine: Polars (eager and lazy), Arrow tables and Parquet files/datasets.

Everything goes through Arrow arrays, one batch at a time, and numpy kernels
(:mod:`mltestscore.checks.engine_counts`); nothing is converted to pandas.

- **In memory** (``polars.DataFrame``, ``pyarrow.Table``): one column at a time,
  exact quantiles — the summary equals the pandas path's.
- **Streamed** (``polars.LazyFrame`` via ``collect_batches``, Parquet via
  ``pyarrow.dataset`` in row-group batches of ``BATCH_ROWS`` with read-ahead
  off): a reference takes two passes — KLL sketches (quantile edges, rank error
  recorded in the summary's provenance) and value counts, then exact counts in
  those edges; current data takes one pass. Memory is one batch plus sketches.

Column kinds follow the pandas path: integers, floats and timestamps (epoch
seconds) are numeric; strings, categoricals, booleans (``"True"``/``"False"``)
and dates are categorical.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mltestscore.checks.engine_counts import (
    CategoryCounts,
    ColumnCounts,
    CurrentCounts,
    NumericCounts,
    QuantileSketch,
    merge_column,
    numeric_counts,
    restricted,
    summary_from_counts,
)
from mltestscore.checks.engines import engine_of
from mltestscore.checks.stats_summary import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
    summarize_numeric,
)

BATCH_ROWS = 500_000  # rows per streamed batch: ~4 MB per numeric column


def _pa() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.compute
    except ImportError as exc:
        raise ImportError(
            "Polars/Parquet data needs pyarrow: pip install 'mltestscore[polars]' or "
            "'mltestscore[parquet]'"
        ) from exc
    return pa


def _dataset(data: Any) -> Any:
    """A ``pyarrow.dataset.Dataset`` for a Parquet path (file or folder) or a Dataset."""
    import pyarrow.dataset as ds

    if isinstance(data, ds.Dataset):
        return data
    try:
        return ds.dataset(str(data), format="parquet")
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot open {data} as a Parquet file or dataset ({exc})") from exc


def arrow_schema(data: Any) -> Any:
    """The Arrow schema of ``data`` without reading its rows."""
    pa = _pa()
    engine = engine_of(data)
    if engine == "polars-lazy":
        import polars as pl

        return pl.DataFrame(schema=data.collect_schema()).to_arrow().schema
    if engine == "polars":
        if isinstance(data, pa.Table):
            return data.schema
        return data.head(0).to_arrow().schema
    return _dataset(data).schema


def _kind(arrow_type: Any) -> str:
    pa = _pa()
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "numeric"
    if pa.types.is_timestamp(arrow_type):
        return "datetime"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "categorical"


def kinds(data: Any) -> dict[str, str]:
    return {f.name: _kind(f.type) for f in arrow_schema(data)}


def column_kinds_arrow(data: Any) -> dict[str, str]:
    """Column → ``text``/``integer``/``other`` (what the PII scan looks at)."""
    pa = _pa()
    out: dict[str, str] = {}
    for f in arrow_schema(data):
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            out[f.name] = "text"
        elif pa.types.is_integer(t):
            out[f.name] = "integer"
        else:
            out[f.name] = "other"
    return out


def _batches(data: Any, columns: Sequence[str]) -> Iterator[Any]:
    """Arrow tables/record batches of ``columns``, one at a time."""
    pa = _pa()
    engine = engine_of(data)
    cols = list(columns)
    if engine == "polars":
        table = data if isinstance(data, pa.Table) else None
        yield table.select(cols) if table is not None else data.select(cols)
    elif engine == "polars-lazy":
        for frame in data.select(cols).collect_batches(chunk_size=BATCH_ROWS):
            yield frame.to_arrow()
    else:
        scanner = _dataset(data).scanner(
            columns=cols, batch_size=BATCH_ROWS, batch_readahead=1, fragment_readahead=1
        )
        yield from scanner.to_batches()


def _column(batch: Any, name: str) -> Any:
    """One column of a batch as an Arrow array (Polars frames hand over zero-copy)."""
    if hasattr(batch, "get_column"):  # polars.DataFrame
        return batch.get_column(name).to_arrow()
    return batch.column(name)


def _rows(batch: Any) -> int:
    return int(batch.height if hasattr(batch, "height") else batch.num_rows)


def floats(column: Any, kind: str) -> npt.NDArray[np.float64]:
    """The column as float64, NaN for missing (timestamps as epoch seconds)."""
    pa = _pa()
    pc = pa.compute
    if kind == "datetime":
        ns = pc.cast(pc.cast(column, pa.timestamp("ns")), pa.int64())
        values = np.asarray(ns.to_numpy(zero_copy_only=False), dtype=np.float64) / 1e9
        return values
    try:
        cast = pc.cast(column, pa.float64(), safe=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.full(len(column), np.nan)  # not numbers: every value counts as missing
    return np.asarray(cast.to_numpy(zero_copy_only=False), dtype=np.float64)


def value_counts(column: Any, kind: str) -> tuple[dict[str, int], int]:
    """Counts keyed by the values' string forms (as pandas ``str()`` writes them), nulls."""
    pa = _pa()
    pc = pa.compute
    if kind == "bool":
        column = pc.if_else(column, "True", "False")
    elif not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.large_string())
    counted = pc.value_counts(column)
    keys = counted.field("values").to_pylist()
    numbers = counted.field("counts").to_pylist()
    out = {str(k): int(n) for k, n in zip(keys, numbers, strict=True) if k is not None}
    return out, int(column.null_count)


def _split(
    data: Any, columns: Sequence[str] | None, categorical: Sequence[str]
) -> tuple[list[str], list[str], dict[str, str]]:
    found = kinds(data)
    names = list(found) if columns is None else list(columns)
    missing = [c for c in names if c not in found]
    if missing:
        raise KeyError(f"reference data has no column(s) {', '.join(map(repr, missing))}")
    forced = set(categorical)
    numeric = [n for n in names if n not in forced and found[n] in ("numeric", "datetime")]
    return names, numeric, found


def summarize_arrow(
    data: Any,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    n_quantiles: int,
    top_k: int | None,
    edges: Mapping[str, Sequence[float]] | None,
) -> ReferenceSummary:
    """Reference summary of Polars/Arrow/Parquet data (see the module doc)."""
    names, numeric, found = _split(data, columns, categorical)
    engine = engine_of(data)
    plan = {k: tuple(float(e) for e in v) for k, v in (edges or {}).items()}
    if engine == "polars":  # in memory: exact quantiles, one column at a time
        return _summarize_in_memory(data, names, set(numeric), found, n_quantiles, top_k, plan)
    sketched = [n for n in numeric if n not in plan]
    sketch = QuantileSketch(sketched) if sketched else None
    cats: dict[str, CategoryCounts] = {}
    n_rows = 0
    if sketch is not None:  # pass 1: quantile sketches and category counts
        for batch in _batches(data, names):
            n_rows += _rows(batch)
            for name in sketched:
                values = floats(_column(batch, name), found[name])
                sketch.update(name, values[~np.isnan(values)])
            _count_categories(batch, names, set(numeric), found, cats)
        plan.update({n: sketch.edges(n, n_quantiles) for n in sketched})
    counts: dict[str, NumericCounts] = {}
    n_second = 0
    for batch in _batches(data, numeric if sketch is not None else names):  # exact counts
        n_second += _rows(batch)
        for name in numeric:
            part = numeric_counts(name, floats(_column(batch, name), found[name]), plan[name])
            counts[name] = counts[name].merge(part) if name in counts else part
        if sketch is None:
            _count_categories(batch, names, set(numeric), found, cats)
    if sketch is not None and n_second != n_rows:
        raise ValueError(f"reference data changed between passes ({n_rows} then {n_second} rows)")
    if n_second == 0:
        raise ValueError("reference data has no rows")
    ordered: list[ColumnCounts] = [
        counts[n] if n in counts else cats.get(n, CategoryCounts(n, {}, 0)) for n in names
    ]
    provenance: dict[str, Any] = {"engine": engine, "quantiles": "exact" if sketch is None
                                  else "kll", "batch_rows": BATCH_ROWS}  # fmt: skip
    if sketch is not None:
        provenance["quantile_rank_error"] = round(sketch.rank_error, 6)
    return _with_provenance(summary_from_counts(ordered, n_second, top_k), provenance)


def _with_provenance(summary: ReferenceSummary, provenance: dict[str, Any]) -> ReferenceSummary:
    return ReferenceSummary(summary.columns, summary.n_rows, provenance)


def _count_categories(
    batch: Any, names: Sequence[str], numeric: set[str], found: Mapping[str, str],
    out: dict[str, CategoryCounts],
) -> None:  # fmt: skip
    for name in names:
        if name in numeric:
            continue
        values, nulls = value_counts(_column(batch, name), found[name])
        part = CategoryCounts(name, values, nulls)
        out[name] = out[name].merge(part) if name in out else part


def _summarize_in_memory(
    data: Any, names: Sequence[str], numeric: set[str], found: Mapping[str, str],
    n_quantiles: int, top_k: int | None, plan: Mapping[str, Sequence[float]],
) -> ReferenceSummary:  # fmt: skip
    columns: list[Any] = []
    n_rows = _rows(data)
    if n_rows == 0:
        raise ValueError("reference data has no rows")
    for name in names:
        column = _column(data, name)
        if name in numeric:
            summary: NumericSummary = summarize_numeric(
                name, floats(column, found[name]), n_quantiles, plan.get(name)
            )
            columns.append(summary)
        else:
            values, nulls = value_counts(column, found[name])
            columns.append(CategoryCounts(name, values, nulls).to_summary(top_k))
    return ReferenceSummary(tuple(columns), n_rows, {"engine": "polars", "quantiles": "exact"})


def current_counts_arrow(
    summary: ReferenceSummary, data: Any, wanted: Sequence[str]
) -> CurrentCounts:
    """Counts of Polars/Arrow/Parquet data in the bins of ``summary``, batch by batch."""
    found = kinds(data)
    present = [c for c in wanted if c in found and c in summary.names]
    out: dict[str, ColumnCounts] = {}
    n_rows = 0
    for batch in _batches(data, present or list(found)[:1]):
        n_rows += _rows(batch)
        for name in present:
            ref = summary.column(name)
            column = _column(batch, name)
            part: ColumnCounts
            if isinstance(ref, NumericSummary):
                kind = found[name] if found[name] in ("numeric", "datetime") else "numeric"
                part = numeric_counts(name, floats(column, kind), ref.edges)
            else:
                assert_categorical(ref)
                values, nulls = value_counts(column, found[name])
                kept, other = restricted(values, ref.categories)
                part = CategoryCounts(name, kept, nulls, other)
            out[name] = merge_column(out[name], part) if name in out else part
    return CurrentCounts(out, n_rows, tuple(found), str(engine_of(data)))


def assert_categorical(ref: object) -> None:
    if not isinstance(ref, CategoricalSummary):
        raise TypeError(f"expected a categorical summary, got {type(ref).__name__}")


def sample_arrow(data: Any, columns: Sequence[str] | None, rows: int, seed: int) -> Any:
    """A seeded row sample (at most ``rows``) of ``columns`` as a small pandas frame."""
    pa = _pa()
    engine = engine_of(data)
    cols = list(kinds(data)) if columns is None else list(columns)
    if engine == "polars":
        if isinstance(data, pa.Table):
            n = data.num_rows
            idx = _indices(n, rows, seed)
            return data.select(cols).take(pa.array(idx)).to_pandas()
        n = data.height
        return data.select(cols).sample(n=min(rows, n), seed=seed).to_pandas()
    if engine == "polars-lazy":
        import polars as pl

        n = int(data.select(pl.len()).collect().item())
        idx = _indices(n, rows, seed)
        picked = (
            data.select(cols)
            .with_row_index("__row")
            .filter(pl.col("__row").is_in(idx.tolist()))
            .drop("__row")
            .collect(engine="streaming")
        )
        return picked.to_pandas()
    dataset = _dataset(data)
    n = int(dataset.count_rows())
    return dataset.take(pa.array(_indices(n, rows, seed)), columns=cols).to_pandas()


def _indices(n: int, rows: int, seed: int) -> npt.NDArray[np.int64]:
    if n <= rows:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=rows, replace=False)).astype(np.int64)
