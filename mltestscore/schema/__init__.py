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

Modules: :mod:`~mltestscore.schema.spec` (the schema and report types, standard
library only), :mod:`~mltestscore.schema.validation` (:func:`validate`, the
dispatch), :mod:`~mltestscore.schema.pandera_adapter`,
:mod:`~mltestscore.schema.gx_adapter`, :mod:`~mltestscore.schema.tensor` and
:mod:`~mltestscore.schema.infer` (a draft schema from training data;
``mltestscore schema infer``). Importing this package loads no third-party module.
"""

from __future__ import annotations

from mltestscore.schema.infer import (
    InferredColumn,
    infer_schema,
    infer_tensor_schema,
    to_pandera,
    to_python,
)
from mltestscore.schema.spec import (
    SchemaFailure,
    SchemaReport,
    TensorSchema,
    dtype_name,
    report_from_failures,
)
from mltestscore.schema.validation import is_gx_suite, load_schema, validate

__all__ = [
    "InferredColumn",
    "SchemaFailure",
    "SchemaReport",
    "TensorSchema",
    "dtype_name",
    "infer_schema",
    "infer_tensor_schema",
    "is_gx_suite",
    "load_schema",
    "report_from_failures",
    "to_pandera",
    "to_python",
    "validate",
]
