"""data.1: the training data validates against the team's schema (all failures, lazily).

Validation is :func:`mltestscore.schema.validate` (pandera, Great Expectations, the
tensor schema, a schema JSON file; Polars, Parquet and Spark on their own engine); this
module judges its report: failure rate per column against ``max_failure_rate``, columns
no expectation covers. For a table schema, ``train_data`` is read as a table
(:func:`table_for_schema`); tensor schemas take arrays, ``(X, y)`` and datasets as given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks.data.messages import MAX_TABLE, short_list
from mltestscore.engines import is_engine_data
from mltestscore.inputs.tables import as_frame, split_features
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated
from mltestscore.schema import TensorSchema, validate


@register_builtin_check("data.1")
def schema_validates(schema: Any, train_data: Any, *, max_failure_rate: float = 0.0) -> CheckResult:
    """The training data validates against the team's schema (all failures, lazily).

    Inputs: ``schema`` — a pandera ``DataFrameSchema``/``DataFrameModel``, a Great
    Expectations ``ExpectationSuite``, a :class:`mltestscore.schema.TensorSchema`
    (image/tensor data: per-example shape, dtype, value range, label vocabulary) or
    a path to a schema JSON file; ``train_data`` — a DataFrame or table path (tensor
    schemas: an array/tensor, an ``(X, y)`` pair or a dataset). Threshold:
    ``max_failure_rate`` — the share of rows a column may fail before the check
    fails (failures within it warn). Columns no expectation covers also warn.
    ``mltestscore schema infer DATA`` drafts a pandera schema to start from.
    """
    data = train_data if isinstance(schema, TensorSchema) else table_for_schema(train_data)
    report = validate(schema, data, lazy=True, what="train_data")
    evidence = report.to_evidence(MAX_TABLE)
    worst = sorted(report.failure_rate_by_column.items(), key=lambda kv: -kv[1])
    over = [f"{c} ({r:.1%})" for c, r in worst if r > max_failure_rate]
    if over:
        return CheckResult.failed(
            f"{len(over)} column(s) of {report.rows} rows fail the {report.engine} schema "
            f"beyond {max_failure_rate:.1%}: {short_list(over)}",
            evidence,
            "Fix the data (or the pipeline producing it) for the failing checks listed, or "
            "update the schema if the expectation was wrong, then rerun.",
        )
    if worst:
        return CheckResult.warned(
            f"schema failures within tolerance ({max_failure_rate:.1%}): "
            f"{short_list([f'{c} ({r:.1%})' for c, r in worst])}",
            evidence,
            "Look at the failing rows; tighten the data or the schema.",
        )
    if report.unchecked_columns:
        return CheckResult.warned(
            f"training data validates ({report.rows} rows), but "
            f"{len(report.unchecked_columns)} "
            f"column(s) have no expectation: {short_list(list(report.unchecked_columns))}",
            evidence,
            "Add expectations for these columns (mltestscore schema infer drafts them).",
        )
    unit = "examples" if report.engine == "tensor" else "rows"
    return CheckResult.passed(
        f"training data ({report.rows} {unit}, {len(report.checked_columns)} columns) "
        f"validates against the {report.engine} schema",
        evidence,
    )


def table_for_schema(train_data: Any) -> Any:
    """``train_data`` as a table schema reads it.

    DataFrames, table paths and engine data (Polars, Parquet, Spark) as given; a mapping of
    columns or a list of records as a DataFrame; an ``(X, y)`` pair with a DataFrame ``X``
    as ``X`` plus the labels when they carry a column name (a named ``Series``; unnamed
    labels cannot be matched to the schema, so only the features are validated). Arrays,
    tensors, ``(X, y)`` arrays and datasets have no column names: not automated with a
    table schema. Anything else is a ``TypeError`` naming ``train_data``.
    """
    if isinstance(train_data, (pd.DataFrame, str, Path)) or is_engine_data(train_data):
        return train_data
    if (
        isinstance(train_data, (tuple, list))
        and len(train_data) == 2
        and isinstance(train_data[0], pd.DataFrame)
    ):
        features, labels = split_features(train_data, None, "train_data")
        name = getattr(train_data[1], "name", None)
        if isinstance(name, str) and name not in features.columns:
            return features.assign(**{name: labels})
        return features
    pair = isinstance(train_data, (tuple, list)) and len(train_data) == 2
    if (
        (pair and not np.isscalar(train_data[0]))
        or isinstance(train_data, np.ndarray)
        or any(cls.__module__.startswith("torch") for cls in type(train_data).__mro__)
    ):
        raise NotAutomated(
            f"train_data is {type(train_data).__name__} without column names: a pandera / "
            "Great Expectations schema checks named columns; hand over a DataFrame or table "
            "path as ml_train_data, or validate arrays with mltestscore.schema.TensorSchema"
        )
    return as_frame(train_data, "train_data")  # columns or records; else a TypeError
