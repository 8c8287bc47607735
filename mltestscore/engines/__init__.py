"""Where the data lives: pandas, Polars, Parquet/Arrow streams or Spark — one entry point.

The data and monitoring checks hand their tables to the shared helpers
(:func:`mltestscore.stats.summarize` / :func:`~mltestscore.stats.compare`,
:func:`mltestscore.schema.validate`, the PII scan of data.5); those ask :func:`engine_of` what they were given and, for anything but pandas,
call the engine here, which never converts the data to pandas:

===============  ===============================================  =========================
``engine_of``    data                                             drift statistics
===============  ===============================================  =========================
``pandas``       ``pandas.DataFrame`` / ``Series``                the existing pandas path
``polars``       ``polars.DataFrame``, ``pyarrow.Table``          exact quantiles, per column
``polars-lazy``  ``polars.LazyFrame``                             streamed batches + KLL
``parquet``      ``.parquet`` file or folder, ``pyarrow.dataset``  row groups + KLL
``spark``        ``pyspark.sql.DataFrame``                        Spark aggregations
===============  ===============================================  =========================

Streamed engines read the data twice for a reference summary (quantile sketch,
then exact counts in the sketch's edges) and once for current counts; memory
holds one batch (``batch_rows``) plus the sketches. Engines import lazily, so
pandas-only installs never load Polars, pyarrow or PySpark.

Modules: :mod:`~mltestscore.engines.counts` (mergeable counts and the numpy kernels
every engine shares), :mod:`~mltestscore.engines.sketch` (KLL quantile edges),
:mod:`~mltestscore.engines.arrow` with :mod:`~mltestscore.engines.arrow_columns` (Polars,
Arrow, Parquet) and :mod:`~mltestscore.engines.spark`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

# mltestscore.stats re-exports the counts and the counts build stats' summaries:
# load stats first, whichever of the two packages is imported first.
import mltestscore.stats  # noqa: F401
from mltestscore.engines.counts import CurrentCounts
from mltestscore.stats.summary import DEFAULT_QUANTILES, DEFAULT_TOP_K, ReferenceSummary

PARQUET_SUFFIXES = (".parquet", ".pq")
ENGINES = ("pandas", "polars", "polars-lazy", "parquet", "spark")


def engine_of(data: object) -> str | None:
    """The engine that holds ``data`` (see the module table), or None when none does."""
    module = type(data).__module__
    name = type(data).__name__
    if module.startswith("pandas"):
        return "pandas"
    if module.startswith("polars"):
        return {"DataFrame": "polars", "LazyFrame": "polars-lazy"}.get(name)
    if module.startswith("pyarrow"):
        if name == "Table":
            return "polars"  # an in-memory Arrow table: the same columnar path as eager Polars
        if "Dataset" in name:
            return "parquet"
        return None
    if module.startswith("pyspark.sql") and name == "DataFrame":
        return "spark"
    if isinstance(data, str | Path) and is_parquet_path(data):
        return "parquet"
    return None


def is_parquet_path(path: str | Path) -> bool:
    """A ``.parquet``/``.pq`` file, or a folder holding such files (a dataset)."""
    p = Path(path)
    if p.suffix.lower() in PARQUET_SUFFIXES:
        return True
    return p.is_dir() and any(
        f.suffix.lower() in PARQUET_SUFFIXES for f in p.rglob("*") if f.is_file()
    )


def is_engine_data(data: object) -> bool:
    """True for a table one of the non-pandas engines reads (Polars, Parquet, Arrow, Spark)."""
    return engine_of(data) not in (None, "pandas")


def summarize(
    data: Any,
    *,
    columns: Iterable[str] | None = None,
    categorical: Iterable[str] = (),
    n_quantiles: int = DEFAULT_QUANTILES,
    top_k: int | None = DEFAULT_TOP_K,
    edges: Mapping[str, Sequence[float]] | None = None,
) -> ReferenceSummary:
    """A reference summary computed by the engine holding ``data``."""
    engine = engine_of(data)
    cols = None if columns is None else [str(c) for c in columns]
    if engine == "spark":
        from mltestscore.engines.spark import summarize_spark

        return summarize_spark(data, cols, tuple(categorical), n_quantiles, top_k, edges)
    if engine in ("polars", "polars-lazy", "parquet"):
        from mltestscore.engines.arrow import summarize_arrow

        return summarize_arrow(data, cols, tuple(categorical), n_quantiles, top_k, edges)
    raise TypeError(f"reference data: no engine reads {type(data).__name__}")


def current_counts(
    summary: ReferenceSummary, data: Any, columns: Sequence[str] | None = None
) -> CurrentCounts:
    """Counts of ``data`` in the bins of ``summary`` (mergeable; see ``CurrentCounts``)."""
    engine = engine_of(data)
    wanted = list(summary.names if columns is None else columns)
    if engine == "spark":
        from mltestscore.engines.spark import current_counts_spark

        return current_counts_spark(summary, data, wanted)
    if engine in ("polars", "polars-lazy", "parquet"):
        from mltestscore.engines.arrow import current_counts_arrow

        return current_counts_arrow(summary, data, wanted)
    raise TypeError(f"current data: no engine reads {type(data).__name__}")


def sample(data: Any, columns: Sequence[str] | None, rows: int, seed: int) -> Any:
    """A seeded sample of at most ``rows`` rows as a small pandas frame, drawn by the engine.

    Used by the PII scan, which needs Python's regexes and validators on a bounded
    number of cells; the full data never leaves its engine.
    """
    engine = engine_of(data)
    if engine == "spark":
        from mltestscore.engines.spark import sample_spark

        return sample_spark(data, columns, rows, seed)
    if engine in ("polars", "polars-lazy", "parquet"):
        from mltestscore.engines.arrow import sample_arrow

        return sample_arrow(data, columns, rows, seed)
    raise TypeError(f"no engine reads {type(data).__name__}")


def column_kinds(data: Any) -> dict[str, str]:
    """Column name → ``"text"``, ``"integer"`` or ``"other"`` without reading rows."""
    engine = engine_of(data)
    if engine == "spark":
        from mltestscore.engines.spark import column_kinds_spark

        return column_kinds_spark(data)
    from mltestscore.engines.arrow_columns import column_kinds_arrow

    return column_kinds_arrow(data)
