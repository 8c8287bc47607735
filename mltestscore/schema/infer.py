"""Draft a schema from training data, for a person to review (data.1).

In the spirit of TFDV's ``infer_schema`` (Great Expectations 1.x dropped its
profilers): per column the dtype, nullability, a numeric range widened by a
margin, the category set of low-cardinality text columns, string lengths, and
optionally uniqueness. The draft is Python source (a ``pa.DataFrameSchema``
module) or pandera's JSON; arrays get a :class:`TensorSchema` (shape, dtype,
value range, label vocabulary). ``mltestscore schema infer DATA`` runs it
(:mod:`mltestscore.schema.infer_cli`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.schema.spec import TensorSchema, dtype_name

if TYPE_CHECKING:  # the CLI imports this module; pandas/numpy load only when inferring
    import pandas as pd


@dataclass(frozen=True)
class InferredColumn:
    name: str
    dtype: str  # a pandera dtype spelling: "int64", "float64", "bool", "str", …
    nullable: bool
    min_value: float | None = None
    max_value: float | None = None
    categories: tuple[Any, ...] | None = None
    str_length: tuple[int, int] | None = None
    unique: bool = False
    is_target: bool = False


def _round_out(low: float, high: float) -> tuple[float, float]:
    """Round ``low`` down and ``high`` up to 3 significant digits of their span."""
    span = high - low or abs(high) or 1.0
    exponent = math.floor(math.log10(abs(span))) - 2
    step = 10.0**exponent
    digits = max(0, -exponent)
    return (
        round(math.floor(low / step) * step, digits),
        round(math.ceil(high / step) * step, digits),
    )


def _numeric_range(values: pd.Series, margin: float, integer: bool) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = margin * ((high - low) or abs(high) or 1.0)
    lo, hi = low - pad, high + pad
    if low >= 0 > lo:  # a non-negative feature stays non-negative
        lo = 0.0
    if integer:
        return float(math.floor(lo)), float(math.ceil(hi))
    return _round_out(lo, hi)


def _dtype(series: pd.Series) -> str:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return str(dtype)
    if pd.api.types.is_numeric_dtype(dtype):
        return str(dtype)
    return "str"


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    margin: float = 0.1,
    max_categories: int = 20,
    unique: bool = False,
) -> list[InferredColumn]:
    """One :class:`InferredColumn` per column of ``frame`` (see the module doc)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ValueError("schema inference needs a non-empty DataFrame")
    if target is not None and target not in frame.columns:
        raise ValueError(f"--target {target!r} is not a column of the data")
    columns = []
    for name in frame.columns:
        series = frame[name]
        values = series.dropna()
        dtype = _dtype(series)
        is_target = name == target
        low = high = None
        categories = None
        lengths = None
        if values.empty or dtype == "bool" or dtype.startswith("datetime"):
            pass
        elif dtype in ("str", "category") or (is_target and dtype.startswith(("int", "uint"))):
            distinct = values.unique()
            if len(distinct) <= max_categories and len(distinct) < len(values):
                categories = tuple(sorted(v.item() if hasattr(v, "item") else v for v in distinct))
            elif dtype == "str":
                sizes = values.astype(str).str.len()
                lengths = (
                    max(0, math.floor(sizes.min() * (1 - margin))),
                    math.ceil(sizes.max() * (1 + margin)),
                )
        elif pd.api.types.is_numeric_dtype(series.dtype):
            integer = pd.api.types.is_integer_dtype(series.dtype)
            low, high = _numeric_range(values, margin, integer)
        is_unique = (
            unique
            and (dtype == "str" or dtype.startswith(("int", "uint")))
            and len(values) > 1
            and not series.isna().any()
            and values.is_unique
        )
        columns.append(
            InferredColumn(
                str(name),
                dtype,
                bool(series.isna().any()),
                low,
                high,
                categories,
                lengths,
                bool(is_unique),
                is_target,
            )
        )
    return columns


def _number(value: float, integer: bool) -> str:
    return str(int(value)) if integer else repr(float(value))


def _column_source(col: InferredColumn) -> str:
    checks = []
    integer = col.dtype.startswith(("int", "uint", "Int", "UInt"))
    if col.min_value is not None and col.max_value is not None:
        checks.append(
            f"pa.Check.in_range({_number(col.min_value, integer)}, "
            f"{_number(col.max_value, integer)})"
        )
    if col.categories is not None:
        checks.append(f"pa.Check.isin({list(col.categories)!r})")
    if col.str_length is not None:
        checks.append(f"pa.Check.str_length({col.str_length[0]}, {col.str_length[1]})")
    dtype = "str" if col.dtype == "str" else repr(col.dtype)
    parts = [dtype]
    if checks:
        parts.append(f"checks=[{', '.join(checks)}]")
    parts.append(f"nullable={col.nullable}")
    if col.unique:
        parts.append("unique=True")
    if col.is_target:
        parts.append("required=False")  # serving inputs have no label
    comment = "  # target" if col.is_target else ""
    return f"        {col.name!r}: pa.Column({', '.join(parts)}),{comment}"


def to_python(
    columns: Sequence[InferredColumn], *, source: str = "", rows: int = 0, margin: float = 0.1
) -> str:
    """Python source of a module defining ``schema = pa.DataFrameSchema({...})``."""
    where = f" from {source}" if source else ""
    lines = [
        f'"""Draft pandera schema inferred by `mltestscore schema infer`{where} ({rows} rows).',
        "",
        "Review every line before relying on it: numeric ranges are the observed range",
        f"widened by {margin:.0%} of its span, category sets list the values seen in the",
        "training data, and nullability is what the sample showed.",
        '"""',
        "",
        "import pandera.pandas as pa",
        "",
        "schema = pa.DataFrameSchema(",
        "    {",
        *(_column_source(col) for col in columns),
        "    },",
        "    strict=False,  # True rejects columns the schema does not know",
        "    coerce=False,",
        ")",
        "",
    ]
    return "\n".join(lines)


def to_pandera(columns: Sequence[InferredColumn]) -> Any:
    """The inferred schema as a ``pandera.pandas.DataFrameSchema`` object."""
    import pandera.pandas as pa

    spec = {}
    for col in columns:
        checks = []
        if col.min_value is not None and col.max_value is not None:
            checks.append(pa.Check.in_range(col.min_value, col.max_value))
        if col.categories is not None:
            checks.append(pa.Check.isin(list(col.categories)))
        if col.str_length is not None:
            checks.append(pa.Check.str_length(*col.str_length))
        spec[col.name] = pa.Column(
            str if col.dtype == "str" else col.dtype,
            checks=checks,
            nullable=col.nullable,
            unique=col.unique,
            required=not col.is_target,
        )
    return pa.DataFrameSchema(spec, strict=False, coerce=False)


def infer_tensor_schema(
    x: Any, y: Any = None, *, free_dims: Sequence[int] = (), name: str = "inputs"
) -> TensorSchema:
    """A :class:`~mltestscore.schema.TensorSchema` from example arrays/tensors.

    ``free_dims`` are per-example axes left free (``None``), e.g. ``(2,)`` for a
    text line's width in ``(C, H, W)``. The value range is ``[0, 1]`` or
    ``[0, 255]`` when the data lie within it, otherwise the observed range. String
    labels longer than one character give a character vocabulary
    (``label_sequences``).
    """
    import numpy as np

    from mltestscore.inputs.arrays import to_numpy

    dtype = dtype_name(getattr(x, "dtype", "float64"))
    array = to_numpy(x, "x")
    if array.ndim < 1 or array.shape[0] == 0:
        raise ValueError(f"tensor schema inference needs examples along axis 0, got {array.shape}")
    shape = tuple(None if i in free_dims else int(d) for i, d in enumerate(array.shape[1:]))
    low = high = None
    if array.dtype.kind in "biuf" and array.size:
        finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
        low, high = float(finite.min()), float(finite.max())
        for lo, hi in ((0.0, 1.0), (0.0, 255.0)):
            if lo <= low and high <= hi:
                low, high = lo, hi
                break
    labels = None
    sequences = False
    if y is not None:
        values = list(y) if isinstance(y, (list, tuple)) else list(to_numpy(y, "y").reshape(-1))
        texts = [str(v.item() if hasattr(v, "item") else v) for v in values]
        sequences = any(isinstance(v, str) and len(v) > 1 for v in values)
        labels = tuple(sorted({c for t in texts for c in t} if sequences else set(texts)))
    return TensorSchema(shape, dtype, low, high, labels, sequences, name=name)
