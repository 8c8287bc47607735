"""monitor.3's judgement: element-wise feature skew and distribution skew, into a verdict."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mltestscore.checks.monitor_skew import SkewReport
from mltestscore.results import CheckResult

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


def reference_features(
    train_data: Any, wanted: list[str], feature_fn: Any = None
) -> tuple[Any, list[str], str]:
    """Training-side reference (DataFrame or stored summary), the features it has, a note.

    When ``train_data`` holds raw inputs rather than features, ``feature_fn``
    computes the training features from it. Raises ``ValueError`` when no served
    feature can be found on the training side.
    """
    from mltestscore.checks import stats
    from mltestscore.checks.data_tables import as_frame
    from mltestscore.checks.monitor_skew import recompute

    reference: Any = train_data
    if isinstance(train_data, (str, Path)) and str(train_data).endswith(".json"):
        reference = stats.ReferenceSummary.load(train_data)
    elif isinstance(train_data, (str, Path)):
        reference = as_frame(train_data, "train_data")
    elif isinstance(train_data, (tuple, list)) and len(train_data) == 2:
        reference = train_data[0]  # (X, y): the features are X
    if isinstance(reference, Mapping) and "format" in reference:
        reference = stats.ReferenceSummary.from_dict(reference)
    from mltestscore.checks import engines

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


def judge_skew(
    skew: SkewReport | None,
    drift: Any,
    *,
    max_mismatch_rate: float,
    max_drifted_features: int,
    evidence: dict[str, Any],
) -> CheckResult:
    """FAIL on skewed or unproduced features or too many drifted features; see monitor.3."""
    problems: list[str] = []
    notes: list[str] = []
    next_steps: list[str] = []
    if skew is not None:
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
                f.to_dict()
                for f in sorted(skew.features, key=lambda f: -f.mismatch_rate)[:MAX_ROWS]
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
