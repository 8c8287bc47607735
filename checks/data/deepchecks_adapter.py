"""Run deepchecks tabular suites and map their results onto rubric ids.

The data section's bridge to deepchecks (it registers no check); its findings are evidence
for ids in every section (table below). Train and evaluation data: DataFrames or table paths
(:func:`mltestscore.inputs.tables.as_frame`).

deepchecks 0.19.1 needs the old numeric stack, so it lives in its own environment
(the ``deepchecks`` extra / nox session)::

    deepchecks==0.19.1 numpy==1.26.4 pandas==2.2.3 scipy==1.13.1
    scikit-learn==1.7.2 category_encoders==2.11.2 setuptools<81

Anywhere else :func:`import_deepchecks` raises :class:`DeepchecksUnavailable` with
one message naming these pins (never a traceback from inside deepchecks).

Usage::

    outcome = run_deepchecks(train_df, test_df, target="label", model=clf,
                             report_dir="reports/deepchecks")
    outcome.evidence["monitor.3"]      # AutomatedEvidence(source="deepchecks", ...)

Mapping (deepchecks check class → rubric id; the worst condition wins: any FAIL →
fail, else any WARN → warn, else pass; checks that could not run — e.g. no
datetime column — are listed under ``not_run`` and do not count):

============================  ====================================================
rubric id                     deepchecks checks
============================  ====================================================
data.1 feature expectations   MixedNulls, MixedDataTypes, StringMismatch,
                              SpecialCharacters, StringLengthOutOfBounds,
                              DataDuplicates, ConflictingLabels, PercentOfNulls,
                              ClassImbalance, OutlierSampleDetection,
                              FeatureLabelCorrelation, FeatureLabelCorrelationChange,
                              IdentifierLabelCorrelation (a feature that predicts
                              the label too well is leakage)
data.2 features beneficial    IsSingleValue, FeatureFeatureCorrelation, UnusedFeatures
model.3 hyperparameters       BoostingOverfit
model.5 simpler model         SimpleModelComparison
model.6 slices                WeakSegmentsPerformance, SegmentPerformance
infra.4 quality validated     TrainTestPerformance, RocReport, ConfusionMatrixReport,
                              CalibrationScore, RegressionErrorDistribution
monitor.2 input invariants    NewCategoryTrainTest, NewLabelTrainTest,
                              StringMismatchComparison
monitor.3 train/serving skew  FeatureDrift, MultivariateDrift
monitor.6 compute performance ModelInferenceTime
monitor.7 prediction quality  LabelDrift, PredictionDrift
============================  ====================================================

Checks outside this table (train/test leakage: TrainTestSamplesMix,
IndexTrainTestLeakage, DateTrainTestLeakage*; DatasetsSizeComparison) have no
rubric test; they are kept in ``DeepchecksOutcome.findings`` with no rubric id.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from mltestscore.inputs.tables import as_frame
from mltestscore.results import AutomatedEvidence, Status

PINS = (
    "deepchecks==0.19.1 numpy==1.26.4 pandas==2.2.3 scipy==1.13.1 scikit-learn==1.7.2 "
    "category_encoders==2.11.2 'setuptools<81'"
)
SUITES = ("data_integrity", "train_test_validation", "model_evaluation")
MAX_ROWS = 50

CHECKS_BY_RUBRIC_ID: Mapping[str, tuple[str, ...]] = {
    "data.1": (
        "MixedNulls", "MixedDataTypes", "StringMismatch", "SpecialCharacters",
        "StringLengthOutOfBounds", "DataDuplicates", "ConflictingLabels", "PercentOfNulls",
        "ClassImbalance", "OutlierSampleDetection", "FeatureLabelCorrelation",
        "FeatureLabelCorrelationChange", "IdentifierLabelCorrelation",
    ),
    "data.2": ("IsSingleValue", "FeatureFeatureCorrelation", "UnusedFeatures"),
    "model.3": ("BoostingOverfit",),
    "model.5": ("SimpleModelComparison",),
    "model.6": ("WeakSegmentsPerformance", "SegmentPerformance"),
    "infra.4": (
        "TrainTestPerformance", "RocReport", "ConfusionMatrixReport", "CalibrationScore",
        "RegressionErrorDistribution",
    ),
    "monitor.2": ("NewCategoryTrainTest", "NewLabelTrainTest", "StringMismatchComparison"),
    "monitor.3": ("FeatureDrift", "MultivariateDrift"),
    "monitor.6": ("ModelInferenceTime",),
    "monitor.7": ("LabelDrift", "PredictionDrift"),
}  # fmt: skip
RUBRIC_MAP: Mapping[str, str] = {
    check: rubric_id for rubric_id, checks in CHECKS_BY_RUBRIC_ID.items() for check in checks
}


class DeepchecksUnavailable(ImportError):
    """deepchecks cannot be imported here (not installed, or the wrong numpy/pandas)."""


def import_deepchecks() -> ModuleType:
    """``deepchecks.tabular`` with its suites loaded, or :class:`DeepchecksUnavailable`."""
    try:
        import deepchecks.tabular
        import deepchecks.tabular.suites
    except Exception as exc:  # ImportError, AttributeError, ValueError from binary mismatch
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        raise DeepchecksUnavailable(
            f"deepchecks cannot be imported ({reason[:200]}). It needs its own environment "
            f"with {PINS} (run `nox -s deepchecks`, or `pip install 'mltestscore[deepchecks]'` "
            "in a separate virtual environment); the main environment's numpy 2 / pandas 3 "
            "cannot load it."
        ) from None
    module: ModuleType = deepchecks.tabular
    return module


@dataclass(frozen=True)
class Finding:
    """One deepchecks condition (or a check that did not run), flattened."""

    check: str  # deepchecks class name, e.g. "FeatureDrift"
    header: str  # e.g. "Feature Drift" or "Data Duplicates - Train Dataset"
    rubric_id: str | None
    category: str  # "pass" | "warn" | "fail" | "error" | "no_condition" | "not_run"
    condition: str = ""
    details: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "header": self.header, "category": self.category,
                "condition": self.condition, "details": self.details}  # fmt: skip


@dataclass(frozen=True)
class DeepchecksOutcome:
    findings: tuple[Finding, ...]
    evidence: Mapping[str, AutomatedEvidence]  # by rubric id
    reports: tuple[str, ...] = ()  # HTML files written


def findings_from(suite_result: Any) -> list[Finding]:
    """Flatten a deepchecks ``SuiteResult`` (``.results``) into :class:`Finding` rows."""
    out: list[Finding] = []
    for result in suite_result.results:
        name = type(result.check).__name__
        get_header = getattr(result, "get_header", None)
        header = str((get_header() if callable(get_header) else None) or name)
        rubric = RUBRIC_MAP.get(name)
        if hasattr(result, "exception"):
            out.append(Finding(name, header, rubric, "not_run", details=_short(result.exception)))
            continue
        conditions = list(getattr(result, "conditions_results", []) or [])
        if not conditions:
            out.append(Finding(name, header, rubric, "no_condition"))
        for cond in conditions:
            category = str(getattr(cond.category, "value", cond.category)).lower()
            out.append(
                Finding(name, header, rubric, category, str(cond.name), _short(cond.details))
            )
    return out


def _short(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_evidence(findings: Iterable[Finding]) -> dict[str, AutomatedEvidence]:
    """One :class:`AutomatedEvidence` per rubric id that had at least one judged condition."""
    by_id: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.rubric_id is not None:
            by_id.setdefault(finding.rubric_id, []).append(finding)
    out: dict[str, AutomatedEvidence] = {}
    for rubric_id, group in sorted(by_id.items()):
        judged = [f for f in group if f.category in ("pass", "warn", "fail")]
        if not judged:
            continue
        fails = [f for f in judged if f.category == "fail"]
        warns = [f for f in judged if f.category == "warn"]
        status = Status.FAIL if fails else Status.WARN if warns else Status.PASS
        bad = fails or warns
        rows = sorted(group, key=lambda f: ("fail", "warn", "pass").index(f.category)
                      if f.category in ("fail", "warn", "pass") else 3)  # fmt: skip
        evidence = {
            "conditions": [f.to_dict() for f in rows if f.category in ("pass", "warn", "fail")][:MAX_ROWS],
            "not_run": [f"{f.header}: {f.details}" for f in group if f.category == "not_run"][:MAX_ROWS],
            "counts": {c: sum(f.category == c for f in judged) for c in ("pass", "warn", "fail")},
        }  # fmt: skip
        if bad:
            first = bad[0]
            message = (f"deepchecks: {len(bad)} of {len(judged)} condition(s) "
                       f"{'failed' if status is Status.FAIL else 'warned'}; first: "
                       f"{first.header} — {first.condition}: {first.details}")  # fmt: skip
            next_step = (
                "Open the deepchecks HTML report for the failing checks' plots and fix them."
            )
        else:
            message, next_step = f"deepchecks: all {len(judged)} condition(s) passed", ""
        out[rubric_id] = AutomatedEvidence("deepchecks", status, message[:500], evidence, next_step)
    return out


def _dataset(
    dc: ModuleType, frame: object, target: str, cat_features: Sequence[str] | None, name: str
) -> Any:
    table = as_frame(frame, name, required=(target,))  # a DataFrame or a table path
    cats = list(cat_features) if cat_features is not None else [
        str(c) for c in table.columns
        if c != target and not pd.api.types.is_numeric_dtype(table[c])
    ]  # fmt: skip
    return dc.Dataset(table, label=target, cat_features=cats)


def run_deepchecks(
    train_data: object,
    eval_data: object = None,
    *,
    target: str,
    model: object = None,
    suites: Sequence[Any] = SUITES,
    cat_features: Sequence[str] | None = None,
    report_dir: str | Path | None = None,
) -> DeepchecksOutcome:
    """Run the suites (names from :data:`SUITES`, or deepchecks ``Suite`` objects).

    ``train_test_validation`` is skipped without ``eval_data``, ``model_evaluation``
    without ``model``. With ``report_dir``, each suite's report is written there as
    self-contained HTML (``as_widget=False``).
    """
    dc = import_deepchecks()
    from deepchecks.tabular import suites as dc_suites

    train = _dataset(dc, train_data, target, cat_features, "train_data")
    test = None if eval_data is None else _dataset(dc, eval_data, target, cat_features, "eval_data")
    findings: list[Finding] = []
    reports: list[str] = []
    for suite in suites:
        if isinstance(suite, str):
            if suite not in SUITES:
                raise ValueError(f"unknown deepchecks suite {suite!r}; expected one of {SUITES}")
            if (suite == "train_test_validation" and test is None) or (
                suite == "model_evaluation" and model is None
            ):
                continue
            suite = getattr(dc_suites, suite)()
        kwargs: dict[str, Any] = {"train_dataset": train, "with_display": report_dir is not None}
        if test is not None:
            kwargs["test_dataset"] = test
        if model is not None:
            kwargs["model"] = model
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = suite.run(**kwargs)
        findings.extend(findings_from(result))
        if report_dir is not None:
            path = (
                Path(report_dir) / f"deepchecks_{_slug(str(getattr(suite, 'name', 'suite')))}.html"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)  # deepchecks would write "name (1).html" beside it
            with contextlib.redirect_stdout(io.StringIO()):
                result.save_as_html(str(path), as_widget=False)
            reports.append(str(path))
    return DeepchecksOutcome(tuple(findings), to_evidence(findings), tuple(reports))


def _slug(text: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())
