"""monitor.3 — training and serving are not skewed.

Two comparisons of the logged serving requests, judged together here:

- element-wise: the training-side feature code recomputes the features of the logged
  requests and each is compared cell by cell with what serving computed
  (:mod:`.skew`: the comparison and the diagnosis of each skewed feature);
- distribution: the served features against the training features or a stored
  ``stats.ReferenceSummary`` (:func:`mltestscore.stats.compare`).

The serving log and the training data are read through :mod:`mltestscore.inputs.tables`
(DataFrame, CSV/TSV/Parquet/JSON/JSONL path, records, Polars). Reading the two inputs
(:func:`split_serving_log`, :func:`reference_features`) sits here with the check and its
verdict. Over 300 lines: monitor.3's whole flow is this file and :mod:`.skew`, and
splitting the readers off would add a third hop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mltestscore import engines, stats
from mltestscore.checks.monitor.skew import SkewReport, compare_features, recompute
from mltestscore.inputs.tables import as_frame
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

MAX_ROWS = 50

NEXT_STEP_FEATURES = (
    "Make serving and training compute features with the same code (import one feature "
    "module in both, or generate both from one definition); fix the pattern named for each "
    "skewed feature, then log new serving examples and rerun. Mismatching examples are "
    "listed by the serving log's index: index it by request id to find them."
)
NEXT_STEP_DRIFT = (
    "Serving features are distributed unlike the training features: check the serving "
    "inputs upstream (a new source, a unit change, a default value filling missing data); if "
    "the world changed, retrain on recent data."
)


@register_builtin_check("monitor.3")
def training_serving_skew(
    serving_log: Any,
    feature_fn: Callable[[Any], Any] | None = None,
    train_data: Any = None,
    *,
    served_prefix: str = "served_",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    max_mismatch_rate: float = 0.0,
    max_drifted_features: int = 0,
    show_values: bool = False,
    ks_threshold: float = 0.1,
    psi_threshold: float = 0.2,
    linf_threshold: float = 0.1,
    alpha: float = 0.001,
) -> CheckResult:
    """Training and serving are not skewed: training code reproduces the served features.

    Inputs:

    - ``serving_log`` — logged serving examples: a DataFrame (or CSV/Parquet/JSONL
      path) with the raw input columns and, for each feature the serving path
      computed, a column ``served_<feature>``; a list of such rows (one mapping per
      request, as a JSON-lines log reads); or a pair ``(raw_inputs,
      served_features)`` of frames with one row per request. Index it by request
      id: mismatching examples are reported by index label, never by value.
    - ``feature_fn`` (optional) — the team's *training-side* feature code,
      ``feature_fn(raw_df) -> features_df`` (one row per input row, columns named
      like the served features). It recomputes the features of the logged
      examples, compared cell by cell (numbers within ``atol + rtol·|training|``,
      NaN equals NaN; other values by equality). Each skewed feature gets a
      diagnosis (offset, scale factor, float32 precision, rounding, missing-value
      handling, constant default, case/whitespace, re-encoding).
    - ``train_data`` (optional) — training features (DataFrame or path) or a
      stored ``stats.ReferenceSummary`` (or its JSON file): the served features'
      distributions are compared with it (KS, PSI, L∞, NaN share via
      :func:`mltestscore.stats.compare`).

    With only ``train_data`` the check warns (distribution skew alone cannot see a
    feature computed differently for the same input).

    Thresholds: ``served_prefix``; ``atol``/``rtol``; ``max_mismatch_rate`` — share
    of examples a feature may mismatch on (default 0: any mismatch fails);
    ``max_drifted_features`` (default 0); ``show_values`` — include up to 5
    served/training value pairs per skewed feature (off: values may be personal
    data); ``ks_threshold``, ``psi_threshold``, ``linf_threshold``, ``alpha`` —
    passed to the drift statistics.
    """
    if feature_fn is None and train_data is None:
        raise NotAutomated(
            "define ml_feature_fn (training feature code, element-wise skew) and/or "
            "ml_train_data (distribution skew)"
        )
    raw, served = split_serving_log(serving_log, served_prefix)
    evidence: dict[str, Any] = {"examples": len(raw), "served_features": served.shape[1]}
    skew, recomputed = None, None
    if feature_fn is not None:
        try:
            recomputed = recompute(feature_fn, raw)
        except (TypeError, ValueError):
            raise
        except Exception as exc:
            return CheckResult.failed(
                f"the training feature code raised {type(exc).__name__} on the logged serving "
                f"examples: {str(exc)[:200]}",
                evidence,
                "Serving inputs reach the model in a form the training code cannot process: "
                "run feature_fn on the serving log and fix the difference.",
            )
        if served.shape[1]:
            skew = compare_features(served, recomputed, atol=atol, rtol=rtol,
                                    show_values=show_values)  # fmt: skip
    drift = None
    if train_data is not None:
        current = served if served.shape[1] else recomputed
        if current is None:
            raise ValueError(
                f"serving_log has no '{served_prefix}*' columns: log the features the serving "
                "path computed, or define ml_feature_fn to compute them"
            )
        try:
            reference, common, note = reference_features(
                train_data, [str(c) for c in current.columns], feature_fn
            )
        except ValueError as exc:
            if skew is None:
                raise
            evidence["distribution_skew_skipped"] = str(exc)  # element-wise skew still counts
        else:
            if note:
                evidence["distribution_skew_note"] = note
            drift = stats.compare(reference, current[common], columns=common,
                                  ks_threshold=ks_threshold, psi_threshold=psi_threshold,
                                  linf_threshold=linf_threshold, alpha=alpha)  # fmt: skip

    # Judge: FAIL on skewed or unproduced features, or on too many drifted features.
    problems: list[str] = []
    notes: list[str] = []
    next_steps: list[str] = []
    if skew is not None:
        _feature_findings(skew, max_mismatch_rate, evidence, problems, notes, next_steps)
    if drift is not None:
        evidence["distribution_skew"] = drift.to_evidence(max_rows=MAX_ROWS)
        drifted = list(drift.drifted_columns)
        if len(drifted) > max_drifted_features:
            details = ", ".join(f"{c!r} ({'/'.join(drift.column(c).tests)})" for c in drifted[:10])
            problems.append(
                f"{len(drifted)} of {len(drift.columns)} serving features are distributed "
                f"unlike training (allowed {max_drifted_features}): {details}"
            )
            next_steps.append(NEXT_STEP_DRIFT)
        else:
            notes.append(
                f"serving vs training distributions: {len(drifted)} of {len(drift.columns)} "
                f"features drifted (allowed {max_drifted_features})"
            )
    if problems:
        message = "training/serving skew: " + "; ".join(problems)
        if notes:
            message += " (" + "; ".join(notes) + ")"
        return CheckResult.failed(message, evidence, " ".join(dict.fromkeys(next_steps)))
    if skew is None:
        return CheckResult.warned(
            "; ".join(notes) + "; element-wise skew not checked: define ml_feature_fn (the "
            "training feature code) and log the served features as 'served_<name>' columns",
            evidence,
            "Recompute features for logged serving examples with the training code.",
        )
    if not skew.features:
        return CheckResult.warned(
            "no served feature matches a training feature by name; nothing compared "
            "element-wise (" + "; ".join(notes) + ")",
            evidence,
            "Log the served features as 'served_<feature>' columns named like the training "
            "features.",
        )
    if drift is None:
        why = evidence.get("distribution_skew_skipped", "define ml_train_data")
        notes.append(f"distribution skew not checked: {why}")
    if any(f.mismatched for f in skew.features):
        return CheckResult.warned(
            "; ".join(notes), evidence, "Look at the listed rows: rare skew is still a bug."
        )
    return CheckResult.passed("; ".join(notes), evidence)


def _feature_findings(
    skew: SkewReport,
    max_mismatch_rate: float,
    evidence: dict[str, Any],
    problems: list[str],
    notes: list[str],
    next_steps: list[str],
) -> None:
    """The element-wise comparison's problems and notes, and its evidence."""
    skewed = skew.skewed(max_mismatch_rate)
    within = [f for f in skew.features if f.mismatched and f not in skewed]
    rows = skew.skewed_rows(skewed)
    evidence["feature_skew"] = {
        "examples": skew.examples,
        "features_compared": len(skew.features),
        "skewed_features": [f.feature for f in skewed],
        "skewed_examples": int(rows.size),
        "skewed_example_rate": round(rows.size / skew.examples, 6) if skew.examples else 0,
        "max_mismatch_rate": max_mismatch_rate,
        "missing_in_training": list(skew.missing_in_training),
        "not_logged": list(skew.not_logged[:MAX_ROWS]),
        "features": [
            f.to_dict() for f in sorted(skew.features, key=lambda f: -f.mismatch_rate)[:MAX_ROWS]
        ],
    }
    if skewed:
        listed = "; ".join(
            f"{f.feature!r} {f.mismatched} mismatch(es) ({f.mismatch_rate:.1%}"
            + (f", max |Δ| {f.max_abs_diff:.3g}" if f.max_abs_diff is not None else "")
            + f") — {f.diagnosis}"
            for f in skewed[:5]
        )
        problems.append(
            f"{len(skewed)} of {len(skew.features)} features differ between serving and "
            f"the training code on {rows.size} of {skew.examples} logged examples "
            f"({rows.size / skew.examples:.1%}): {listed}"
        )
        next_steps.append(NEXT_STEP_FEATURES)
    if skew.missing_in_training:
        problems.append(
            f"served feature(s) {list(skew.missing_in_training)[:10]} are not produced by "
            "the training feature code"
        )
        next_steps.append(NEXT_STEP_FEATURES)
    if within:
        notes.append(
            f"{len(within)} feature(s) mismatch within max_mismatch_rate: "
            + ", ".join(f"{f.feature!r} ({f.mismatch_rate:.2%})" for f in within[:5])
        )
    if not skewed and not skew.missing_in_training:
        notes.insert(
            0,
            f"all {len(skew.features)} served features match the training code on "
            f"{skew.examples} logged examples",
        )
    if skew.not_logged:
        notes.append(
            f"{len(skew.not_logged)} training feature(s) not logged at serving, unchecked: "
            f"{list(skew.not_logged)[:5]}"
        )


def split_serving_log(serving_log: Any, prefix: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(raw inputs, served features)`` from a log frame/path, a list of logged rows (one
    mapping per request, as a JSON-lines log reads), or a ``(raw, served)`` pair."""
    if (
        isinstance(serving_log, list)
        and serving_log
        and all(isinstance(row, Mapping) for row in serving_log)
    ):
        serving_log = as_frame(serving_log, "serving_log")
    if isinstance(serving_log, (tuple, list)):
        if len(serving_log) != 2:
            raise ValueError(
                f"serving_log: a sequence must be (raw_inputs, served_features), "
                f"got {len(serving_log)} items"
            )
        raw = as_frame(serving_log[0], "serving_log raw inputs")
        served = as_frame(serving_log[1], "serving_log served features")
        if len(raw) != len(served):
            raise ValueError(
                f"serving_log: {len(raw)} raw rows but {len(served)} served-feature rows; "
                "log one row of each per request"
            )
        return raw, served.set_axis(raw.index, axis=0)
    frame = as_frame(serving_log, "serving_log")
    served_cols = [c for c in frame.columns if str(c).startswith(prefix)]
    raw = frame.drop(columns=served_cols)
    served = frame[served_cols].rename(columns=lambda c: str(c)[len(prefix) :])
    return raw, served


def reference_features(
    train_data: Any, wanted: list[str], feature_fn: Any = None
) -> tuple[Any, list[str], str]:
    """Training-side reference (DataFrame or stored summary), the features it has, a note.

    When ``train_data`` holds raw inputs rather than features, ``feature_fn``
    computes the training features from it. Raises ``ValueError`` when no served
    feature can be found on the training side.
    """
    reference: Any = train_data
    if isinstance(train_data, (str, Path)):
        reference = _summary_file(Path(train_data)) or as_frame(train_data, "train_data")
    elif isinstance(train_data, (tuple, list)) and len(train_data) == 2:
        reference = train_data[0]  # (X, y): the features are X
    if isinstance(reference, Mapping) and "format" in reference:
        reference = stats.ReferenceSummary.from_dict(reference)
    if not isinstance(reference, pd.DataFrame) and engines.is_engine_data(reference):
        # Polars, Parquet datasets, Spark: summarized where the data lives, never pulled in.
        kinds = engines.column_kinds(reference)
        reference = stats.summarize(reference, columns=[c for c in wanted if c in kinds] or None)
    if isinstance(reference, stats.ReferenceSummary):
        names = set(reference.names)
    elif isinstance(reference, pd.DataFrame):
        reference = reference.rename(columns=str)
        names = set(reference.columns)
    else:
        raise TypeError(
            "train_data: for distribution skew expected a DataFrame of training features "
            "(or raw inputs, with ml_feature_fn), a table path, or a stats.ReferenceSummary "
            f"(or its JSON file); got {type(train_data).__name__}"
        )
    note = ""
    if not names & set(wanted) and feature_fn is not None and isinstance(reference, pd.DataFrame):
        reference = recompute(feature_fn, reference)
        names = set(reference.columns)
        note = "training features computed by feature_fn from train_data"
    common = [c for c in wanted if c in names]
    if not common:
        raise ValueError(
            f"train_data has none of the serving features {wanted[:20]}: name the training "
            "feature columns like the served ones"
        )
    return reference, common, note


def _summary_file(path: Path) -> stats.ReferenceSummary | None:
    """A stored ``stats.ReferenceSummary`` JSON file; ``None`` for a table (JSON records)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # read as a table: inputs.tables names the file in its error
    if isinstance(document, Mapping) and "format" in document:
        return stats.ReferenceSummary.from_dict(document)
    return None
