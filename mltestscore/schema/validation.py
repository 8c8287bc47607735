"""One entry point for every schema kind: :func:`validate` picks the adapter.

pandera and Great Expectations load only when such a schema is validated; pandas
loads only for a pandas frame or a table path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.schema.spec import SchemaReport, TensorSchema

if TYPE_CHECKING:
    import pandas as pd


def validate(schema: Any, data: Any, *, lazy: bool = True, what: str = "data") -> SchemaReport:
    """Validate ``data`` against ``schema`` and report every failure (see module doc)."""
    if isinstance(schema, (str, Path)):
        schema = load_schema(schema)
    if isinstance(schema, TensorSchema):
        from mltestscore.schema.tensor import validate_tensor

        tensor_report: SchemaReport = validate_tensor(schema, data, lazy=lazy, what=what)
        return tensor_report
    from mltestscore.engines import engine_of

    engine = engine_of(data)
    if is_gx_suite(schema):
        from mltestscore.schema.gx_adapter import validate_gx, validate_gx_spark

        if engine == "spark":
            spark_report: SchemaReport = validate_gx_spark(schema, data, lazy=lazy)
            return spark_report
        gx_report: SchemaReport = validate_gx(schema, _frame(data, what), lazy=lazy)
        return gx_report
    from mltestscore.schema import pandera_adapter as adapter

    pandera_schema = adapter.as_pandera_schema(schema)
    if pandera_schema is None:
        raise TypeError(
            "schema: expected a pandera DataFrameSchema or DataFrameModel (pandas, Polars or "
            "PySpark backend), a Great Expectations ExpectationSuite, a "
            "mltestscore.schema.TensorSchema or a path to a schema JSON file; got "
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
    from mltestscore.engines import engine_of

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
        from mltestscore.inputs.tables import read_table

        return pl.from_pandas(read_table(data, what))
    raise TypeError(
        f"{what}: a pandera.polars schema validates Polars frames or Parquet data, got "
        f"{type(data).__name__}; use a pandera.pandas schema for pandas frames"
    )


def _frame(data: Any, what: str) -> pd.DataFrame:
    import pandas as pd

    from mltestscore.engines import engine_of
    from mltestscore.inputs.tables import as_frame

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
            "use mltestscore.schema.TensorSchema"
        )
    return as_frame(data, what)


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
        from mltestscore.schema.gx_adapter import import_gx

        return import_gx().ExpectationSuite(**content)
    if isinstance(content, dict) and content.get("schema_type") == "dataframe":
        import pandera.pandas as pa

        return pa.DataFrameSchema.from_json(path.read_text(encoding="utf-8"))
    raise ValueError(
        f"schema: {path} is neither a pandera schema (schema_type: dataframe) nor a Great "
        "Expectations suite (expectations: [...])"
    )
