"""Spark engine: drift counts as Spark aggregations; only small results reach the driver.

A reference summary takes two jobs and a current-side count two more:

1. one aggregation — row count, missing counts, the finite values' count, mean
   and population variance, and (reference only) the quantile edges by
   ``percentile_approx`` with ``accuracy=ACCURACY`` (each edge's rank is within
   ``1 / ACCURACY`` of its target — recorded in the summary's provenance);
2. one grouped count — numeric columns through ML's ``Bucketizer`` on splits that
   interleave each edge with the next float above it (so every slot of
   :class:`~mltestscore.stats.summary.NumericSummary`, edge atoms included,
   is one bucket), categorical columns by value (reference: the ``top_k`` most
   frequent per column, ranked in Spark; current: the reference's categories and
   one "other" key), all columns stacked by ``explode`` into one ``groupBy``.

The driver receives a few thousand rows whatever the data size; ``toPandas()``
of the data never happens. The PII scan's sample is the only row data collected
(at most ``max_rows`` rows, drawn by Spark's ``sample``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mltestscore.engines.counts import (
    CategoryCounts,
    ColumnCounts,
    CurrentCounts,
    NumericCounts,
    split_columns,
)
from mltestscore.stats.summary import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
)

ACCURACY = 10_000  # percentile_approx: rank error of each edge at most 1/ACCURACY
_OTHER = "\x00other"  # key of current values outside the reference's categories


def _f() -> Any:
    try:
        from pyspark.sql import functions as F
    except ImportError as exc:  # pragma: no cover - only reached with a Spark frame in hand
        raise ImportError("Spark data needs pyspark: pip install 'mltestscore[spark]'") from exc
    return F


def _kinds(df: Any) -> dict[str, str]:
    from pyspark.sql import types as T

    out: dict[str, str] = {}
    for f in df.schema.fields:
        t = f.dataType
        if isinstance(t, T.BooleanType):
            out[f.name] = "bool"
        elif isinstance(t, T.NumericType):
            out[f.name] = "numeric"
        elif isinstance(t, T.TimestampType | T.TimestampNTZType):
            out[f.name] = "datetime"
        else:
            out[f.name] = "categorical"
    return out


def column_kinds_spark(df: Any) -> dict[str, str]:
    from pyspark.sql import types as T

    out: dict[str, str] = {}
    for f in df.schema.fields:
        if isinstance(f.dataType, T.StringType):
            out[f.name] = "text"
        elif isinstance(f.dataType, T.IntegralType):
            out[f.name] = "integer"
        else:
            out[f.name] = "other"
    return out


def _col(name: str) -> Any:
    return _f().col("`" + name.replace("`", "``") + "`")


def _value(name: str, kind: str) -> Any:
    """A numeric column as double, NaN turned into null (missing either way)."""
    F = _f()
    if kind == "datetime":
        v = F.unix_micros(_col(name).cast("timestamp")) / 1e6
    else:
        v = _col(name).cast("double")
    return F.when(~F.isnan(v), v)


def _text(name: str, kind: str) -> Any:
    F = _f()
    c = _col(name)
    if kind == "bool":
        return F.when(c, F.lit("True")).when(~c, F.lit("False"))
    return c.cast("string")


def _splits(edges: Sequence[float]) -> tuple[list[float], list[int]]:
    """Bucketizer splits whose buckets are the summary's slots, and each bucket's slot."""
    points: list[tuple[float, int]] = [(-math.inf, 0)]
    for i, e in enumerate(edges):
        for value, slot in ((e, 2 * i + 1), (float(np.nextafter(e, math.inf)), 2 * i + 2)):
            if value == points[-1][0]:
                points[-1] = (value, slot)  # an empty bucket [x, x): the later slot starts here
            else:
                points.append((value, slot))
    if points[-1][0] == math.inf:
        points.pop()
    return [p[0] for p in points] + [math.inf], [p[1] for p in points]


def _moments(F: Any, i: int, name: str, kind: str) -> list[Any]:
    v = _value(name, kind)
    finite = F.when(v.isNotNull() & (F.abs(v) != F.lit(math.inf)), v)
    return [
        F.sum(F.when(v.isNull(), 1).otherwise(0)).alias(f"na{i}"),
        F.count(finite).alias(f"n{i}"),
        F.avg(finite).alias(f"m{i}"),
        F.var_pop(finite).alias(f"v{i}"),
    ]


def _grouped(
    df: Any,
    numeric: Sequence[tuple[str, str, Sequence[float]]],
    cats: Sequence[tuple[str, Any]],
    top_k: int | None,
) -> dict[int, dict[str, int]]:
    """One stacked ``groupBy``: column index → key (bucket index or value) → count."""
    F = _f()
    if not numeric and not cats:
        return {}
    frame = df
    structs = []
    bucket_inputs, bucket_outputs, splits_array = [], [], []
    for i, (name, kind, edges) in enumerate(numeric):
        if not edges:
            continue  # no edges: every valid value sits in slot 0 (counted from the aggregation)
        splits, _ = _splits(edges)
        frame = frame.withColumn(f"__v{i}", F.coalesce(_value(name, kind), F.lit(math.nan)))
        bucket_inputs.append(f"__v{i}")
        bucket_outputs.append(f"__b{i}")
        splits_array.append(splits)
        structs.append(F.struct(F.lit(i).alias("c"), F.col(f"__b{i}").cast("long").cast("string")
                                .alias("k")))  # fmt: skip
    if bucket_inputs:
        with warnings.catch_warnings():  # pyspark.ml's import warns about pandas >= 3; the
            # drift path never converts to pandas, so the warning does not apply here
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
            from pyspark.ml.feature import Bucketizer

        frame = Bucketizer(splitsArray=splits_array, inputCols=bucket_inputs,
                           outputCols=bucket_outputs, handleInvalid="keep").transform(frame)  # fmt: skip
    offset = len(numeric)
    for j, (_, expr) in enumerate(cats):
        structs.append(F.struct(F.lit(offset + j).alias("c"), expr.alias("k")))
    if not structs:
        return {}
    counted = (
        frame.select(F.explode(F.array(*structs)).alias("x"))
        .where(F.col("x.k").isNotNull())
        .groupBy(F.col("x.c").alias("c"), F.col("x.k").alias("k"))
        .count()
    )
    if top_k is not None and cats:
        from pyspark.sql import Window

        rank = F.row_number().over(
            Window.partitionBy("c").orderBy(F.col("count").desc(), F.col("k"))
        )
        counted = counted.withColumn("r", rank).where((F.col("c") < offset) | (F.col("r") <= top_k))
    out: dict[int, dict[str, int]] = {}
    for row in counted.collect():
        out.setdefault(int(row["c"]), {})[str(row["k"])] = int(row["count"])
    return out


def _numeric_counts(
    name: str, edges: Sequence[float], buckets: Mapping[str, int], agg: Any, i: int
) -> NumericCounts:
    n_missing = int(agg[f"na{i}"] or 0)
    counts = [0] * (2 * len(edges) + 1)
    if edges:
        splits, slots = _splits(edges)
        invalid = str(len(splits) - 1)  # handleInvalid="keep": NaN (missing) bucket
        for key, n in buckets.items():
            if key != invalid:
                counts[slots[int(key)]] += n
    else:
        counts[0] = int(agg["__n"]) - n_missing
    finite = int(agg[f"n{i}"] or 0)
    mean = float(agg[f"m{i}"]) if finite else math.nan
    m2 = float(agg[f"v{i}"] or 0.0) * finite
    return NumericCounts(name, tuple(edges), tuple(counts), n_missing, finite, mean, m2)


def summarize_spark(
    df: Any,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    n_quantiles: int,
    top_k: int | None,
    edges: Mapping[str, Sequence[float]] | None,
) -> ReferenceSummary:
    """Reference summary of a Spark DataFrame (see the module doc)."""
    F = _f()
    found = _kinds(df)
    names, numeric = split_columns(found, columns, categorical)
    cats = [n for n in names if n not in set(numeric)]
    plan = {k: tuple(float(e) for e in v) for k, v in (edges or {}).items()}
    ranks = [q / n_quantiles for q in range(1, n_quantiles)]
    aggs = [F.count(F.lit(1)).alias("__n")]
    for i, name in enumerate(numeric):
        aggs += _moments(F, i, name, found[name])
        if name not in plan:
            aggs.append(F.percentile_approx(_value(name, found[name]), ranks, ACCURACY)
                        .alias(f"q{i}"))  # fmt: skip
    for j, name in enumerate(cats):
        aggs.append(F.sum(F.when(_col(name).isNull(), 1).otherwise(0)).alias(f"cn{j}"))
    agg = df.agg(*aggs).collect()[0]
    if int(agg["__n"]) == 0:
        raise ValueError("reference data has no rows")
    for i, name in enumerate(numeric):
        if name not in plan:
            qs = agg[f"q{i}"]
            plan[name] = tuple(sorted({float(q) for q in qs if q is not None})) if qs else ()
    grouped = _grouped(
        df,
        [(n, found[n], plan[n]) for n in numeric],
        [(n, _text(n, found[n])) for n in cats],
        top_k,
    )
    by_name: dict[str, Any] = {}
    for i, name in enumerate(numeric):
        by_name[name] = _numeric_counts(name, plan[name], grouped.get(i, {}), agg, i).to_summary()
    for j, name in enumerate(cats):
        nulls = int(agg[f"cn{j}"] or 0)
        kept = grouped.get(len(numeric) + j, {})
        total = int(agg["__n"]) - nulls
        counts = CategoryCounts(name, kept, nulls, total - sum(kept.values()))
        by_name[name] = counts.to_summary(None)
    provenance = {"engine": "spark", "quantiles": "percentile_approx",
                  "quantile_rank_error": 1.0 / ACCURACY}  # fmt: skip
    return ReferenceSummary(tuple(by_name[n] for n in names), int(agg["__n"]), provenance)


def current_counts_spark(
    summary: ReferenceSummary, df: Any, wanted: Sequence[str]
) -> CurrentCounts:
    """Counts of a Spark DataFrame in the bins of ``summary`` (two Spark jobs)."""
    F = _f()
    found = _kinds(df)
    present = [c for c in wanted if c in found and c in summary.names]
    numeric = [summary.column(c) for c in present]
    nums = [s for s in numeric if isinstance(s, NumericSummary)]
    cats = [s for s in numeric if isinstance(s, CategoricalSummary)]
    aggs = [F.count(F.lit(1)).alias("__n")]
    kind = {s.name: found[s.name] if found[s.name] == "datetime" else "numeric" for s in nums}
    for i, s in enumerate(nums):
        aggs += _moments(F, i, s.name, kind[s.name])
    for j, c in enumerate(cats):
        aggs.append(F.sum(F.when(_col(c.name).isNull(), 1).otherwise(0)).alias(f"cn{j}"))
    agg = df.agg(*aggs).collect()[0]
    cat_exprs = []
    for c in cats:
        text = _text(c.name, found[c.name])
        cat_exprs.append((c.name, F.when(text.isNull(), F.lit(None)).when(
            text.isin(list(c.categories)), text).otherwise(F.lit(_OTHER))))  # fmt: skip
    grouped = _grouped(df, [(s.name, kind[s.name], s.edges) for s in nums], cat_exprs, None)
    out: dict[str, ColumnCounts] = {}
    for i, s in enumerate(nums):
        out[s.name] = _numeric_counts(s.name, s.edges, grouped.get(i, {}), agg, i)
    for j, c in enumerate(cats):
        values = dict(grouped.get(len(nums) + j, {}))
        other = values.pop(_OTHER, 0)
        out[c.name] = CategoryCounts(c.name, values, int(agg[f"cn{j}"] or 0), other)
    return CurrentCounts(out, int(agg["__n"]), tuple(found), "spark")


def sample_spark(df: Any, columns: Sequence[str] | None, rows: int, seed: int) -> Any:
    """At most ``rows`` rows drawn by Spark's ``sample`` (seeded), as a small pandas frame."""
    import pandas as pd

    cols = list(df.columns) if columns is None else list(columns)
    n = int(df.count())
    fraction = 1.0 if n <= rows else min(1.0, 1.2 * rows / n)
    picked = df.select(*[_col(c) for c in cols])
    if fraction < 1.0:
        picked = picked.sample(withReplacement=False, fraction=fraction, seed=seed)
    records = [tuple(r) for r in picked.limit(rows).collect()]
    return pd.DataFrame.from_records(records, columns=cols)
