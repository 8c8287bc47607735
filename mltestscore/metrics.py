"""A metric with a direction, so checks know whether higher is better."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    """``fn(y_true, y_pred) -> float``; ``higher_is_better`` says which way is good."""

    name: str
    fn: Callable[[Any, Any], float]
    higher_is_better: bool = True

    def __call__(self, y_true: Any, y_pred: Any) -> float:
        return float(self.fn(y_true, y_pred))

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def regression(self, candidate: float, reference: float) -> float:
        """How much worse ``candidate`` is than ``reference`` (positive = worse)."""
        return reference - candidate if self.higher_is_better else candidate - reference


def as_metric(value: object, default_name: str = "metric") -> Metric:
    """Accept a :class:`Metric` or a plain callable (taken as higher-is-better)."""
    if isinstance(value, Metric):
        return value
    if callable(value):
        name = getattr(value, "__name__", default_name)
        return Metric(name, value)
    raise TypeError(f"expected a mltestscore.Metric or a callable(y_true, y_pred), got {value!r}")
