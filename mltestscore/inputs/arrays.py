"""Arrays: one tensor/frame/list → numpy conversion, output comparison, evidence values.

Nothing here imports torch at module level; tensors are recognised by duck typing
(``detach``/``cpu``/``numpy``) so that importing a check stays cheap.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


def is_tensor(value: object) -> bool:
    """True for a ``torch.Tensor`` (without importing torch)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def is_torch_module(value: object) -> bool:
    """True for a ``torch.nn.Module`` instance (without importing torch)."""
    return any(
        cls.__module__ == "torch.nn.modules.module" and cls.__name__ == "Module"
        for cls in type(value).__mro__
    )


def is_sklearn_estimator(value: object) -> bool:
    """Duck-typed scikit-learn estimator: ``get_params`` plus ``predict`` or ``transform``."""
    return hasattr(value, "get_params") and (
        hasattr(value, "predict") or hasattr(value, "transform")
    )


def to_numpy(value: Any, what: str = "value") -> Array:
    """``value`` (tensor, array, DataFrame, list, scalar) as a numpy array.

    Tuples/lists of tensors are taken as *one* output only when they are not
    ragged; a model returning ``(output, extra)`` should be handled by the caller
    with :func:`first_output`.
    """
    if is_tensor(value):
        tensor = value.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()  # numpy has no bfloat16; float16 math is lossy
        return np.asarray(tensor.numpy())
    if hasattr(value, "to_numpy") and callable(value.to_numpy):  # pandas
        return np.asarray(value.to_numpy())
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)) and any(is_tensor(v) for v in value):
        return np.asarray([to_numpy(v, what) for v in value])
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{what}: expected an array-like (numpy array, torch tensor, DataFrame, list), "
            f"got {type(value).__name__} ({exc})"
        ) from exc


def first_output(value: Any) -> Any:
    """A model's primary output: the first tensor of a tuple/list/dict output."""
    seen = 0
    while isinstance(value, (tuple, list, Mapping)) and seen < 8:
        seen += 1
        items = list(value.values()) if isinstance(value, Mapping) else list(value)
        if not items:
            return value
        if isinstance(value, list) and not any(is_tensor(i) for i in items):
            return value  # a list of predictions (e.g. strings), not a tuple of outputs
        value = items[0]
    return value


@dataclass(frozen=True)
class OutputDiff:
    """How two outputs differ: numbers for evidence, ``equal`` for the verdict."""

    equal: bool
    shape_a: list[int]
    shape_b: list[int]
    compared: int
    mismatched: int
    max_abs_diff: float | None
    max_rel_diff: float | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "equal": self.equal,
            "shape_a": self.shape_a,
            "shape_b": self.shape_b,
            "compared": self.compared,
            "mismatched": self.mismatched,
            "max_abs_diff": self.max_abs_diff,
            "max_rel_diff": self.max_rel_diff,
            "note": self.note,
        }


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def compare_outputs(a: Any, b: Any, *, atol: float = 0.0, rtol: float = 0.0) -> OutputDiff:
    """Compare two outputs element-wise.

    Numeric outputs agree within ``atol + rtol * |b|`` (NaN equals NaN in the same
    place); other outputs (strings, labels of object dtype) must be equal.
    """
    x, y = to_numpy(a, "output"), to_numpy(b, "output")
    shape_a, shape_b = [int(s) for s in x.shape], [int(s) for s in y.shape]
    if x.shape != y.shape:
        if x.size == y.size and x.size > 0 and x.squeeze().shape == y.squeeze().shape:
            x, y = x.reshape(y.shape), y
        else:
            return OutputDiff(
                False,
                shape_a,
                shape_b,
                0,
                max(x.size, y.size),
                None,
                None,
                f"shapes differ: {shape_a} vs {shape_b}",
            )
    numeric = x.dtype.kind in "biufc" and y.dtype.kind in "biufc"
    if not numeric:
        same = np.asarray(x.astype(str) == y.astype(str))
        mismatched = int(same.size - int(same.sum()))
        return OutputDiff(
            mismatched == 0,
            shape_a,
            shape_b,
            int(same.size),
            mismatched,
            None,
            None,
            "compared as labels/strings (exact)",
        )
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    both_nan = np.isnan(xf) & np.isnan(yf)
    diff = np.where(both_nan, 0.0, np.abs(xf - yf))
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN against a number
    same_inf = np.isinf(xf) & (xf == yf)
    diff = np.where(same_inf, 0.0, diff)
    bound = atol + rtol * np.abs(np.nan_to_num(yf, nan=0.0, posinf=0.0, neginf=0.0))
    bad = diff > bound
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.maximum(np.abs(yf), 1e-12))
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = float(np.nanmax(rel)) if rel.size else 0.0
    mismatched = int(bad.sum())
    return OutputDiff(
        mismatched == 0,
        shape_a,
        shape_b,
        int(diff.size),
        mismatched,
        _finite_or_none(max_abs),
        _finite_or_none(max_rel),
    )


def content_id(value: Any, prefix: str = "canary") -> str:
    """A stable id for a set of inputs (dtype, shape and bytes), e.g. ``canary-3fa2c1d9e0b4``."""
    arr = np.ascontiguousarray(to_numpy(value, "inputs"))
    digest = hashlib.sha256()
    digest.update(f"{arr.dtype.str}|{arr.shape}|".encode())
    if arr.dtype.kind == "O":
        digest.update(repr(arr.tolist()).encode())
    else:
        digest.update(arr.tobytes())
    return f"{prefix}-{digest.hexdigest()[:12]}"


def _shape_of(value: Any) -> list[int] | None:
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        return [int(s) for s in shape]
    except (TypeError, ValueError):
        return None


def describe(value: Any, limit: int = 120) -> str:
    """A short, value-free description (type, shape, dtype, size) for evidence.

    Never prints data values (they may hold PII); numbers and paths are shown.
    """
    text = _describe(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    kind = type(value).__name__
    if isinstance(value, bool):
        return f"bool {value}"
    if isinstance(value, (int, float, np.number)):
        return f"{kind} {float(value):.6g}"
    if isinstance(value, (str, Path)):
        path = Path(value)
        try:
            if len(str(value)) < 4096 and path.exists():
                size = path.stat().st_size if path.is_file() else None
                return f"path {path.name}" + (f" ({size} bytes)" if size is not None else " (dir)")
        except OSError:
            pass
        return f"{kind} of length {len(str(value))}"
    shape = _shape_of(value)
    if shape is not None:
        dtype = getattr(value, "dtype", None)
        columns = getattr(value, "columns", None)
        extra = f", {len(columns)} columns" if columns is not None else ""
        return (
            f"{kind} shape {tuple(shape)}"
            + (f" dtype {dtype}" if dtype is not None and columns is None else "")
            + extra
        )
    if is_torch_module(value):
        n = sum(int(p.numel()) for p in value.parameters())
        return f"torch module {kind} ({n} parameters)"
    if is_sklearn_estimator(value):
        return f"estimator {kind}"
    if isinstance(value, Mapping):
        keys = [str(k) for k in list(value)[:8]]
        more = "…" if len(value) > 8 else ""
        return f"{kind} with keys {keys}{more}"
    if isinstance(value, Sequence):
        inner = ", ".join(_describe(v) for v in list(value)[:3])
        more = ", …" if len(value) > 3 else ""
        return f"{kind} of {len(value)} [{inner}{more}]"
    if hasattr(value, "__len__"):
        try:
            return f"{kind} of length {len(value)}"
        except TypeError:
            pass
    return kind


def json_number(value: Any) -> float | None:
    """A float for evidence, ``None`` for NaN/Inf or non-numbers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def rounded(value: float | None, digits: int = 6) -> float | None:
    """``value`` rounded for evidence; ``None`` for ``None``, NaN and Inf (not JSON)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits)
