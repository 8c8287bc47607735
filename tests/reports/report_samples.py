"""A realistic synthetic run for the report tests: mixed evidence, manual entries, config
problems, a gate, and an error analysis of a small MLP on scikit-learn's ``load_digits``.

Strings planted with ``<script>`` check that every renderer shows them as text.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.error_analysis import (
    ErrorAnalysis,
    LossCurve,
    SliceTable,
    confusion_pairs,
    worst_examples,
)
from mltestscore.gate import decide
from mltestscore.manual import ConfigProblem, ManualEvidence
from mltestscore.report import build_report
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score

XSS = "<script>window.__pwned=1</script>"
TODAY = dt.date(2026, 11, 20)
CREATED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _ev(
    test: str,
    status: Status,
    message: str,
    evidence: dict[str, Any] | None = None,
    next_step: str = "",
    source: str = "",
) -> AutomatedEvidence:
    return AutomatedEvidence(
        source or f"builtin:{test}", status, message, evidence or {}, next_step, 0.042
    )


def digits_error_analysis() -> ErrorAnalysis:
    """Train a small MLP on load_digits; decompose its errors (the test split is noisier:
    a distribution shift), per-class slices, confusions, loss curve, worst images."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    digits = load_digits()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(digits.target))
    x, y, images = digits.data[order], digits.target[order], digits.images[order]
    train, val, test_val, test = (
        slice(0, 1000),
        slice(1000, 1300),
        slice(1300, 1550),
        slice(1550, None),
    )
    noisy = x + rng.normal(0, 3.0, x.shape)  # the "test distribution": noisier scans
    model = MLPClassifier(
        hidden_layer_sizes=(24,), max_iter=40, random_state=0, learning_rate_init=0.01, alpha=1e-4
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x[train], y[train])

    def error(features: Any, labels: Any) -> float:
        return float(np.mean(model.predict(features) != labels))

    predictions = model.predict(noisy[test])
    proba = model.predict_proba(noisy[test])
    truth = y[test]
    per_example = 1.0 - proba[np.arange(len(truth)), truth]
    slices = {
        f"digit {d}": (float(np.mean(predictions[truth == d] == d)), int(np.sum(truth == d)))
        for d in range(10)
    }
    slices[f"{XSS} slice"] = (0.5, 3)
    return ErrorAnalysis(
        errors={
            "train": error(x[train], y[train]),
            "val": error(x[val], y[val]),
            "test_val": error(noisy[test_val], y[test_val]),
            "test": float(np.mean(predictions != truth)),
        },
        irreducible=0.005,
        metric="error rate",
        slices=SliceTable.from_mapping(
            slices, metric="accuracy", overall=float(np.mean(predictions == truth))
        ),
        confusions=confusion_pairs([str(t) for t in truth], [str(p) for p in predictions]),
        loss_curve=LossCurve.from_losses(list(model.loss_curve_)),
        worst_examples=worst_examples(
            [f"test-{i}" for i in range(len(truth))],
            [str(t) for t in truth],
            [str(p) for p in predictions],
            list(per_example),
            images=list(images[test]),
            top=8,
        ),
        notes="MLP on load_digits; the test distribution adds Gaussian noise (sigma 3 of 16).",
    )


def automated_evidence() -> dict[str, list[AutomatedEvidence]]:
    losses = [2.31, 1.9, 1.2, 0.71, 0.33, 0.12, 0.05, 0.02, 0.011, 0.008, 0.006, 0.005]
    return {
        "data.1": [
            _ev(
                "data.1",
                Status.PASS,
                "training data validates against the schema (12 columns, 4,812 rows)",
                {
                    "columns": [
                        {"name": "age", "dtype": "int64", "nullable": False},
                        {"name": XSS, "dtype": "float64", "nullable": True},
                    ]
                },
            )
        ],
        "data.2": [
            _ev(
                "data.2",
                Status.FAIL,
                f"feature {XSS} has permutation importance -0.002 (noise band 0.004)",
                {
                    "importances": [
                        {"feature": "age", "importance": 0.12},
                        {"feature": XSS, "importance": -0.002},
                    ]
                },
                "Remove the feature or show why it helps.",
            )
        ],
        "data.5": [_ev("data.5", Status.PASS, "no PII found in 4,812 rows")],
        "data.7": [
            _ev(
                "data.7",
                Status.FAIL,
                "feature code covered 61% < 80%",
                {
                    "files": [
                        {"path": f"src/features/{XSS}.py", "covered": 0.41},
                        {"path": "src/features/text.py", "covered": 0.9},
                    ]
                },
                "Add tests for src/features.",
            )
        ],
        "model.5": [_ev("model.5", Status.PASS, "beats the majority baseline by 0.61 accuracy")],
        "model.6": [
            _ev(
                "model.6",
                Status.FAIL,
                "slice 'digit 8' accuracy 0.81 < 0.9",
                {
                    "slices": [
                        {"slice": "digit 8", "accuracy": 0.81},
                        {"slice": XSS, "accuracy": 0.95},
                    ]
                },
                "Collect more examples of digit 8.",
            )
        ],
        "model.7": [
            _ev("model.7", Status.NOT_AUTOMATED, "no groups", {"missing_fixtures": ["ml_groups"]})
        ],
        "infra.1": [_ev("infra.1", Status.PASS, "two trainings with seed 0 match exactly")],
        "infra.2": [
            _ev(
                "infra.2",
                Status.PASS,
                "smoke suite: 9 of 9 checks pass",
                {
                    "findings": [
                        {
                            "name": "overfit_one_batch",
                            "status": "pass",
                            "message": "loss fell from 2.31 to 0.005 in 12 steps",
                            "metrics": {
                                "losses": losses,
                                "diagnosis": "converged",
                                "curve": {
                                    "kind": "converged",
                                    "message": "the loss converged: 0.2% of "
                                    "the starting loss is left",
                                },
                            },
                        },
                        {
                            "name": "initial_loss",
                            "status": "pass",
                            "message": "initial loss 2.31 ~ ln(10) = 2.30",
                            "metrics": {"initial": 2.31, "expected": 2.3026},
                        },
                    ]
                },
            ),
            _ev(
                "infra.2",
                Status.PASS,
                "test_model_shapes passed",
                source="test:tests/test_model.py::test_model_shapes",
            ),
        ],
        "infra.3": [
            _ev(
                "infra.3",
                Status.ERROR,
                "check crashed: RuntimeError: export failed",
                {
                    "traceback": "Traceback (most recent call last):\n  File "
                    '"pipeline.py", line 3, in export\nRuntimeError: '
                    f"export failed {XSS}"
                },
                "Fix the crash in the pipeline check.",
            )
        ],
        "infra.6": [_ev("infra.6", Status.PASS, "canary outputs match within 1e-6")],
        "monitor.1": [
            _ev(
                "monitor.1",
                Status.WARN,
                "torch changed 2.12.0 -> 2.13.0",
                {"changed": {"torch": ["2.12.0", "2.13.0"]}},
                "Review the changelog and update the baseline.",
            )
        ],
        "monitor.5": [_ev("monitor.5", Status.PASS, "no NaN/Inf in weights or outputs")],
    }


def manual_evidence() -> dict[str, ManualEvidence]:
    def m(test: str, document: str, reviewed: dt.date, days: int = 365) -> ManualEvidence:
        return ManualEvidence(test, document, "Ada Lovelace", reviewed, days, "")

    return {
        "data.3": m("data.3", "docs/feature-costs.md", dt.date(2026, 6, 1)),
        "model.1": m("model.1", "docs/model-review.md", dt.date(2026, 9, 1)),
        "model.2": m("model.2", f"docs/{XSS}.md", dt.date(2026, 10, 1)),
        "model.3": m("model.3", "https://wiki.example.com/sweeps", dt.date(2026, 2, 1)),
        "infra.4": m("infra.4", "docs/serving-validation.md", dt.date(2026, 1, 1)),
        "monitor.6": m("monitor.6", "docs/perf.md", dt.date(2025, 1, 1), 180),  # expired
    }


def make_report(*, error_analysis: bool = True, previous: bool = False) -> dict[str, Any]:
    """The synthetic report; ``previous=True`` gives an older run for diffs."""
    evidence = automated_evidence()
    manual = manual_evidence()
    if previous:
        evidence["data.2"] = [_ev("data.2", Status.PASS, "all features beneficial")]
        evidence.pop("monitor.5")
        evidence["infra.3"] = [_ev("infra.3", Status.PASS, "pipeline ran end to end")]
        manual.pop("model.1")
    card = score(evidence, manual, today=TODAY)
    gate = decide(card.final, card.sections, fail_under=2.5, section_min={"monitor": 1.5})
    problems = [
        ConfigProblem("pyproject.toml", f'tool.mltestscore.manual."{XSS}"', "unknown rubric id")
    ]
    section = None
    if error_analysis:
        from mltestscore.error_analysis import as_report_section

        section = as_report_section(digits_error_analysis())
    return build_report(
        card,
        problems=problems,
        gate=gate,
        error_analysis=section,
        project="digits-demo",
        duration_s=12.5,
        created=CREATED - dt.timedelta(days=7) if previous else CREATED,
    )


@dataclass(frozen=True)
class HtmlUnderTest:
    path: Path
    report: dict[str, Any]  # the document the page was rendered from
    name: str  # names the screenshot: reports/screenshots/<name>.png
