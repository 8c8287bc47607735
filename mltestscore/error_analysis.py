"""Error analysis: where a model's error comes from, and what to do next.

Full Stack Deep Learning's troubleshooting playbook (Tobin, 2019) splits the test error::

    test error = irreducible + bias + variance + distribution shift + validation overfitting

    bias                    = train error - irreducible estimate (human-level error, default 0)
    variance                = train-distribution val error - train error
    distribution shift      = test-distribution val error - train-distribution val error
    validation overfitting  = test error - test-distribution val error

``val`` is the validation set drawn like the training data; ``train_val`` overrides it for
that role and ``test_val`` (validation drawn like the test data) enables the shift term.
Without ``test_val``, validation overfitting is ``test - val``. Each term present is computed;
the largest positive one gets the playbook's next step.

A team builds an :class:`ErrorAnalysis` from its own numbers (helpers below count confusion
pairs and pick worst examples) and returns it from its ``ml_error_analysis`` fixture; the
report stores :func:`as_report_section` of it (structure: ``docs/reports.md``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mltestscore.reports.analysis_parts import (
    Confusion,
    Example,
    LossCurve,
    SliceMetric,
    SliceTable,
    as_list,
    as_mapping,
    build,
    finite,
    set_fields,
    text,
)
from mltestscore.reports.png import image_uri

__all__ = [
    "PLAYBOOK",
    "SPLITS",
    "Confusion",
    "ErrorAnalysis",
    "Example",
    "LossCurve",
    "SliceMetric",
    "SliceTable",
    "Term",
    "as_report_section",
    "confusion_pairs",
    "decompose",
    "worst_examples",
]

SPLITS: tuple[str, ...] = ("train", "val", "test", "train_val", "test_val")
MAX_CONFUSIONS = 30
MAX_EXAMPLES = 24

# term -> (label, formula, the playbook's next step when it is the largest term)
PLAYBOOK: dict[str, tuple[str, str, str]] = {
    "bias": (
        "Bias (underfitting)",
        "train - irreducible",
        "Underfitting: make the model bigger, train longer, reduce regularization, tune the "
        "learning rate and optimizer, or try a stronger architecture; look at training-set "
        "errors first.",
    ),
    "variance": (
        "Variance (overfitting)",
        "val - train",
        "Overfitting: add more training data, add data augmentation, add regularization "
        "(dropout, weight decay, normalization) or stop early; then tune hyperparameters or "
        "shrink the model.",
    ),
    "distribution_shift": (
        "Distribution shift",
        "test_val - val",
        "The test distribution differs from training: analyse the test-distribution "
        "validation errors, collect training data like the test distribution, synthesize data "
        "that covers the gap, or apply domain adaptation.",
    ),
    "val_overfitting": (
        "Validation overfitting",
        "test - val",
        "The validation set has been overfit by repeated tuning: collect a fresh validation set "
        "and tune against it.",
    ),
}
_DERIVED = ("decomposition", "largest", "next_step")
_AT_IRREDUCIBLE = (
    "No term is positive: the errors are at the irreducible estimate. Check that estimate "
    "(human-level error) and look at the worst slices and examples."
)


@dataclass(frozen=True)
class Term:
    """One term of the decomposition."""

    name: str
    value: float
    formula: str

    @property
    def label(self) -> str:
        return PLAYBOOK[self.name][0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.name,
            "label": self.label,
            "value": self.value,
            "formula": self.formula,
        }


def decompose(errors: Mapping[str, float], irreducible: float = 0.0) -> tuple[Term, ...]:
    """The terms that ``errors`` (split -> error, lower is better) allow, in playbook order."""
    train, val, test = errors.get("train"), errors.get("val"), errors.get("test")
    train_val = errors.get("train_val", val)
    test_val = errors.get("test_val")
    tv_name = "train_val" if "train_val" in errors else "val"
    terms: list[Term] = []
    if train is not None:
        terms.append(Term("bias", train - irreducible, "train - irreducible"))
    if train is not None and train_val is not None:
        terms.append(Term("variance", train_val - train, f"{tv_name} - train"))
    if test_val is not None and train_val is not None:
        terms.append(Term("distribution_shift", test_val - train_val, f"test_val - {tv_name}"))
    reference = test_val if test_val is not None else val
    if test is not None and reference is not None:
        ref_name = "test_val" if test_val is not None else "val"
        terms.append(Term("val_overfitting", test - reference, f"test - {ref_name}"))
    return tuple(terms)


@dataclass(frozen=True)
class ErrorAnalysis:
    """A team's error analysis: the numbers behind the report's error-analysis part.

    ``errors`` maps splits (``train``, ``val``, ``test``, ``train_val``, ``test_val``) to an
    error measure named ``metric`` (lower is better, e.g. "character error rate");
    ``irreducible`` is the estimate of unavoidable error (human-level), default 0.
    """

    errors: Mapping[str, float] = field(default_factory=dict)
    irreducible: float = 0.0
    metric: str = "error"
    slices: SliceTable | None = None
    confusions: Sequence[Confusion] = ()
    loss_curve: LossCurve | None = None
    worst_examples: Sequence[Example] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        errors = as_mapping(self.errors, "errors")
        unknown = sorted(set(errors) - set(SPLITS))
        if unknown:
            raise ValueError(
                f"errors: unknown split(s) {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(SPLITS)}"
            )

        def one(value: Any, kind: type[Any], where: str) -> Any:
            return value if value is None or isinstance(value, kind) else build(kind, value, where)

        set_fields(
            self,
            errors={s: finite(errors[s], f"errors.{s}") for s in SPLITS if s in errors},
            irreducible=finite(self.irreducible, "irreducible"),
            metric=text(self.metric, "metric", 200) or "error",
            notes=text(self.notes, "notes", 2000),
            slices=one(self.slices, SliceTable, "slices"),
            loss_curve=one(self.loss_curve, LossCurve, "loss_curve"),
            confusions=tuple(
                one(c, Confusion, f"confusions[{i}]")
                for i, c in enumerate(as_list(self.confusions, "confusions"))
            ),
            worst_examples=tuple(
                one(e, Example, f"worst_examples[{i}]")
                for i, e in enumerate(as_list(self.worst_examples, "worst_examples"))
            ),
        )

    def decomposition(self) -> tuple[Term, ...]:
        return decompose(self.errors, self.irreducible)

    def largest(self) -> Term | None:
        """The largest positive term, or None."""
        terms = [t for t in self.decomposition() if t.value > 0]
        return max(terms, key=lambda t: t.value) if terms else None

    def next_step(self) -> str:
        if not self.decomposition():
            return ""
        largest = self.largest()
        return PLAYBOOK[largest.name][2] if largest else _AT_IRREDUCIBLE

    def to_dict(self) -> dict[str, Any]:
        largest = self.largest()
        confusions = sorted(self.confusions, key=lambda c: (-c.count, c.truth, c.predicted))
        examples = sorted(self.worst_examples, key=lambda e: -e.error)
        return {
            "metric": self.metric,
            "errors": dict(self.errors),
            "irreducible": self.irreducible,
            "decomposition": [t.to_dict() for t in self.decomposition()],
            "largest": largest.name if largest else None,
            "next_step": self.next_step(),
            "slices": self.slices.to_dict() if self.slices else None,
            "confusions": [dataclasses.asdict(c) for c in confusions[:MAX_CONFUSIONS]],
            "loss_curve": self.loss_curve.to_dict() if self.loss_curve else None,
            "worst_examples": [dataclasses.asdict(e) for e in examples[:MAX_EXAMPLES]],
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorAnalysis:
        """Parse a mapping in the report's structure; derived keys are recomputed."""
        data = {k: v for k, v in as_mapping(data, "error analysis").items() if k not in _DERIVED}
        if isinstance(data.get("slices"), Mapping):
            data["slices"] = {k: v for k, v in data["slices"].items() if k != "omitted"}
        result: ErrorAnalysis = build(cls, data, "")
        return result


def confusion_pairs(
    truths: Sequence[object],
    predictions: Sequence[object],
    *,
    characters: bool = False,
    top: int = 20,
) -> tuple[Confusion, ...]:
    """The most frequent (truth, predicted) mistakes.

    With ``characters=True`` each truth/prediction is a string (a recognized line), aligned
    character by character at minimum edit distance: substitutions count as
    (truth char, predicted char), missed characters as (char, ""), extra ones as ("", char).
    """
    if len(truths) != len(predictions):
        raise ValueError(
            f"confusion_pairs: {len(truths)} truths but {len(predictions)} predictions"
        )
    counts: Counter[tuple[str, str]] = Counter()
    for truth, predicted in zip(truths, predictions, strict=True):
        if not characters:
            if truth != predicted:
                counts[(str(truth), str(predicted))] += 1
            continue
        counts.update(pair for pair in _align(str(truth), str(predicted)) if pair[0] != pair[1])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(Confusion(t, p, n) for (t, p), n in ranked)


def _align(truth: str, predicted: str) -> list[tuple[str, str]]:
    """A minimum-edit (Levenshtein) alignment as (truth char, predicted char) pairs, "" for a
    gap; ties prefer substitutions, as a character error rate counts them."""
    n, m = len(truth), len(predicted)
    cost = [[i + j if i * j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + (truth[i - 1] != predicted[j - 1]),
                cost[i - 1][j] + 1,
                cost[i][j - 1] + 1,
            )
    pairs: list[tuple[str, str]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (truth[i - 1] != predicted[j - 1]):
            pairs.append((truth[i - 1], predicted[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((truth[i - 1], ""))
            i -= 1
        else:
            pairs.append(("", predicted[j - 1]))
            j -= 1
    return pairs[::-1]


def worst_examples(
    ids: Sequence[object],
    truths: Sequence[object],
    predictions: Sequence[object],
    errors: Sequence[float],
    *,
    images: Sequence[object] | None = None,
    top: int = 8,
) -> tuple[Example, ...]:
    """The ``top`` examples with the largest error, images turned into small inline PNGs.

    An image is a 2-D grid of grey values (list, numpy array or tensor; a single channel
    axis is dropped) or a ``data:image/png;base64,`` string.
    """
    n = len(ids)
    lengths = [len(truths), len(predictions), len(errors)] + ([len(images)] if images else [])
    if any(length != n for length in lengths):
        raise ValueError(
            f"worst_examples: ids, truths, predictions, errors (and images) must "
            f"have one entry per example, got lengths {[n, *lengths]}"
        )
    values = [finite(e, f"errors[{i}]") for i, e in enumerate(errors)]
    order = sorted(range(n), key=lambda i: (-values[i], i))[: min(top, MAX_EXAMPLES)]
    return tuple(
        Example(
            str(ids[i]),
            str(truths[i]),
            str(predictions[i]),
            values[i],
            image_uri(images[i], f"images[{i}]") if images is not None else None,
        )
        for i in order
    )


def as_report_section(value: object) -> dict[str, Any]:
    """The JSON-able ``error_analysis`` part of a report, validated against the schema.

    ``value`` is an :class:`ErrorAnalysis` or a mapping in the report's structure (for
    example one read back from a report); anything else raises ``TypeError``.
    """
    if isinstance(value, ErrorAnalysis):
        section = value.to_dict()
    elif isinstance(value, Mapping):
        try:
            section = ErrorAnalysis.from_dict(value).to_dict()
        except ValueError as exc:
            raise ValueError(f"error analysis: {exc}") from None
    else:
        raise TypeError(
            "error analysis: expected an mltestscore.error_analysis.ErrorAnalysis "
            f"or a mapping, got {type(value).__name__}"
        )
    _validate(section)
    return section


def _validate(section: Mapping[str, Any]) -> None:
    import jsonschema

    from mltestscore.report import json_schema

    schema = json_schema()["properties"]["error_analysis"]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(section))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise ValueError(f"error analysis: invalid at {where}: {errors[0].message}")
