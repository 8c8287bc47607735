"""Columnar engine: Polars (eager and lazy), Arrow tables and Parquet files/datasets.

Everything goes through Arrow arrays, one batch at a time, and numpy kernels
(:mod:`mltestscore.engines.counts`); nothing is converted to pandas.

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

from mltestscore.engines import engine_of
from mltestscore.engines.arrow_columns import (
    column_of,
    floats,
    import_pyarrow,
    kinds,
    open_dataset,
    row_count,
    value_counts,
)
from mltestscore.engines.counts import (
    CategoryCounts,
    ColumnCounts,
    CurrentCounts,
    NumericCounts,
    merge_column,
    numeric_counts,
    restricted,
    split_columns,
    summary_from_counts,
)
from mltestscore.engines.sketch import QuantileSketch
from mltestscore.stats.summary import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
    summarize_numeric,
)

BATCH_ROWS = 500_000  # rows per streamed batch: ~4 MB per numeric column


def _batches(data: Any, columns: Sequence[str]) -> Iterator[Any]:
    """Arrow tables/record batches of ``columns``, one at a time."""
    pa = import_pyarrow()
    engine = engine_of(data)
    cols = list(columns)
    if engine == "polars":
        table = data if isinstance(data, pa.Table) else None
        yield table.select(cols) if table is not None else data.select(cols)
    elif engine == "polars-lazy":
        for frame in data.select(cols).collect_batches(chunk_size=BATCH_ROWS):
            yield frame.to_arrow()
    else:
        scanner = open_dataset(data).scanner(
            columns=cols, batch_size=BATCH_ROWS, batch_readahead=1, fragment_readahead=1
        )
        yield from scanner.to_batches()


def summarize_arrow(
    data: Any,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    n_quantiles: int,
    top_k: int | None,
    edges: Mapping[str, Sequence[float]] | None,
) -> ReferenceSummary:
    """Reference summary of Polars/Arrow/Parquet data (see the module doc)."""
    found = kinds(data)
    names, numeric = split_columns(found, columns, categorical)
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
            n_rows += row_count(batch)
            for name in sketched:
                values = floats(column_of(batch, name), found[name])
                sketch.update(name, values[~np.isnan(values)])
            _count_categories(batch, names, set(numeric), found, cats)
        plan.update({n: sketch.edges(n, n_quantiles) for n in sketched})
    counts: dict[str, NumericCounts] = {}
    n_second = 0
    for batch in _batches(data, numeric if sketch is not None else names):  # exact counts
        n_second += row_count(batch)
        for name in numeric:
            part = numeric_counts(name, floats(column_of(batch, name), found[name]), plan[name])
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
        values, nulls = value_counts(column_of(batch, name), found[name])
        part = CategoryCounts(name, values, nulls)
        out[name] = out[name].merge(part) if name in out else part


def _summarize_in_memory(
    data: Any, names: Sequence[str], numeric: set[str], found: Mapping[str, str],
    n_quantiles: int, top_k: int | None, plan: Mapping[str, Sequence[float]],
) -> ReferenceSummary:  # fmt: skip
    columns: list[Any] = []
    n_rows = row_count(data)
    if n_rows == 0:
        raise ValueError("reference data has no rows")
    for name in names:
        column = column_of(data, name)
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
        n_rows += row_count(batch)
        for name in present:
            ref = summary.column(name)
            column = column_of(batch, name)
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
    pa = import_pyarrow()
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
    dataset = open_dataset(data)
    n = int(dataset.count_rows())
    return dataset.take(pa.array(_indices(n, rows, seed)), columns=cols).to_pandas()


def _indices(n: int, rows: int, seed: int) -> npt.NDArray[np.int64]:
    if n <= rows:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=rows, replace=False)).astype(np.int64)
