"""pandera adapter: validate a DataFrame lazily and summarise the failure cases.

pandera reports one row per failing cell (``failure_case`` holds the value); the
summary keeps counts per column and check, a few integer row labels and, for
column-level failures, the observed dtype or missing column name — never the
failing values.

Three pandera backends, chosen by the schema: ``pandera.pandas`` (pandas frames
and table paths), ``pandera.polars`` (Polars ``DataFrame``/``LazyFrame``; a
Parquet path or ``pyarrow`` dataset is scanned lazily with ``pl.scan_parquet``,
and lazy frames get data-level checks too, evaluated by Polars' streaming engine)
and ``pandera.pyspark`` (Spark DataFrames). The PySpark backend reports which
checks failed but not on how many rows: such a failure counts every row (the
report's ``detail`` says so), so a tolerance cannot hide it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mltestscore.schema.spec import (
    MAX_EXAMPLES,
    TABLE,
    SchemaFailure,
    SchemaReport,
    example_rows,
    report_from_failures,
)


def as_pandera_schema(schema: object) -> Any:
    """A pandera ``DataFrameSchema`` (any backend) for ``schema``, or None if it is not pandera."""
    module = getattr(schema, "__module__", "") or type(schema).__module__
    if not str(module).startswith("pandera") and not isinstance(schema, type):
        return None
    from pandera.api.dataframe.container import DataFrameSchema
    from pandera.api.dataframe.model import DataFrameModel

    if isinstance(schema, DataFrameSchema):
        return schema
    if isinstance(schema, type) and issubclass(schema, DataFrameModel):
        return schema.to_schema()
    try:  # the PySpark backend's classes do not derive from the shared dataframe API
        from pandera.api.pyspark.container import DataFrameSchema as SparkSchema
        from pandera.api.pyspark.model import DataFrameModel as SparkModel
    except ImportError:
        return None
    if isinstance(schema, SparkSchema):
        return schema
    if isinstance(schema, type) and issubclass(schema, SparkModel):
        return schema.to_schema()
    return None


def backend_of(schema: Any) -> str:
    """``pandas``, ``polars`` or ``pyspark``: the pandera backend a schema validates with."""
    module = type(schema).__module__
    for name in ("polars", "pyspark"):
        if f".{name}." in module:
            return name
    return "pandas"


def validate_polars(schema: Any, data: Any, *, lazy: bool = True) -> SchemaReport:
    """Validate a Polars frame (eager or lazy) with pandera's Polars backend."""
    import pandera.errors as pe
    import polars as pl
    from pandera.config import ValidationDepth, config_context

    checked = [str(c) for c in schema.columns]
    if isinstance(data, pl.LazyFrame):
        columns = list(data.collect_schema().names())
        rows = int(data.select(pl.len()).collect(engine="streaming").item())
    else:
        columns, rows = list(data.columns), int(data.height)
    try:
        with config_context(validation_depth=ValidationDepth.SCHEMA_AND_DATA):
            schema.validate(data, lazy=lazy)
    except pe.SchemaErrors as exc:
        cases = pd.DataFrame(exc.failure_cases.to_dict(as_series=False))
        return _pandera_report(cases, rows, columns, checked)
    except pe.SchemaError as exc:
        cases = pd.DataFrame({"column": [getattr(getattr(exc, "schema", None), "name", None)
                              or TABLE], "check": [str(exc.check or exc.reason_code)],
                              "failure_case": [None], "index": [None]})  # fmt: skip
        return _pandera_report(cases, rows, columns, checked)
    except pe.SchemaDefinitionError as exc:
        raise ValueError(f"schema: the pandera schema cannot be applied ({exc})") from exc
    return report_from_failures("pandera", rows, [], {}, checked, [str(c) for c in columns])


def validate_pyspark(schema: Any, data: Any) -> SchemaReport:
    """Validate a Spark DataFrame with pandera's PySpark backend (see the module doc)."""
    checked = [str(c) for c in schema.columns]
    validated = schema.validate(data)
    errors = getattr(getattr(validated, "pandera", None), "errors", None) or {}
    rows = int(data.count())
    failures: list[SchemaFailure] = []
    failing: dict[str, int] = {}
    for _depth, reasons in dict(errors).items():
        for reason, items in dict(reasons).items():
            for item in items:
                column = str(item.get("column") or TABLE)
                if column == str(item.get("schema")):
                    column = TABLE
                check = str(item.get("check") or reason)[:120]
                detail = f"{reason}: row count not reported by pandera's PySpark backend"
                failures.append(SchemaFailure(column, check, rows, (), detail[:120]))
                failing[column] = rows
    return report_from_failures(
        "pandera", rows, failures, failing, checked, [str(c) for c in data.columns]
    )


def validate_pandera(schema: Any, frame: pd.DataFrame, *, lazy: bool = True) -> SchemaReport:
    """Validate with pandera and summarise its failure cases without their values."""
    import pandera.errors as pe

    checked = [str(c) for c in schema.columns]
    try:
        schema.validate(frame, lazy=lazy)
    except pe.SchemaErrors as exc:
        return _pandera_report(exc.failure_cases, len(frame), list(frame.columns), checked)
    except pe.SchemaError as exc:
        cases = exc.failure_cases
        if not isinstance(cases, pd.DataFrame):
            column = getattr(getattr(exc, "schema", None), "name", None) or TABLE
            cases = pd.DataFrame(
                {
                    "column": [column],
                    "check": [str(exc.check or exc.reason_code)],
                    "failure_case": [None],
                    "index": [None],
                    "schema_context": ["Column"],
                }
            )
        else:
            cases = cases.assign(
                column=getattr(getattr(exc, "schema", None), "name", None),
                check=str(exc.check),
                schema_context="Column",
            )
        return _pandera_report(cases, len(frame), list(frame.columns), checked)
    except pe.SchemaDefinitionError as exc:
        raise ValueError(f"schema: the pandera schema cannot be applied ({exc})") from exc
    return report_from_failures("pandera", len(frame), [], {}, checked, list(map(str, frame)))


_COLUMN_LEVEL_DETAIL = ("dtype(", "column_in_dataframe", "column_in_schema")


def _pandera_report(
    cases: pd.DataFrame, rows: int, data_columns: list[Any], checked: list[str]
) -> SchemaReport:
    """Summarise pandera's failure cases (one row per failing cell) per column and check."""
    check = cases["check"].astype(str).str.slice(0, 120)
    named = cases["column"].notna()
    fallback = check.str.startswith("column_in").to_numpy()
    column = np.where(
        named.to_numpy(),
        cases["column"].astype(object).astype(str).to_numpy(),
        np.where(fallback, cases["failure_case"].astype(object).astype(str).to_numpy(), TABLE),
    )
    index = cases["index"].astype(object)
    cases = pd.DataFrame(
        {
            "column": column,
            "check": check.to_numpy(),
            "index": index.to_numpy(),
            "element": index.notna().to_numpy(),
            "failure_case": cases["failure_case"].astype(object).to_numpy(),
        }
    )
    failures: list[SchemaFailure] = []
    whole_columns: set[str] = set()  # column- or table-level failures: every row is affected
    for (col, name), group in cases.groupby(["column", "check"], sort=False):
        col, name = str(col), str(name)
        elements = group["index"][group["element"]]
        detail = ""
        if elements.empty:
            whole_columns.add(col)
            count = rows
            if name.startswith(_COLUMN_LEVEL_DETAIL):
                observed = sorted({str(v) for v in group["failure_case"].iloc[:20]})
                detail = ("observed " + ", ".join(observed))[:120]
        else:
            count = len(elements)
        examples = example_rows(elements.iloc[:MAX_EXAMPLES].tolist())
        failures.append(SchemaFailure(col, name, count, examples, detail))
    element_cases = cases[cases["element"]]
    counts = {
        str(col): int(n)
        for col, n in element_cases.groupby("column")["index"].agg(_distinct_rows).items()
    }
    counts.update({col: rows for col in whole_columns})
    return report_from_failures(
        "pandera", rows, failures, counts, checked, [str(c) for c in data_columns]
    )


def _distinct_rows(index: pd.Series) -> int:
    """Distinct row labels (labels may be unhashable tuples of a MultiIndex)."""
    try:
        return int(index.nunique())
    except TypeError:
        return len({repr(v) for v in index})
