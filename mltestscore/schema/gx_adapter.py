"""Great Expectations 1.x adapter: validate a DataFrame against an ``ExpectationSuite``.

Great Expectations is the ``gx`` extra and is imported only here, on use. The
suite runs in an in-memory ephemeral context (no project directory, analytics
and progress bars off), on a pandas datasource for pandas frames and on a Spark
datasource for Spark DataFrames (the expectations become Spark jobs; no rows
are pulled into pandas). Its results become a :class:`SchemaReport` with counts
per column and expectation; the ``partial_unexpected_list`` values are dropped.
"""

from __future__ import annotations

import numbers
from typing import Any

import pandas as pd

from mltestscore.schema.spec import TABLE, SchemaFailure, SchemaReport, example_rows
from mltestscore.schema.spec import report_from_failures as _report

_GX_MISSING = (
    "Great Expectations is not installed: install the gx extra "
    "(pip install 'mltestscore[gx]') to validate an ExpectationSuite"
)


def import_gx() -> Any:
    """``great_expectations``, or an ImportError naming the ``gx`` extra."""
    try:
        import great_expectations as gx
    except ImportError as exc:
        raise ImportError(f"{_GX_MISSING} ({exc})") from exc
    return gx


def _ephemeral_context(gx: Any) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _columns_of(kwargs: dict[str, Any]) -> list[str]:
    if "column" in kwargs:
        return [str(kwargs["column"])]
    pair = [str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs]
    if pair:
        return pair
    if isinstance(kwargs.get("column_list"), (list, tuple)):
        return [str(c) for c in kwargs["column_list"]]
    return []


def _check_name(kind: str, kwargs: dict[str, Any]) -> str:
    shown = {
        k: v
        for k, v in kwargs.items()
        if k not in ("batch_id", "column", "column_A", "column_B", "column_list", "result_format")
    }
    text = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    return f"{kind}({text})"[:120]


def validate_gx(suite: Any, frame: pd.DataFrame, *, lazy: bool = True) -> SchemaReport:
    """Run ``suite`` on ``frame``; every expectation is evaluated (lazy=False keeps the first)."""
    gx = import_gx()
    context = _ephemeral_context(gx)
    source = context.data_sources.add_pandas("mltestscore")
    batch_definition = source.add_dataframe_asset("data").add_batch_definition_whole_dataframe(
        "all"
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 3}
    )
    return _gx_report(result, len(frame), [str(c) for c in frame.columns], lazy=lazy)


def validate_gx_spark(suite: Any, data: Any, *, lazy: bool = True) -> SchemaReport:
    """Run ``suite`` on a Spark DataFrame through GX's Spark datasource."""
    gx = import_gx()
    context = _ephemeral_context(gx)
    source = context.data_sources.add_spark("mltestscore")
    batch_definition = source.add_dataframe_asset("data").add_batch_definition_whole_dataframe(
        "all"
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": data})
    result = batch.validate(
        suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 3}
    )
    return _gx_report(result, int(data.count()), [str(c) for c in data.columns], lazy=lazy)


def _gx_report(result: Any, rows: int, data_columns: list[str], *, lazy: bool) -> SchemaReport:
    failures: list[SchemaFailure] = []
    failing: dict[str, int] = {}
    checked: list[str] = []
    for item in result.results:
        config = item.expectation_config
        kwargs = dict(config.kwargs)
        columns = _columns_of(kwargs)
        checked.extend(columns)
        if item.success:
            continue
        outcome = dict(item.result or {})
        count = outcome.get("unexpected_count")
        detail = ""
        if not isinstance(count, numbers.Integral):  # aggregate or not evaluable: all rows
            count = rows
            observed = outcome.get("observed_value")
            if isinstance(observed, numbers.Number) and not isinstance(observed, bool):
                detail = f"observed {observed}"
            info = item.exception_info or {}
            message = info.get("exception_message") if isinstance(info, dict) else None
            if message:
                detail = f"could not evaluate: {str(message).splitlines()[0][:120]}"
        examples = example_rows(outcome.get("partial_unexpected_index_list") or [])
        for column in columns or [TABLE]:
            failures.append(
                SchemaFailure(
                    column, _check_name(config.type, kwargs), int(count), examples, detail
                )
            )
            # GX gives counts per expectation, not row ids: a column's failing rows are at
            # least its largest count.
            failing[column] = max(failing.get(column, 0), int(count))
        if not lazy:
            break
    return _report("great_expectations", rows, failures, failing, checked, data_columns)
