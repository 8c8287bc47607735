"""``min_metric``/``max_metric``: which bound applies to which metric (infra.3, infra.4).

A number bounds the *first* metric (the evaluate stage's first, the first of
``ml_metric``); a mapping names the metrics it bounds; ``None`` bounds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

Bound = float | Mapping[str, float] | None


def bound_for(bound: Bound, metric: str, first: bool) -> float | None:
    """The bound on ``metric`` (``first``: it is the first metric), or ``None``."""
    if bound is None:
        return None
    if isinstance(bound, Mapping):
        value = bound.get(metric)
        return None if value is None else float(value)
    return float(bound) if first else None
