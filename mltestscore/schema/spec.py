"""What a schema promises and what validating returns (standard library only).

:class:`TensorSchema` describes image/tensor data; :class:`SchemaReport` (with its
:class:`SchemaFailure` rows) is the outcome of every adapter — pandera, Great
Expectations and tensor — so data.1, monitor.2 and a model contract judge them
the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
