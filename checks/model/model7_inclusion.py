"""model.7: metric gaps across protected/user groups (accuracy, TPR, FPR, selection rate).

``ml_groups`` names the group attributes:

- a column name, or a list of column names of the evaluation data (each is one
  attribute; its values are the groups);
- a mapping ``attribute -> column name``, ``attribute -> array of group labels``
  (one per row), or ``attribute -> {group: slice spec}`` (see
  :mod:`mltestscore.inputs.slices`);
- an array of group labels (one attribute named ``group``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mltestscore.inputs.arrays import to_numpy
from mltestscore.inputs.labels import as_labels, is_classification, safe_metric
from mltestscore.inputs.predict import predict
from mltestscore.inputs.slices import build_slices
from mltestscore.inputs.tables import split_with_frame
from mltestscore.metrics import Metric, as_metric
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated, json_safe

RATES = ("accuracy", "tpr", "fpr", "selection_rate")
Groups = list[tuple[str, npt.NDArray[np.bool_]]]


@register_builtin_check("model.7")
def inclusion_gaps(
    model: object,
    eval_data: object,
    groups: object,
    target: str | None = None,
    metric: object = None,
    *,
    max_gap: float = 0.1,
    min_group_size: int = 30,
    min_rate_support: int = 10,
    positive_label: str | int | None = None,
) -> CheckResult:
    """Accuracy, TPR, FPR, selection-rate (and metric) gaps across declared groups are within tolerance.

    Inputs: ``model``, ``eval_data``, ``groups`` (a column, columns, or attribute
    -> column / labels / {group: slice spec} — see
    :mod:`mltestscore.checks.model.model7_inclusion`), ``target``, ``metric`` (optional: the
    team's metric is compared across groups too — the only gap for non-classifiers,
    e.g. a recognizer's character error rate).
    Thresholds: ``max_gap`` (max − min across groups, per rate); groups under
    ``min_group_size`` rows are reported and make the result a warning, never a
    silent pass; TPR/FPR need ``min_rate_support`` positives/negatives in a group;
    ``positive_label`` (binary labels default to 1/True/the larger label; multiclass
    without it compares accuracy only).
    """
    features, y, frame = split_with_frame(eval_data, target, "eval_data")
    classification = is_classification(y)
    scorer = None if metric is None else as_metric(metric)
    if not classification and scorer is None:
        raise NotAutomated(
            "model.7's gaps (accuracy, TPR, FPR, selection rate) need a classifier; "
            "for other models define ml_metric to compare it across groups"
        )
    pred = as_labels(predict(model, features), y)
    pos = _positive(y, positive_label) if classification else None
    rates = ((scorer.name,) if scorer is not None else ()) + (RATES if classification else ())
    attributes, gaps, too_small, failures = [], [], [], []
    for attr, members in parse_groups(frame, groups, len(y)).items():
        table = []
        for name, mask in members:
            size = int(mask.sum())
            row: dict[str, Any] = {"group": name, "size": size, "judged": size >= min_group_size}
            if size:
                row.update(
                    group_rates(y, pred, mask, pos, min_rate_support, scorer, classification)
                )
            table.append(row)
            if not row["judged"]:
                too_small.append(f"{attr}={name} ({size} rows)")
        judged = [r for r in table if r["judged"]]
        for rate in rates:
            values = [(r[rate], r["group"]) for r in judged if r.get(rate) is not None]
            if len(values) < 2:
                continue
            (low, low_g), (high, high_g) = min(values), max(values)
            gap = {"attribute": attr, "rate": rate, "gap": high - low, "low": low_g, "high": high_g}
            gaps.append(gap)
            if gap["gap"] > max_gap:
                failures.append(
                    f"{attr}: {rate} gap {high - low:.3f} ({low_g} {low:.3f} vs {high_g} {high:.3f})"
                )
        if len(judged) < 2:
            too_small.append(f"{attr}: fewer than 2 groups large enough to compare")
        attributes.append({"attribute": attr, "groups": table[:50]})
    gaps.sort(key=lambda g: -g["gap"])
    evidence: dict[str, Any] = {
        "max_gap": max_gap, "min_group_size": min_group_size, "positive_label": json_safe(pos)[0],
        "gaps": gaps[:50], "attributes": attributes, "not_judged": too_small,
    }  # fmt: skip
    if pos is None and classification:
        evidence["note"] = "multiclass labels without positive_label: only accuracy is compared"
    if failures:
        return CheckResult.failed(
            f"{len(failures)} group gap(s) above {max_gap}: " + "; ".join(failures[:5]),
            evidence,
            "Investigate the disadvantaged groups: their share of training data, label quality "
            "and features that proxy for the attribute; then retrain or recalibrate per group.",
        )
    biggest = f"largest gap {gaps[0]['rate']} {gaps[0]['gap']:.3f}" if gaps else "no gap measurable"
    if too_small or not gaps:
        return CheckResult.warned(
            f"gaps within {max_gap} ({biggest}), but not every group could be judged: "
            + "; ".join(too_small[:5]),
            evidence,
            f"Collect at least {min_group_size} evaluation rows for every declared group.",
        )
    return CheckResult.passed(f"all group gaps within {max_gap} ({biggest})", evidence)


def _by_labels(labels: npt.NDArray[Any]) -> Groups:
    series = pd.Series(labels)
    out = [(str(v), (series == v).to_numpy()) for v in sorted(series.dropna().unique(), key=str)]
    if len(out) > 100:
        raise ValueError(f"groups: {len(out)} distinct groups; group by a coarser attribute")
    return out


def parse_groups(frame: Any, groups: object, n: int) -> dict[str, Groups]:
    """Attribute name -> [(group name, row mask)]."""
    if isinstance(groups, str):
        groups = [groups]
    if isinstance(groups, Mapping):
        items = list(groups.items())
    elif isinstance(groups, Sequence) and all(isinstance(g, str) for g in groups):
        items = [(g, g) for g in groups]
    else:
        items = [("group", groups)]
    out: dict[str, Groups] = {}
    for attr, spec in items:
        if isinstance(spec, str):
            if not isinstance(frame, pd.DataFrame) or spec not in frame.columns:
                raise ValueError(f"groups[{attr!r}]: eval data has no column {spec!r}")
            out[str(attr)] = _by_labels(frame[spec].to_numpy())
        elif isinstance(spec, Mapping):
            out[str(attr)] = [
                (s.name, s.mask) for s in build_slices(frame, spec, n, f"groups[{attr!r}]")
            ]
        else:
            labels = to_numpy(spec, f"groups[{attr!r}]")
            if labels.shape != (n,):
                raise ValueError(
                    f"groups[{attr!r}]: expected {n} group labels, got shape {labels.shape}"
                )
            out[str(attr)] = _by_labels(labels)
    return out


def _positive(y: npt.NDArray[Any], positive_label: object) -> object | None:
    labels = list(pd.unique(pd.Series(y).dropna()))
    if positive_label not in (None, ""):
        for value in labels:
            if value == positive_label or str(value) == str(positive_label):
                found: object = value
                return found
        raise ValueError(f"positive_label {positive_label!r} is not among the labels {labels[:10]}")
    if len(labels) != 2:
        return None
    for candidate in (1, True, "1", "yes", "positive"):
        if candidate in labels:
            return candidate
    largest: object = sorted(labels, key=str)[-1]
    return largest


def _rate(hits: npt.NDArray[np.bool_], where: npt.NDArray[np.bool_], support: int) -> float | None:
    total = int(where.sum())
    return float(hits[where].mean()) if total >= support else None


def group_rates(
    y: npt.NDArray[Any],
    pred: npt.NDArray[Any],
    mask: npt.NDArray[np.bool_],
    pos: object,
    support: int,
    metric: Metric | None = None,
    classification: bool = True,
) -> dict[str, float | None]:
    yg, pg = y[mask], pred[mask]
    rates: dict[str, float | None] = {}
    if metric is not None:
        rates[metric.name] = safe_metric(metric, yg, pg)[0]
    if not classification:
        return rates
    rates["accuracy"] = float(np.mean(yg == pg))
    if pos is not None:
        is_pos, said_pos = yg == pos, pg == pos
        rates["tpr"] = _rate(said_pos, is_pos, support)
        rates["fpr"] = _rate(said_pos, ~is_pos, support)
        rates["selection_rate"] = float(said_pos.mean())
    return rates
