"""Draft a schema from training data, for a person to review (data.1).

In the spirit of TFDV's ``infer_schema`` (Great Expectations 1.x dropped its
profilers): per column the dtype, nullability, a numeric range widened by a
margin, the category set of low-cardinality text columns, string lengths, and
optionally uniqueness. The draft is Python source (a ``pa.DataFrameSchema``
module) or pandera's JSON; arrays get a :class:`TensorSchema` (shape, dtype,
value range, label vocabulary). ``mltestscore schema infer DATA`` runs it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
) -> Any:
    """A :class:`~mltestscore.checks.schema.TensorSchema` from example arrays/tensors.

    ``free_dims`` are per-example axes left free (``None``), e.g. ``(2,)`` for a
    text line's width in ``(C, H, W)``. The value range is ``[0, 1]`` or
    ``[0, 255]`` when the data lie within it, otherwise the observed range. String
    labels longer than one character give a character vocabulary
    (``label_sequences``).
    """
    import numpy as np

    from mltestscore.checks.data_tables import to_array
    from mltestscore.checks.schema import TensorSchema, dtype_name

    dtype = dtype_name(getattr(x, "dtype", "float64"))
    array = to_array(x, "x")
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
        values = list(y) if isinstance(y, (list, tuple)) else list(to_array(y, "y").reshape(-1))
        texts = [str(v.item() if hasattr(v, "item") else v) for v in values]
        sequences = any(isinstance(v, str) and len(v) > 1 for v in values)
        labels = tuple(sorted({c for t in texts for c in t} if sequences else set(texts)))
    return TensorSchema(shape, dtype, low, high, labels, sequences, name=name)


def add_subcommands(subparsers: Any) -> None:
    """Register ``schema infer DATA [-o OUT] [--target COL] …`` on the ``mltestscore`` CLI.

    The parser's ``func`` default is ``run(args) -> int`` (the exit status).
    """
    schema = subparsers.add_parser("schema", help="draft and check data schemas")
    actions = schema.add_subparsers(dest="schema_command", metavar="COMMAND", required=True)
    infer = actions.add_parser(
        "infer", help="draft a pandera schema (or a tensor schema for .npy/.npz) from data"
    )
    infer.add_argument(
        "data", metavar="DATA", help="training data: CSV, TSV, Parquet, JSONL, or .npy/.npz arrays"
    )
    infer.add_argument(
        "-o", "--output", metavar="OUT", help="write the draft here (default: standard output)"
    )
    infer.add_argument("--target", metavar="COL", help="target column (made optional)")
    infer.add_argument(
        "--format",
        choices=("python", "json"),
        default="python",
        help="python source or pandera JSON (default: python)",
    )
    infer.add_argument(
        "--margin",
        type=_fraction,
        default=0.1,
        metavar="FRACTION",
        help="widen numeric ranges by this share of their span (default: 0.1)",
    )
    infer.add_argument(
        "--max-categories",
        type=_count,
        default=20,
        metavar="N",
        help="text columns with at most N values get a category set (default: 20)",
    )
    infer.add_argument(
        "--unique",
        action="store_true",
        help="mark integer/text columns whose values are all distinct as unique",
    )
    infer.set_defaults(func=run_infer)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 10.0:
        raise argparse.ArgumentTypeError(f"expected a non-negative fraction, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count (0 or more), got {text!r}")
    return value


def _tensor_source(data: Path) -> str:
    import numpy as np

    loaded = np.load(data, allow_pickle=False)
    if isinstance(loaded, np.ndarray):
        x, y = loaded, None
    else:
        with loaded:
            keys = list(loaded.keys())
            if not keys:
                raise ValueError(f"DATA: {data} holds no arrays")
            xkey = next((k for k in ("x", "X", "images", "inputs") if k in keys), keys[0])
            ykey = next((k for k in ("y", "labels", "targets") if k in keys), None)
            x, y = loaded[xkey], (loaded[ykey] if ykey else None)
    schema = infer_tensor_schema(x, y)
    return (
        f'"""Draft tensor schema inferred from {data.name}: review before use."""\n\n'
        "from mltestscore.checks.schema import TensorSchema\n\n"
        f"schema = {schema!r}\n"
    )


def run_infer(args: argparse.Namespace) -> int:
    """``mltestscore schema infer``: print or write the draft; 2 on bad input."""
    from mltestscore.checks.data_tables import read_table

    path = Path(args.data)
    try:
        if path.suffix.lower() in (".npy", ".npz"):
            if not path.is_file():
                raise ValueError(f"DATA: file {path} does not exist")
            text = _tensor_source(path)
        else:
            frame = read_table(path, "DATA")
            columns = infer_schema(
                frame,
                target=args.target,
                margin=args.margin,
                max_categories=args.max_categories,
                unique=args.unique,
            )
            text = (
                to_python(columns, source=path.name, rows=len(frame), margin=args.margin)
                if args.format == "python"
                else to_pandera(columns).to_json(indent=2) + "\n"
            )
    except (ValueError, TypeError, OSError) as exc:
        print(f"mltestscore schema infer: error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(
            f"wrote a draft schema ({args.format}) to {args.output}: review it before use",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0
