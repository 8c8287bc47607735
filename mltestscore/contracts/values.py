"""Checking values (inputs, outputs) against a :class:`~mltestscore.contracts.Contract`."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mltestscore.contracts.spec import Contract, InputSpec


def _torch_tensor_type() -> Any:
    torch = sys.modules.get("torch")  # never import torch here: only check if it is loaded
    return None if torch is None else torch.Tensor


def _numeric_leaves(value: object) -> Iterator[Any]:
    """The numeric arrays inside an output (tensor, array, frame, tuple, dict).

    CPU tensors are yielded as numpy views (no copy: numpy's reductions on small
    arrays cost a fraction of torch's dispatch); other tensors stay tensors.
    """
    tensor = _torch_tensor_type()
    if tensor is not None and isinstance(value, tensor):
        leaf: Any = value.detach()
        cpu = leaf.device.type == "cpu" and not leaf.is_conj()
        yield leaf.numpy() if cpu and str(leaf.dtype) != "torch.bfloat16" else leaf
        return
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            yield value
        return
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _numeric_leaves(item)
        return
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "shape"):
        for item in value:
            yield from _numeric_leaves(item)
        return
    select = getattr(value, "select_dtypes", None)  # pandas DataFrame
    if callable(select):
        yield select(include="number").to_numpy()
        return
    if hasattr(value, "to_numpy"):  # pandas Series
        yield from _numeric_leaves(value.to_numpy())
        return
    if isinstance(value, (int, float, list, tuple)) and not isinstance(value, bool):
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return  # not numeric (labels, strings): nothing to check
        yield array


def _is_torch(leaf: Any) -> bool:
    tensor = _torch_tensor_type()
    return tensor is not None and isinstance(leaf, tensor)


def _size(leaf: Any) -> int:
    return int(leaf.numel()) if _is_torch(leaf) else int(leaf.size)


def nonfinite_count(x: object) -> int:
    return sum(_count_nonfinite_leaf(leaf) for leaf in _numeric_leaves(x))


def _count_nonfinite_leaf(leaf: Any) -> int:
    if _is_torch(leaf):
        if not (leaf.is_floating_point() or leaf.is_complex()) or leaf.numel() == 0:
            return 0
        finite = sys.modules["torch"].isfinite(leaf)
        return 0 if bool(finite.all()) else int(leaf.numel() - int(finite.sum()))
    import numpy as np

    if leaf.dtype.kind not in "fc" or leaf.size == 0:
        return 0
    if leaf.dtype.kind == "f" and math.isfinite(np.add.reduce(leaf, axis=None)):
        return 0  # one reduction; an overflowing sum just takes the exact count below
    return int(leaf.size - np.count_nonzero(np.isfinite(leaf)))


def _min_max(leaf: Any) -> tuple[float, float]:
    """Smallest and largest value (NaN when any value is NaN)."""
    if _is_torch(leaf):
        if leaf.dtype == sys.modules["torch"].bool:
            leaf = leaf.to(sys.modules["torch"].uint8)
        mn, mx = leaf.aminmax()
        return float(mn), float(mx)
    import numpy as np

    return float(np.minimum.reduce(leaf, axis=None)), float(np.maximum.reduce(leaf, axis=None))


def _range_count(leaf: Any, lo: float | None, hi: float | None) -> int:
    """How many values fall outside ``[lo, hi]`` (NaN is not counted: it is not a number)."""
    below = (leaf < lo).sum() if lo is not None else 0
    above = (leaf > hi).sum() if hi is not None else 0
    return int(below) + int(above)


def check_input(contract: Contract, x: object) -> list[tuple[str, str]]:
    """``(kind, message)`` for each way input ``x`` breaks ``contract.input``."""
    spec = contract.input
    if spec is None:
        return []
    if isinstance(spec, InputSpec):
        return spec.problems(x)
    from mltestscore.schema import validate  # lazy: pandera/GX load on use

    try:
        report = validate(spec, x, lazy=True)
    except Exception as exc:
        return [("input_schema", f"schema validation raised {type(exc).__name__}: {exc}")]
    if report.valid:
        return []
    failures = report.failures
    count = len(failures) if isinstance(failures, Sequence) else failures
    columns = sorted(getattr(report, "failure_rate_by_column", {}) or {})
    return [("input_schema", f"{count} schema failure(s) in column(s) {columns}")]


def check_output(contract: Contract, y: object) -> list[tuple[str, str]]:
    """``(kind, message)`` for non-finite outputs and outputs outside ``output_range``.

    Fast path: one min/max per array; values are counted only when it shows a problem.
    """
    found: list[tuple[str, str]] = []
    rng = contract.output_range
    lo, hi = rng if rng is not None else (None, None)
    for leaf in _numeric_leaves(y):
        size = _size(leaf)
        if size == 0:
            continue
        kind = "c" if _is_torch(leaf) and leaf.is_complex() else getattr(leaf.dtype, "kind", "")
        if kind == "c":  # complex: finite check only
            bad = _count_nonfinite_leaf(leaf) if contract.finite else 0
            if bad:
                found.append(("output_nonfinite", f"{bad} of {size} output values are NaN/Inf"))
            continue
        mn, mx = _min_max(leaf)
        finite = math.isfinite(mn) and math.isfinite(mx)
        if finite and (lo is None or mn >= lo) and (hi is None or mx <= hi):
            continue
        if contract.finite and not finite:
            bad = _count_nonfinite_leaf(leaf)
            if bad:
                found.append(("output_nonfinite", f"{bad} of {size} output values are NaN/Inf"))
        if rng is not None:
            outside = _range_count(leaf, lo, hi)
            if outside:
                found.append(
                    ("output_range", f"{outside} of {size} output values outside {list(rng)}")
                )
    return found
