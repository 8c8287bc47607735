"""Schema adapters: validate data against a pandera, Great Expectations or tensor schema.

:func:`validate` is shared by data.1 (training data) and monitor.2 (serving
inputs). It accepts

- a pandera ``DataFrameSchema`` or ``DataFrameModel`` class: ``pandera.pandas``
  for pandas frames and table paths, ``pandera.polars`` for Polars frames (eager
  or lazy), Parquet paths and ``pyarrow`` datasets (scanned lazily, never read
  into pandas), ``pandera.pyspark`` for Spark DataFrames,
- a Great Expectations 1.x ``ExpectationSuite`` (validated in an in-memory
  ephemeral context; the ``gx`` extra, imported only when such a suite is given)
  on a pandas frame, or on a Spark DataFrame through GX's Spark datasource,
- a :class:`TensorSchema` for image/tensor data (numpy arrays, torch tensors,
  ``(X, y)`` pairs, datasets of ``(x, y)`` items),
- or a path to a JSON file holding a pandera schema (``schema.to_json()``) or a
  Great Expectations suite.

Validation is lazy by default: every failure is collected, not only the first.
The :class:`SchemaReport` counts failures per column and check; it never
carries the failing values themselves (they may be personal data), only a few
row numbers and, for column-level failures, what was observed (a dtype, a shape).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

TABLE = "<table>"  # the "column" of table-level failures (missing columns, row counts)
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class TensorSchema:
    """Expectations for image/tensor data, one example at a time.

    ``shape`` is the shape of one example (``None`` for a free dimension, e.g.
    ``(1, 28, None)`` for text-line images of any width); ``dtype`` a numpy dtype
    name (``"float32"``; torch dtypes are compared by the same name); values
    must lie in ``[min_value, max_value]`` and be finite unless
    ``allow_nonfinite``. ``labels`` is the label vocabulary; with
    ``label_sequences`` each label is a sequence (a string such as ``"3141"`` or
    a list of token ids) whose every token must be in the vocabulary.
    """

    shape: tuple[int | None, ...]
    dtype: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    labels: tuple[str, ...] | None = None
    label_sequences: bool = False
    allow_nonfinite: bool = False
    name: str = "inputs"

    def __post_init__(self) -> None:
        shape = tuple(self.shape)
        for dim in shape:
            if dim is not None and (not isinstance(dim, int) or dim < 1):
                raise ValueError(
                    f"TensorSchema.shape: each dimension is a positive int or None, got {shape}"
                )
        object.__setattr__(self, "shape", shape)
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise ValueError(
                f"TensorSchema: min_value {self.min_value} > max_value {self.max_value}"
            )
        if self.labels is not None:
            if isinstance(self.labels, (str, bytes)) and not self.label_sequences:
                raise TypeError("TensorSchema.labels: give a sequence of labels, not one string")
            object.__setattr__(self, "labels", tuple(str(v) for v in self.labels))
        if self.dtype is not None:
            object.__setattr__(self, "dtype", dtype_name(self.dtype))


def dtype_name(dtype: object) -> str:
    """A dtype's plain name: ``torch.float32`` and ``np.float32`` both give ``float32``."""
    text = str(getattr(dtype, "name", None) or dtype)
    return text.removeprefix("torch.")


@dataclass(frozen=True)
class SchemaFailure:
    """One failing check on one column: how many rows, a few row numbers, never values."""

    column: str
    check: str
    count: int
    example_rows: tuple[int, ...] = ()
    detail: str = ""  # column-level observations only (observed dtype/shape), never values

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"column": self.column, "check": self.check, "count": self.count}
        if self.example_rows:
            data["example_rows"] = list(self.example_rows)
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass(frozen=True)
class SchemaReport:
    """Outcome of validating one dataset against one schema (all failures, lazily)."""

    engine: str  # "pandera", "great_expectations" or "tensor"
    valid: bool
    rows: int
    failures: tuple[SchemaFailure, ...] = ()
    failure_rate_by_column: Mapping[str, float] = field(default_factory=dict)
    checked_columns: tuple[str, ...] = ()
    unchecked_columns: tuple[str, ...] = ()  # data columns no expectation looks at

    @property
    def failure_count_by_column(self) -> dict[str, int]:
        """Failing rows per column (a row failing two checks counts once, when known)."""
        return {col: round(rate * self.rows) for col, rate in self.failure_rate_by_column.items()}

    def to_evidence(self, max_rows: int = 50) -> dict[str, Any]:
        rates = sorted(self.failure_rate_by_column.items(), key=lambda kv: -kv[1])
        return {
            "engine": self.engine,
            "valid": self.valid,
            "rows": self.rows,
            "failing_columns": len(rates),
            "failure_rate_by_column": {c: round(r, 6) for c, r in rates[:max_rows]},
            "failures": [f.to_dict() for f in self.failures[:max_rows]],
            "failures_not_shown": max(0, len(self.failures) - max_rows),
            "checked_columns": len(self.checked_columns),
            "unchecked_columns": list(self.unchecked_columns[:max_rows]),
        }


def report_from_failures(
    engine: str,
    rows: int,
    failures: Sequence[SchemaFailure],
    failing_rows: Mapping[str, int],
    checked_columns: Sequence[str] = (),
    data_columns: Sequence[str] = (),
) -> SchemaReport:
    """Assemble a report; ``failing_rows`` maps column → rows that failed any check."""
    denominator = max(rows, 1)
    rates = {col: min(1.0, n / denominator) for col, n in failing_rows.items() if n > 0}
    checked = tuple(dict.fromkeys(checked_columns))
    unchecked = tuple(c for c in data_columns if c not in set(checked))
    return SchemaReport(engine, not failures, rows, tuple(failures), rates, checked, unchecked)


def example_rows(labels: Sequence[Any]) -> tuple[int, ...]:
    """Up to three integer row labels (non-integer index labels may be personal data)."""
    out: list[int] = []
    for label in labels:
        if (
            isinstance(label, (int,))
            or (hasattr(label, "dtype") and "int" in str(label.dtype))
            or (isinstance(label, float) and not math.isnan(label) and label.is_integer())
        ):
            out.append(int(label))
        if len(out) == MAX_EXAMPLES:
            break
    return tuple(out)


def validate(schema: Any, data: Any, *, lazy: bool = True, what: str = "data") -> SchemaReport:
    """Validate ``data`` against ``schema`` and report every failure (see module doc)."""
    if isinstance(schema, (str, Path)):
        schema = load_schema(schema)
    if isinstance(schema, TensorSchema):
        from mltestscore.checks.data_schema_tensor import validate_tensor

        tensor_report: SchemaReport = validate_tensor(schema, data, lazy=lazy, what=what)
        return tensor_report
    from mltestscore.checks.engines import engine_of

    engine = engine_of(data)
    if is_gx_suite(schema):
        from mltestscore.checks.data_schema_gx import validate_gx, validate_gx_spark

        if engine == "spark":
            spark_report: SchemaReport = validate_gx_spark(schema, data, lazy=lazy)
            return spark_report
        gx_report: SchemaReport = validate_gx(schema, _frame(data, what), lazy=lazy)
        return gx_report
    from mltestscore.checks import data_schema_pandera as adapter

    pandera_schema = adapter.as_pandera_schema(schema)
    if pandera_schema is None:
        raise TypeError(
            "schema: expected a pandera DataFrameSchema or DataFrameModel (pandas, Polars or "
            "PySpark backend), a Great Expectations ExpectationSuite, a "
            "mltestscore.checks.schema.TensorSchema or a path to a schema JSON file; got "
            f"{type(schema).__module__}.{type(schema).__name__}"
        )
    backend = adapter.backend_of(pandera_schema)
    if backend == "polars":
        polars_report: SchemaReport = adapter.validate_polars(
            pandera_schema, _polars(data, what), lazy=lazy
        )
        return polars_report
    if backend == "pyspark":
        if engine != "spark":
            raise TypeError(
                f"{what}: a pandera.pyspark schema validates Spark DataFrames, got "
                f"{type(data).__name__}; use a pandera.pandas or pandera.polars schema"
            )
        pyspark_report: SchemaReport = adapter.validate_pyspark(pandera_schema, data)
        return pyspark_report
    pandera_report: SchemaReport = adapter.validate_pandera(
        pandera_schema, _frame(data, what), lazy=lazy
    )
    return pandera_report


def _polars(data: Any, what: str) -> Any:
    """Polars data for pandera's Polars backend: frames as they are, Parquet scanned lazily."""
    from mltestscore.checks.engines import engine_of

    engine = engine_of(data)
    if engine in ("polars", "polars-lazy") and type(data).__module__.startswith("polars"):
        return data
    import polars as pl

    if engine == "parquet":
        source: Any = getattr(data, "files", None) or str(data)
        if isinstance(data, (str, Path)) and Path(data).is_dir():
            source = str(Path(data) / "**" / "*.parquet")
        return pl.scan_parquet(source)
    if engine == "polars":  # a pyarrow Table
        return pl.from_arrow(data)
    if isinstance(data, (str, Path)):
        from mltestscore.checks.data_tables import read_table

        return pl.from_pandas(read_table(data, what))
    raise TypeError(
        f"{what}: a pandera.polars schema validates Polars frames or Parquet data, got "
        f"{type(data).__name__}; use a pandera.pandas schema for pandas frames"
    )


def _frame(data: Any, what: str) -> pd.DataFrame:
    from mltestscore.checks.data_tables import as_frame
    from mltestscore.checks.engines import engine_of

    engine = engine_of(data)
    if engine in ("polars", "polars-lazy", "spark") or (
        engine == "parquet" and not isinstance(data, (str, Path))
    ):
        raise TypeError(
            f"{what} is a {engine} table: validate it with a pandera.polars schema (Polars, "
            "Parquet) or a pandera.pyspark schema / Great Expectations suite (Spark), which "
            "run on the engine the data lives in; a pandas schema would pull every row into "
            "pandas"
        )
    if not isinstance(data, (pd.DataFrame, str, Path)):
        raise TypeError(
            f"{what}: a table schema (pandera / Great Expectations) needs a pandas DataFrame "
            f"or a CSV/Parquet/JSONL path, got {type(data).__name__}; for arrays and tensors "
            "use mltestscore.checks.schema.TensorSchema"
        )
    frame: pd.DataFrame = as_frame(data, what)
    return frame


def is_gx_suite(schema: object) -> bool:
    """True for a Great Expectations ``ExpectationSuite`` (without importing GX)."""
    return any(
        cls.__name__ == "ExpectationSuite" and cls.__module__.startswith("great_expectations")
        for cls in type(schema).__mro__
    )


def load_schema(path: str | Path) -> Any:
    """Load a schema file: pandera JSON (``to_json``) or a Great Expectations suite JSON."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"schema: file {path} does not exist")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"schema: {path} is not a JSON schema file ({exc})") from exc
    if isinstance(content, dict) and "expectations" in content:
        from mltestscore.checks.data_schema_gx import import_gx

        return import_gx().ExpectationSuite(**content)
    if isinstance(content, dict) and content.get("schema_type") == "dataframe":
        import pandera.pandas as pa

        return pa.DataFrameSchema.from_json(path.read_text(encoding="utf-8"))
    raise ValueError(
        f"schema: {path} is neither a pandera schema (schema_type: dataframe) nor a Great "
        "Expectations suite (expectations: [...])"
    )
