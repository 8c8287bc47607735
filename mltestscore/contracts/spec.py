"""What a model contract says: :class:`Contract`, its :class:`InputSpec` and its errors."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class ContractError(ValueError):
    """A contract is declared wrongly (bad arguments, decorated twice, wrong target)."""


class ContractViolation(Exception):
    """Raised by a :func:`guard` with ``on_violation="raise"``; ``kind`` names the rule."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


_DTYPE_KINDS: dict[str, tuple[str, ...]] = {
    "floating": ("float", "bfloat", "half", "double"),
    "integer": ("int", "uint", "long", "short"),
    "number": ("float", "bfloat", "half", "double", "int", "uint", "long", "short"),
    "bool": ("bool",),
}


@dataclass(frozen=True)
class InputSpec:
    """A simple input contract for arrays and tensors.

    ``shape``: expected shape, ``None`` for any size in that dimension
    (``(None, 4)``); ``dtype``: an exact name (``"float32"``, torch or numpy) or
    a kind (``"floating"``, ``"integer"``, ``"number"``, ``"bool"``);
    ``finite``: no NaN/Inf allowed in the input.
    """

    shape: tuple[int | None, ...] | None = None
    dtype: str | None = None
    finite: bool = False

    def __post_init__(self) -> None:
        if self.shape is not None:
            if not isinstance(self.shape, Sequence) or not all(
                d is None or (isinstance(d, int) and d >= 0) for d in self.shape
            ):
                raise ContractError(f"InputSpec.shape must hold ints or None, got {self.shape!r}")
            object.__setattr__(self, "shape", tuple(self.shape))

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> InputSpec:
        unknown = set(spec) - {"shape", "dtype", "finite"}
        if unknown:
            raise ContractError(
                f"input spec keys are shape, dtype, finite; unknown: {sorted(unknown)}"
            )
        shape = spec.get("shape")
        return cls(
            None if shape is None else tuple(shape),
            spec.get("dtype"),
            bool(spec.get("finite", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        shape = None if self.shape is None else list(self.shape)
        return {"shape": shape, "dtype": self.dtype, "finite": self.finite}

    def problems(self, x: object) -> list[tuple[str, str]]:
        """``(kind, message)`` for each way ``x`` breaks the spec (messages hold no values)."""
        found: list[tuple[str, str]] = []
        if self.shape is not None:
            shape = getattr(x, "shape", None)
            if shape is None:
                return [("input_shape", f"expected an array or tensor, got {type(x).__name__}")]
            if len(shape) != len(self.shape) or not all(
                want is None or want == got for want, got in zip(self.shape, shape, strict=False)
            ):
                found.append(("input_shape", f"shape {tuple(shape)} does not match {self.shape}"))
        if self.dtype is not None:
            dtype: Any = getattr(x, "dtype", None)
            dtype = type(x) if dtype is None else dtype  # (a numpy dtype's bool() is False)
            ok, name = _dtype_matches(self.dtype, dtype)
            if not ok:
                found.append(("input_dtype", f"dtype {name} is not {self.dtype}"))
        if self.finite:
            from mltestscore.contracts.values import nonfinite_count

            bad = nonfinite_count(x)
            if bad:
                found.append(("input_nonfinite", f"{bad} NaN/Inf value(s) in the input"))
        return found


@functools.lru_cache(maxsize=256)
def _dtype_matches(want: str, dtype: object) -> tuple[bool, str]:
    """Whether ``dtype`` (numpy, torch or a type) is ``want`` (a name or a kind), and its name."""
    name = str(getattr(dtype, "__name__", dtype)).removeprefix("torch.")
    prefixes = _DTYPE_KINDS.get(want)
    return (name.startswith(prefixes) if prefixes else name == want), name


@dataclass(frozen=True)
class Contract:
    """What a model promises.

    ``input``: an :class:`InputSpec` (shape/dtype/finite for arrays and tensors) or a
    schema accepted by :func:`mltestscore.schema.validate` (pandera,
    Great Expectations, tensor schema) — or ``None``; ``output_range``: inclusive
    ``(lo, hi)`` bounds, either may be ``None``; ``finite``: outputs contain no
    NaN/Inf; ``latency_ms``: budget for one predict call (p95, see monitor.6);
    ``deterministic_eval``: two forward passes in eval mode give the same output.
    """

    input: Any = None
    output_range: tuple[float | None, float | None] | None = None
    finite: bool = True
    latency_ms: float | None = None
    deterministic_eval: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.input, Mapping):
            object.__setattr__(self, "input", InputSpec.from_mapping(self.input))
        elif isinstance(self.input, (tuple, list)):  # a bare shape, e.g. (None, 4)
            object.__setattr__(self, "input", InputSpec(shape=tuple(self.input)))
        if self.output_range is not None:
            object.__setattr__(self, "output_range", _check_range(self.output_range))
        if self.latency_ms is not None and not (
            isinstance(self.latency_ms, (int, float)) and self.latency_ms > 0
        ):
            raise ContractError(f"latency_ms must be a positive number, got {self.latency_ms!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description for evidence (a schema is named, not serialized)."""
        if isinstance(self.input, InputSpec):
            described: Any = self.input.to_dict()
        else:
            described = None if self.input is None else type(self.input).__name__
        return {
            "input": described,
            "output_range": list(self.output_range) if self.output_range else None,
            "finite": self.finite,
            "latency_ms": self.latency_ms,
            "deterministic_eval": self.deterministic_eval,
        }


def _check_range(value: object) -> tuple[float | None, float | None]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ContractError(f"output_range must be a (lo, hi) pair, got {value!r}")
    lo, hi = value
    for bound in (lo, hi):
        if bound is not None and not (
            isinstance(bound, (int, float))
            and not isinstance(bound, bool)
            and not math.isnan(bound)
        ):
            raise ContractError(f"output_range bounds must be numbers or None, got {value!r}")
    if lo is not None and hi is not None and lo > hi:
        raise ContractError(f"output_range needs lo <= hi, got {value!r}")
    return (None if lo is None else float(lo), None if hi is None else float(hi))
