"""The parts of an error analysis: validated, frozen values that become report JSON.

Domain types of :mod:`mltestscore.error_analysis` (which re-exports them); the
renderers in :mod:`mltestscore.reports` read them. Every constructor checks its
values (:mod:`mltestscore.analysis_fields`), so a bad input fails where it is
built, not when the report renders.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mltestscore.analysis_fields import (
    as_count,
    as_list,
    as_number,
    build,
    finite,
    set_fields,
    text,
)
from mltestscore.png import image_uri

MAX_SLICES = 50
MAX_CURVE_POINTS = 400


@dataclass(frozen=True)
class SliceMetric:
    name: str
    value: float
    count: int | None = None  # examples in the slice
    interval: tuple[float, float] | None = None  # bootstrap confidence interval of value

    def __post_init__(self) -> None:
        name = text(self.name, "slice name", 200)
        count = None if self.count is None else as_count(self.count, f"slice {name!r} count", 0)
        interval = None
        if self.interval is not None:
            bounds = as_list(self.interval, f"slice {name!r} interval")
            if len(bounds) != 2:
                raise ValueError(f"slice {name!r} interval: expected [low, high]")
            low = finite(bounds[0], f"slice {name!r} interval low")
            high = finite(bounds[1], f"slice {name!r} interval high")
            if low > high:
                raise ValueError(f"slice {name!r} interval: low {low} is above high {high}")
            interval = (low, high)
        set_fields(
            self,
            name=name,
            value=finite(self.value, f"slice {name!r}"),
            count=count,
            interval=interval,
        )


def slice_verdict(
    value: float,
    interval: Sequence[float] | None,
    overall: float | None,
    higher_is_better: bool,
) -> str:
    """``"worse"`` / ``"better"`` than ``overall`` beyond the slice's interval, ``"within
    noise"`` when the interval holds it, ``"unknown"`` without an overall value. Without an
    interval the point value decides (and ``"same"`` when equal)."""
    if overall is None:
        return "unknown"
    low, high = (value, value) if interval is None else (interval[0], interval[1])
    if low <= overall <= high:
        return "same" if interval is None else "within noise"
    above = low > overall
    return "better" if above == higher_is_better else "worse"


@dataclass(frozen=True)
class SliceTable:
    """A metric per data slice; reports list the worst slice first."""

    metric: str
    rows: Sequence[SliceMetric]
    higher_is_better: bool = True
    overall: float | None = None  # the metric on all data, drawn as a reference line

    def __post_init__(self) -> None:
        rows = tuple(
            r if isinstance(r, SliceMetric) else build(SliceMetric, r, "slices.rows")
            for r in as_list(self.rows, "slices.rows")
        )
        overall = None if self.overall is None else finite(self.overall, "slices.overall")
        set_fields(
            self,
            metric=text(self.metric, "slices.metric", 200),
            rows=rows,
            overall=overall,
            higher_is_better=bool(self.higher_is_better),
        )

    @classmethod
    def from_mapping(
        cls,
        values: Mapping[str, float | tuple[float, int]],
        *,
        metric: str = "accuracy",
        higher_is_better: bool = True,
        overall: float | None = None,
    ) -> SliceTable:
        """From slice name -> value, or name -> (value, count)."""
        rows = [
            SliceMetric(str(k), *(v if isinstance(v, tuple) else (v,))) for k, v in values.items()
        ]
        return cls(metric, rows, higher_is_better, overall)

    def worst_first(self) -> list[SliceMetric]:
        sign = 1 if self.higher_is_better else -1
        return sorted(self.rows, key=lambda r: (sign * r.value, r.name))

    def to_dict(self) -> dict[str, Any]:
        rows = self.worst_first()
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "overall": self.overall,
            "rows": [
                {
                    **dataclasses.asdict(r),
                    "interval": None if r.interval is None else list(r.interval),
                }
                for r in rows[:MAX_SLICES]
            ],
            "omitted": max(0, len(rows) - MAX_SLICES),
        }


@dataclass(frozen=True)
class Confusion:
    """A (truth, predicted) mistake and how often it happened; "" = missing / extra."""

    truth: str
    predicted: str
    count: int

    def __post_init__(self) -> None:
        set_fields(
            self,
            truth=text(self.truth, "confusion truth", 100),
            predicted=text(self.predicted, "confusion predicted", 100),
            count=as_count(self.count, f"confusion {self.truth!r}->{self.predicted!r}", 1),
        )


@dataclass(frozen=True)
class LossCurve:
    """Training loss per step and its diagnosis (:func:`mltestscore.loss_curve.diagnose_curve`,
    the smoke suite's rules without torch; fewer than 8 points are not diagnosed).

    Non-finite losses are kept as None (drawn as red marks); curves longer than
    ``MAX_CURVE_POINTS`` are thinned evenly, keeping the first and the last step.
    """

    losses: Sequence[float | None]
    steps: Sequence[float] | None = None
    diagnosis: Mapping[str, Any] | None = None  # at least "message"; often "status"

    def __post_init__(self) -> None:
        losses = [
            as_number(v, f"loss_curve.losses[{i}]")
            for i, v in enumerate(as_list(self.losses, "loss_curve.losses"))
        ]
        losses = [v if v is not None and math.isfinite(v) else None for v in losses]
        if not losses:
            raise ValueError("loss_curve.losses: expected at least one loss")
        steps = (
            None
            if self.steps is None
            else [finite(s, f"loss_curve.steps[{i}]") for i, s in enumerate(self.steps)]
        )
        if steps is not None and len(steps) != len(losses):
            raise ValueError(f"loss_curve: {len(steps)} steps for {len(losses)} losses")
        if len(losses) > MAX_CURVE_POINTS:
            keep = sorted(
                {
                    round(i * (len(losses) - 1) / (MAX_CURVE_POINTS - 1))
                    for i in range(MAX_CURVE_POINTS)
                }
            )
            steps = [steps[i] if steps else float(i) for i in keep]
            losses = [losses[i] for i in keep]
        diagnosis = None if self.diagnosis is None else _diagnosis_dict(self.diagnosis)
        set_fields(
            self,
            losses=tuple(losses),
            steps=None if steps is None else tuple(steps),
            diagnosis=diagnosis,
        )

    @classmethod
    def from_losses(
        cls, losses: Sequence[float], *, steps: Sequence[float] | None = None, diagnose: bool = True
    ) -> LossCurve:
        """A curve with its diagnosis (numpy only: reports never import torch)."""
        from mltestscore.loss_curve import diagnose_curve

        diagnosis: object = None
        if diagnose:
            try:
                diagnosis = diagnose_curve([float(v) for v in losses])
            except Exception as exc:  # a failing diagnosis must not lose the curve
                diagnosis = {"message": f"could not diagnose: {type(exc).__name__}: {exc}"}
        return cls(losses, steps, None if diagnosis is None else _diagnosis_dict(diagnosis))

    def to_dict(self) -> dict[str, Any]:
        return {
            "losses": list(self.losses),
            "steps": None if self.steps is None else list(self.steps),
            "diagnosis": None if self.diagnosis is None else dict(self.diagnosis),
        }


def _diagnosis_dict(result: object) -> dict[str, Any]:
    """A diagnosis (smoke finding, dataclass, mapping or text) as a small JSON-able dict."""
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    data = dict(result) if isinstance(result, Mapping) else {"message": str(result)}
    cleaned: dict[str, Any] = _json_small(data)
    cleaned["message"] = str(cleaned.get("message", ""))
    return cleaned


def _json_small(value: Any, depth: int = 0) -> Any:
    """JSON-able copy: enums by value, NaN/Inf as None, lists over 50 items dropped."""
    value = getattr(value, "value", value) if not isinstance(value, (int, float)) else value
    if isinstance(value, Mapping) and depth < 4:
        items = {
            str(k): v
            for k, v in value.items()
            if not (isinstance(v, (list, tuple)) and len(v) > 50)
        }
        return {k: _json_small(v, depth + 1) for k, v in items.items()}
    if isinstance(value, (list, tuple)) and depth < 4:
        return [_json_small(v, depth + 1) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int)):
        return value
    return str(value)


@dataclass(frozen=True)
class Example:
    """One badly handled example: id, truth, prediction, its error, an optional image."""

    id: str
    truth: str
    prediction: str
    error: float
    image: str | None = None  # a PNG data URI; worst_examples() converts grey-value grids

    def __post_init__(self) -> None:
        where = f"example {self.id!r}"
        set_fields(
            self,
            id=text(self.id, "example id", 300),
            truth=text(self.truth, f"{where} truth", 300),
            prediction=text(self.prediction, f"{where} prediction", 300),
            error=finite(self.error, f"{where} error"),
            image=image_uri(self.image, f"{where} image"),
        )
