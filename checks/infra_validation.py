"""infra.4: judging a candidate against the serving model — floors, regressions, verdict.

The metric values come from :mod:`mltestscore.checks.infra_scoring`; here they are
compared per (slice, metric) and turned into ``promote_ok``.

Noise: a slice of a few hundred rows moves its F1 by a point or two from resampling alone.
A regression beyond the tolerance is checked with a *paired* bootstrap (both models scored
on the same resampled rows, :func:`mltestscore.intervals.paired_bootstrap`): it blocks
promotion only when its interval lies above zero as well — beyond the tolerance *and*
beyond the noise. One within the noise is reported (status ``"within noise"``, a WARN) with
its interval. Every compared row on which the candidate is worse carries ``interval``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import rounded
from mltestscore.checks.infra_predict import PredictFn, predict_with, split_eval_data
from mltestscore.checks.infra_scoring import (
    ALL,
    Scores,
    as_labels,
    as_metrics,
    resolve_slices,
    score_model,
)
from mltestscore.checks.infra_store import (
    load_model,
    require_methods,
    resolve_name,
    serving_version,
)
from mltestscore.intervals import CONFIDENCE, paired_bootstrap
from mltestscore.metrics import Metric
from mltestscore.results import CheckResult, NotAutomated

RESAMPLES = 400  # paired bootstrap resamples per judged (slice, metric)
NO_SERVING_STEP = (
    "Define the ml_serving_model fixture (the model now in production), or ml_model_store "
    "with a serving version, so the candidate is compared with it before it serves."
)


class Paired:
    """Both models' predictions on the eval rows, for paired bootstrap intervals."""

    def __init__(
        self, y: np.ndarray, candidate: np.ndarray, serving: np.ndarray, seed: int = 0
    ) -> None:
        self.y, self.candidate, self.serving, self.seed = y, candidate, serving, seed

    def regression_interval(
        self, metric: Metric, mask: np.ndarray | None
    ) -> tuple[float, float] | None:
        """Interval of ``metric.regression(candidate, serving)`` on the rows of ``mask``."""
        rows = np.arange(self.y.shape[0]) if mask is None else np.flatnonzero(mask)
        y, cand, serv = self.y[rows], self.candidate[rows], self.serving[rows]

        def regression(index: np.ndarray) -> float:
            return metric.regression(metric(y[index], cand[index]), metric(y[index], serv[index]))

        return paired_bootstrap(
            regression, int(rows.size), resamples=RESAMPLES, seed=self.seed, confidence=CONFIDENCE
        )


def floor_for(bound: float | Mapping[str, float] | None, metric: str, first: bool) -> float | None:
    """A float bound applies to the first metric; a mapping names metrics."""
    if bound is None:
        return None
    if isinstance(bound, Mapping):
        value = bound.get(metric)
        return None if value is None else float(value)
    return float(bound) if first else None


def compare(
    metrics: Sequence[Metric],
    candidate: Scores,
    serving: Scores | None,
    *,
    tolerance: float,
    slice_tolerance: float,
    min_metric: float | Mapping[str, float] | None,
    max_metric: float | Mapping[str, float] | None,
    paired: Paired | None = None,
    masks: Mapping[str, np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """One row per (slice, metric) with candidate, serving, regression and a status.

    With ``paired`` predictions (and the slices' ``masks``), each row where the candidate is
    worse gets a paired bootstrap ``interval`` of its regression; a regression beyond the
    tolerance whose interval reaches zero is ``"within noise"``, not ``"regressed"``.
    """
    rows: list[dict[str, Any]] = []
    for slice_name, per in candidate.values.items():
        for index, metric in enumerate(metrics):
            cand = per[metric.name]
            serv = None if serving is None else serving.values[slice_name][metric.name]
            row: dict[str, Any] = {
                "slice": slice_name,
                "metric": metric.name,
                "rows": candidate.rows[slice_name],
                "candidate": rounded(cand),
                "serving": rounded(serv),
                "regression": None,
                "status": "ok",
            }
            if cand is None:
                row["status"] = "skipped"
                rows.append(row)
                continue
            problems = []
            if slice_name == ALL:
                low = floor_for(min_metric, metric.name, index == 0)
                high = floor_for(max_metric, metric.name, index == 0)
                if (low is not None and not cand >= low) or (high is not None and not cand <= high):
                    problems.append("below floor")
            if serv is not None:
                regression = metric.regression(cand, serv)
                row["regression"] = rounded(regression)
                allowed = tolerance if slice_name == ALL else slice_tolerance
                interval = None
                if paired is not None and not regression <= 0:
                    mask = None if slice_name == ALL else (masks or {}).get(slice_name)
                    if slice_name == ALL or mask is not None:
                        interval = paired.regression_interval(metric, mask)
                        row["interval"] = (
                            None
                            if interval is None
                            else [
                                rounded(interval[0]),
                                rounded(interval[1]),
                            ]
                        )
                if not regression <= allowed:  # NaN counts as a regression
                    if interval is not None and interval[0] <= 0:
                        row["status"] = "within noise"
                    else:
                        problems.append("regressed")
            if problems:
                row["status"] = " & ".join(problems)
            rows.append(row)
    return rows


def worst_first(rows: list[dict[str, Any]], cap: int = 50) -> list[dict[str, Any]]:
    """Overall rows first, then slices with the largest regression first."""
    overall = [r for r in rows if r["slice"] == ALL]
    others = sorted(
        (r for r in rows if r["slice"] != ALL),
        key=lambda r: (
            r["status"] == "ok",
            r["status"] == "skipped",
            -(r["regression"] if r["regression"] is not None else -1e9),
        ),
    )
    return (overall + others)[:cap]


def _fmt(value: float | None) -> str:
    return "NaN" if value is None else f"{value:.4g}"


def _problem_text(row: Mapping[str, Any], tolerance: float, slice_tolerance: float | None) -> str:
    where = "overall" if row["slice"] == ALL else f"slice {row['slice']!r}"
    text = f"{where} {row['metric']} {_fmt(row['candidate'])}"
    if row["serving"] is not None:
        text += f" vs serving {_fmt(row['serving'])}"
    if row["regression"] is not None and row["status"] != "ok":
        allowed = tolerance if row["slice"] == ALL or slice_tolerance is None else slice_tolerance
        verb = "regressed" if "regressed" in row["status"] else "within noise"
        text += f" ({verb}: by {row['regression']:.4g} > {allowed:g}"
        if row.get("interval"):
            low, high = row["interval"]
            text += f", {100 * CONFIDENCE:.0f} % interval {low:.4g} to {high:.4g}"
        text += f", n = {row['rows']})"
    if "below floor" in row["status"]:
        text += " (below the floor)"
    return text


def serving_reference(serving_model: Any, model_store: Any, model_name: str) -> tuple[Any, str]:
    """The model to compare against and where it came from (``(None, why)`` when none)."""
    if serving_model is not None:
        return serving_model, "ml_serving_model"
    if model_store is None:
        return None, "no ml_serving_model or ml_model_store given"
    require_methods(model_store, ("load", "serving_version"))
    name = resolve_name(model_store, model_name)
    version = serving_version(model_store, name)
    if version is None:
        return None, f"model store has no serving version of {name!r} yet (first deployment)"
    return load_model(model_store, name, version), f"model store {name!r} v{version}"


def check_validation(
    model: Any,
    eval_data: Any,
    metric: Any,
    serving_model: Any,
    model_store: Any,
    target: str | None,
    slices: Any,
    predict_fn: PredictFn | None,
    *,
    tolerance: float,
    slice_tolerance: float | None,
    min_metric: float | Mapping[str, float] | None,
    max_metric: float | Mapping[str, float] | None,
    min_slice_rows: int,
    model_name: str,
) -> CheckResult:
    """Score candidate and serving model; judge floor and regressions (see infra.4)."""
    metrics = as_metrics(metric)
    reference, source = serving_reference(serving_model, model_store, model_name)
    if reference is None and min_metric is None and max_metric is None:
        raise NotAutomated(
            f"nothing to validate against: {source}, and no min_metric/max_metric floor is set"
        )
    features, y, frame = split_eval_data(eval_data, target)
    masks = resolve_slices(slices, frame, int(y.shape[0]))
    cand_out = predict_with(model, features, predict_fn)
    cand = score_model(
        model, features, y, metrics, masks, _given(cand_out), "candidate", min_slice_rows
    )
    serv, paired = None, None
    if reference is not None:
        serv_out = predict_with(reference, features, predict_fn)
        serv = score_model(
            reference,
            features,
            y,
            metrics,
            masks,
            _given(serv_out),
            "serving model",
            min_slice_rows,
        )
        if serv_out.shape[0] == cand_out.shape[0]:
            paired = Paired(y, as_labels(y, cand_out)[0], as_labels(y, serv_out)[0])
    rows = compare(
        metrics,
        cand,
        serv,
        tolerance=tolerance,
        slice_tolerance=tolerance if slice_tolerance is None else slice_tolerance,
        min_metric=min_metric,
        max_metric=max_metric,
        paired=paired,
        masks=dict(masks),
    )
    bad = [r for r in rows if r["status"] not in ("ok", "skipped", "within noise")]
    noisy = [r for r in rows if r["status"] == "within noise"]
    evidence: dict[str, Any] = {
        "promote_ok": not bad,
        "serving_source": source,
        "rows": int(y.shape[0]),
        "metrics": [{"name": m.name, "higher_is_better": m.higher_is_better} for m in metrics],
        "tolerance": tolerance,
        "confidence": CONFIDENCE,
        "bootstrap_resamples": RESAMPLES,
        "predictions": cand.note,
        "table": worst_first(rows),
        "skipped_slices": sorted({r["slice"] for r in rows if r["status"] == "skipped"}),
    }
    overall = ", ".join(
        f"{r['metric']} {_fmt(r['candidate'])}"
        + (f" vs serving {_fmt(r['serving'])}" if r["serving"] is not None else "")
        for r in rows
        if r["slice"] == ALL
    )
    if bad:
        worst = worst_first(bad)
        listed = "; ".join(_problem_text(r, tolerance, slice_tolerance) for r in worst[:5])
        return CheckResult.failed(
            f"do not promote: {len(bad)} problem(s) on {y.shape[0]} held-out rows — {listed}",
            evidence,
            "Keep the serving model; investigate the regressed metric/slice (error "
            "analysis on that slice) before promoting the candidate.",
        )
    if reference is None:
        floors = " and ".join(
            name
            for name, bound in (("min_metric", min_metric), ("max_metric", max_metric))
            if bound is not None
        )
        return CheckResult.inconclusive(
            f"could not judge: no serving model to compare with ({source}); the absolute "
            f"floor ({floors}) was met ({overall}), but a floor alone does not show the "
            "candidate is no worse than what serves now",
            evidence,
            NO_SERVING_STEP,
        )
    if reference is model:
        return CheckResult.inconclusive(
            f"could not judge: candidate and serving model are the same object ({overall}); "
            "the comparison cannot find a regression",
            evidence,
            "Pass the newly trained candidate as ml_model and the production model as "
            "ml_serving_model (or its store as ml_model_store).",
        )
    checked = len(masks)
    scope = f" overall or on {checked} slices" if checked else ""
    if noisy:
        listed = "; ".join(_problem_text(r, tolerance, slice_tolerance) for r in noisy[:5])
        return CheckResult.warned(
            f"promote ok: {overall} on {y.shape[0]} held-out rows; {len(noisy)} regression(s) "
            f"beyond the tolerance are within sampling noise — {listed}",
            evidence,
            "Nothing blocks promotion; to tell such small regressions from noise, evaluate on "
            "more rows of those slices.",
        )
    return CheckResult.passed(
        f"promote ok: {overall} on {y.shape[0]} held-out rows, no regression beyond "
        f"{tolerance:g}{scope}",
        evidence,
    )


def _given(outputs: np.ndarray) -> PredictFn:
    """A ``predict_fn`` returning outputs already computed (each model predicts once)."""

    def predict(_model: Any, _inputs: Any) -> np.ndarray:
        return outputs

    return predict
