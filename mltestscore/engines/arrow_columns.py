"""Reading Arrow data column by column: schemas, column kinds, float and value-count views.

Shared by the columnar engine (:mod:`mltestscore.engines.arrow`): in-memory Arrow
tables, Polars frames (eager and lazy) and Parquet files/datasets. pyarrow and
Polars are imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from mltestscore.engines import engine_of


def import_pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.compute
    except ImportError as exc:
        raise ImportError(
            "Polars/Parquet data needs pyarrow: pip install 'mltestscore[polars]' or "
            "'mltestscore[parquet]'"
        ) from exc
    return pa


def open_dataset(data: Any) -> Any:
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
    pa = import_pyarrow()
    engine = engine_of(data)
    if engine == "polars-lazy":
        import polars as pl

        return pl.DataFrame(schema=data.collect_schema()).to_arrow().schema
    if engine == "polars":
        if isinstance(data, pa.Table):
            return data.schema
        return data.head(0).to_arrow().schema
    return open_dataset(data).schema


def arrow_kind(arrow_type: Any) -> str:
    pa = import_pyarrow()
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "numeric"
    if pa.types.is_timestamp(arrow_type):
        return "datetime"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "categorical"


def kinds(data: Any) -> dict[str, str]:
    return {f.name: arrow_kind(f.type) for f in arrow_schema(data)}


def column_kinds_arrow(data: Any) -> dict[str, str]:
    """Column → ``text``/``integer``/``other`` (what the PII scan looks at)."""
    pa = import_pyarrow()
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


def column_of(batch: Any, name: str) -> Any:
    """One column of a batch as an Arrow array (Polars frames hand over zero-copy)."""
    if hasattr(batch, "get_column"):  # polars.DataFrame
        return batch.get_column(name).to_arrow()
    return batch.column(name)


def row_count(batch: Any) -> int:
    return int(batch.height if hasattr(batch, "height") else batch.num_rows)


def floats(column: Any, kind: str) -> npt.NDArray[np.float64]:
    """The column as float64, NaN for missing (timestamps as epoch seconds)."""
    pa = import_pyarrow()
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
    pa = import_pyarrow()
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
