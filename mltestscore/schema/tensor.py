"""Validate image/tensor data against a :class:`~mltestscore.schema.TensorSchema`.

Data: a numpy array or torch tensor ``X`` (N examples along the first axis), an
``(X, y)`` pair, or a map-style dataset whose items are ``(x, y)`` pairs or
``x`` alone (examples may differ in shape, e.g. text lines of varying width).
Arrays are checked vectorized; datasets one example at a time. Failures are
reported on two "columns": the schema's ``name`` (inputs) and ``labels``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import is_tensor, to_numpy
from mltestscore.schema.spec import (
    SchemaFailure,
    SchemaReport,
    TensorSchema,
    dtype_name,
    report_from_failures,
)

LABELS = "labels"


def _split(data: Any, what: str) -> tuple[Any, Any]:
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    tensors = getattr(data, "tensors", None)  # TensorDataset
    if isinstance(tensors, tuple) and len(tensors) in (1, 2):
        return tensors[0], tensors[1] if len(tensors) == 2 else None
    if isinstance(data, np.ndarray) or is_tensor(data):
        return data, None
    if hasattr(data, "__getitem__") and hasattr(data, "__len__"):
        return _collect_dataset(data, what)
    raise TypeError(
        f"{what}: a TensorSchema needs an array/tensor, an (X, y) pair or a dataset of "
        f"(x, y) items; got {type(data).__name__}"
    )


def _collect_dataset(dataset: Any, what: str) -> tuple[list[Any], list[Any] | None]:
    xs: list[Any] = []
    ys: list[Any] = []
    for i in range(len(dataset)):
        item = dataset[i]
        if isinstance(item, (tuple, list)) and len(item) == 2:
            xs.append(item[0])
            ys.append(item[1])
        else:
            xs.append(item)
    if ys and len(ys) != len(xs):
        raise ValueError(f"{what}: some dataset items are (x, y) pairs and some are not")
    return xs, (ys or None)


def _shape_ok(shape: tuple[int, ...], expected: tuple[int | None, ...]) -> bool:
    return len(shape) == len(expected) and all(
        e is None or e == s for s, e in zip(shape, expected, strict=True)
    )


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask)[:3])


def _label_tokens(label: Any) -> list[str]:
    if isinstance(label, str):
        return list(label)
    values = to_numpy(label, "label").reshape(-1)
    return [_label_text(v) for v in values]


def _label_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _row_stats(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row minimum and maximum of the finite values, and whether the row is all finite."""
    n = flat.shape[0]
    if flat.shape[1] == 0:
        return np.full(n, np.nan), np.full(n, np.nan), np.ones(n, dtype=bool)
    if flat.dtype.kind != "f":
        return flat.min(axis=1), flat.max(axis=1), np.ones(n, dtype=bool)
    finite_mask = np.isfinite(flat)
    finite = finite_mask.all(axis=1)
    if finite.all():
        return flat.min(axis=1), flat.max(axis=1), finite
    masked = np.where(finite_mask, flat, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, not a warning
        return np.nanmin(masked, axis=1), np.nanmax(masked, axis=1), finite


def _check_labels(schema: TensorSchema, labels: Any, n: int, what: str) -> np.ndarray:
    if schema.labels is None:
        return np.zeros(n, dtype=bool)
    vocabulary = set(schema.labels)
    if is_tensor(labels) or isinstance(labels, np.ndarray):
        array = to_numpy(labels, f"{what} labels")
        items: Sequence[Any] = (
            list(array)
            if (schema.label_sequences or array.ndim > 1)
            else [_label_text(v) for v in array.reshape(-1)]
        )
    else:
        items = list(labels)
    if len(items) != n:
        raise ValueError(f"{what}: {n} examples but {len(items)} labels")
    if schema.label_sequences:
        return np.array([not set(_label_tokens(v)) <= vocabulary for v in items], dtype=bool)
    return np.array([_label_text(v) not in vocabulary for v in items], dtype=bool)


def validate_tensor(
    schema: TensorSchema, data: Any, *, lazy: bool = True, what: str = "data"
) -> SchemaReport:
    """Check shape, dtype, value range, finiteness and labels of every example."""
    xs, labels = _split(data, what)
    examples: list[np.ndarray]
    if isinstance(xs, list):
        dtypes = {dtype_name(getattr(x, "dtype", type(x).__name__)) for x in xs}
        examples = [to_numpy(x, f"{what}[{i}]") for i, x in enumerate(xs)]
        n = len(examples)
    else:
        array = to_numpy(xs, what)
        dtypes = {dtype_name(getattr(xs, "dtype", array.dtype))}
        n = int(array.shape[0]) if array.ndim else 0
    if n == 0:
        raise ValueError(f"{what} is empty (0 examples)")
    col = schema.name
    failures: list[SchemaFailure] = []
    bad = {col: np.zeros(n, dtype=bool), LABELS: np.zeros(n, dtype=bool)}

    def fail(column: str, check: str, mask: np.ndarray, detail: str = "") -> None:
        if mask.any():
            failures.append(SchemaFailure(column, check, int(mask.sum()), _first(mask), detail))
            bad[column] |= mask

    if schema.dtype is not None and dtypes != {schema.dtype}:
        fail(
            col,
            f"dtype({schema.dtype})",
            np.ones(n, dtype=bool),
            "observed " + ", ".join(sorted(dtypes)),
        )
    if isinstance(xs, list):
        shape_bad = np.array([not _shape_ok(x.shape, schema.shape) for x in examples])
        fail(
            col,
            f"shape{schema.shape}",
            shape_bad,
            "observed "
            + ", ".join(
                sorted({str(x.shape) for x in examples if not _shape_ok(x.shape, schema.shape)})
            )[:120],
        )
        if all(x.dtype.kind in "biuf" for x in examples):
            stats = [_row_stats(x.reshape(1, -1)) for x in examples]
            lows, highs, finite = (np.concatenate(s) for s in zip(*stats, strict=True))
        else:
            lows = highs = np.full(n, np.nan)
            finite = np.ones(n, dtype=bool)
    else:
        if not _shape_ok(tuple(array.shape[1:]), schema.shape):
            fail(
                col,
                f"shape{schema.shape}",
                np.ones(n, dtype=bool),
                f"observed {tuple(array.shape[1:])}",
            )
        if array.dtype.kind in "biuf":
            lows, highs, finite = _row_stats(array.reshape(n, -1))
        else:
            lows = highs = np.full(n, np.nan)
            finite = np.ones(n, dtype=bool)
    if not schema.allow_nonfinite:
        fail(col, "finite", ~finite)
    with np.errstate(invalid="ignore"):
        if schema.min_value is not None:
            fail(col, f"min_value({schema.min_value})", lows < schema.min_value)
        if schema.max_value is not None:
            fail(col, f"max_value({schema.max_value})", highs > schema.max_value)
    if schema.labels is not None:
        if labels is None:
            fail(LABELS, "labels_present", np.ones(n, dtype=bool))
        else:
            vocabulary = "".join(schema.labels) if schema.label_sequences else ""
            name = f"tokens_in({vocabulary[:60]})" if vocabulary else "label_in_vocabulary"
            fail(LABELS, name, _check_labels(schema, labels, n, what))
    if not lazy:
        failures = failures[:1]
    counts = {c: int(mask.sum()) for c, mask in bad.items()}
    checked = [col] + ([LABELS] if schema.labels is not None else [])
    return report_from_failures("tensor", n, failures, counts, checked, checked)
