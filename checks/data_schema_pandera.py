"""pandera adapter: validate a DataFrame lazily and summarise the failure cases.

pandera reports one row per failing cell (``failure_case`` holds the value); the
summary keeps counts per column and check, a few integer row labels and, for
column-level failures, the observed dtype or missing column name — never the
failing values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks.schema import (
    MAX_EXAMPLES,
    TABLE,
    SchemaFailure,
    SchemaReport,
    example_rows,
    report_from_failures,
)


def as_pandera_schema(schema: object) -> Any:
    """A pandera (pandas) ``DataFrameSchema`` for ``schema``, or None if it is not pandera."""
    module = getattr(schema, "__module__", "") or type(schema).__module__
    if not str(module).startswith("pandera") and not isinstance(schema, type):
        return None
    import pandera.pandas as pa

    if isinstance(schema, pa.DataFrameSchema):
        return schema
    if isinstance(schema, type) and issubclass(schema, pa.DataFrameModel):
        return schema.to_schema()
    return None


def validate_pandera(schema: Any, frame: pd.DataFrame, *, lazy: bool = True) -> SchemaReport:
    """Validate with pandera and summarise its failure cases without their values."""
    import pandera.errors as pe

    checked = [str(c) for c in schema.columns]
    try:
        schema.validate(frame, lazy=lazy)
    except pe.SchemaErrors as exc:
        return _pandera_report(exc.failure_cases, frame, checked)
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
        return _pandera_report(cases, frame, checked)
    except pe.SchemaDefinitionError as exc:
        raise ValueError(f"schema: the pandera schema cannot be applied ({exc})") from exc
    return report_from_failures("pandera", len(frame), [], {}, checked, list(map(str, frame)))


_COLUMN_LEVEL_DETAIL = ("dtype(", "column_in_dataframe", "column_in_schema")


def _pandera_report(cases: pd.DataFrame, frame: pd.DataFrame, checked: list[str]) -> SchemaReport:
    """Summarise pandera's failure cases (one row per failing cell) per column and check."""
    rows = len(frame)
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
        "pandera", rows, failures, counts, checked, [str(c) for c in frame.columns]
    )


def _distinct_rows(index: pd.Series) -> int:
    """Distinct row labels (labels may be unhashable tuples of a MultiIndex)."""
    try:
        return int(index.nunique())
    except TypeError:
        return len({repr(v) for v in index})
