"""Error analysis: where a model's error comes from, and what to do next.

Full Stack Deep Learning's troubleshooting playbook (Tobin, 2019) splits the test error::

    test error = irreducible + bias + variance + distribution shift + validation overfitting

    bias                    = train error - irreducible estimate (human-level error, default 0)
    variance                = train-distribution val error - train error
    distribution shift      = test-distribution val error - train-distribution val error
    validation overfitting  = test error - test-distribution val error

``val`` is the validation set drawn like the training data; ``train_val`` overrides it for
that role and ``test_val`` (validation drawn like the test data) enables the shift term.
Without ``test_val``, validation overfitting is ``test - val``. Each term present is computed.

Noise: a difference of two error rates measured on a few hundred examples is mostly
sampling noise. Give the per-example errors (``samples={"val": (edits, chars), ...}``, see
:func:`edit_counts`) and every term gets a bootstrap confidence interval (95 %, 1,000
resamples, seeded). The playbook's next step goes to the largest term whose interval
excludes zero; when no positive term clears its noise, the next step says "within noise"
with the sample sizes instead of sending a team to collect a fresh validation set.

A team builds an :class:`ErrorAnalysis` from its own numbers (the helpers of
:mod:`mltestscore.error_pieces`, re-exported here, count confusion pairs, measure slices and
pick worst examples) and returns it from its ``ml_error_analysis`` fixture; the report
stores :func:`as_report_section` of it (structure: ``docs/reports.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mltestscore.alignment import edit_counts, edit_pairs
from mltestscore.analysis_fields import (
    as_count,
    as_list,
    as_mapping,
    build,
    finite,
    interval,
    set_fields,
    text,
)
from mltestscore.analysis_types import Confusion, Example, LossCurve, SliceMetric, SliceTable
from mltestscore.decomposition import (
    PLAYBOOK,
    SPLITS,
    Term,
    decompose,
    term_intervals,
)
from mltestscore.error_pieces import (
    MAX_EXAMPLES,
    confusion_pairs,
    slice_metric,
    slice_table,
    worst_examples,
)
from mltestscore.intervals import CONFIDENCE, Sample
from mltestscore.loss_curve import fmt as number_text

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
    "edit_counts",
    "edit_pairs",
    "slice_metric",
    "slice_table",
    "worst_examples",
]

MAX_CONFUSIONS = 30

_DERIVED = ("decomposition", "largest", "next_step")
_AT_IRREDUCIBLE = (
    "No term is positive: the errors are at the irreducible estimate. Check that estimate "
    "(human-level error) and look at the worst slices and examples."
)


@dataclass(frozen=True)
class ErrorAnalysis:
    """A team's error analysis: the numbers behind the report's error-analysis part.

    ``errors`` maps splits (``train``, ``val``, ``test``, ``train_val``, ``test_val``) to an
    error measure named ``metric`` (lower is better, e.g. "character error rate");
    ``irreducible`` is the estimate of unavoidable error (human-level), default 0.

    ``samples`` maps splits to their per-example errors: a list (the error is their mean)
    or an ``(errors, weights)`` pair (the error is ``sum(errors) / sum(weights)``, e.g.
    edits and characters per line from :func:`edit_counts`). A split's error defaults to
    its samples' value. From them every term gets a bootstrap interval (``intervals``,
    term -> (low, high), at ``confidence``) and ``sizes`` (split -> examples) are filled in;
    both can also be given directly, and are what a report keeps (samples are not stored).
    """

    errors: Mapping[str, float] = field(default_factory=dict)
    irreducible: float = 0.0
    metric: str = "error"
    slices: SliceTable | None = None
    confusions: Sequence[Confusion] = ()
    loss_curve: LossCurve | None = None
    worst_examples: Sequence[Example] = ()
    notes: str = ""
    samples: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    intervals: Mapping[str, Sequence[float]] = field(default_factory=dict)
    sizes: Mapping[str, int] = field(default_factory=dict)
    confidence: float = CONFIDENCE

    def __post_init__(self) -> None:
        errors = dict(as_mapping(self.errors, "errors"))
        samples = {
            split: Sample.of(value, f"samples.{split}")
            for split, value in as_mapping(self.samples or {}, "samples").items()
        }
        unknown = sorted((set(errors) | set(samples)) - set(SPLITS))
        if unknown:
            raise ValueError(
                f"errors: unknown split(s) {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(SPLITS)}"
            )
        for split, sample in samples.items():
            if split not in errors:
                errors[split] = sample.value
            elif abs(finite(errors[split], f"errors.{split}") - sample.value) > 1e-6 * max(
                1.0, abs(sample.value)
            ):
                raise ValueError(
                    f"errors.{split} is {errors[split]!r} but its samples give "
                    f"{sample.value!r}: pass one or make them agree"
                )
        confidence = finite(self.confidence, "confidence")
        if not 0 < confidence < 1:
            raise ValueError(f"confidence: expected a number in (0, 1), got {confidence!r}")

        def one(value: Any, kind: type[Any], where: str) -> Any:
            return value if value is None or isinstance(value, kind) else build(kind, value, where)

        checked = {s: finite(errors[s], f"errors.{s}") for s in SPLITS if s in errors}
        irreducible = finite(self.irreducible, "irreducible")
        intervals = {
            name: interval(value, f"intervals.{name}")
            for name, value in as_mapping(self.intervals or {}, "intervals").items()
        }
        unknown_terms = sorted(set(intervals) - set(PLAYBOOK))
        if unknown_terms:
            raise ValueError(f"intervals: unknown term(s) {', '.join(unknown_terms)}")
        computed = term_intervals(samples, checked, irreducible, confidence)
        sizes = {
            str(k): as_count(v, f"sizes.{k}", 0)
            for k, v in as_mapping(self.sizes or {}, "sizes").items()
        }
        set_fields(
            self,
            errors=checked,
            irreducible=irreducible,
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
            samples=samples or None,
            intervals=computed | intervals,
            sizes={split: sample.n for split, sample in samples.items()} | sizes,
            confidence=confidence,
        )

    def decomposition(self) -> tuple[Term, ...]:
        return decompose(
            self.errors,
            self.irreducible,
            intervals=self.intervals,
            sizes=self.sizes,
            confidence=self.confidence,
        )

    def largest(self) -> Term | None:
        """The largest positive term beyond its noise (interval above zero), or None."""
        terms = [t for t in self.decomposition() if t.beyond_noise]
        return max(terms, key=lambda t: t.value) if terms else None

    def next_step(self) -> str:
        terms = self.decomposition()
        if not terms:
            return ""
        largest = self.largest()
        if largest is not None:
            step = PLAYBOOK[largest.name][2]
            if largest.interval is None:
                step += (
                    " (Noise not estimated: give per-example errors as samples= to tell a "
                    "real difference from sampling noise.)"
                )
            return step
        noisy = [t for t in terms if t.value > 0 and t.within_noise]
        if not noisy:
            return _AT_IRREDUCIBLE
        pct = f"{100 * self.confidence:.0f} %"
        listed = "; ".join(
            f"{t.label.lower()} {number_text(t.value)} "
            f"({pct} interval {number_text(t.interval[0])} to {number_text(t.interval[1])}, "
            f"n = {t.sizes()})"
            for t in noisy
            if t.interval is not None
        )
        return (
            f"Within noise: no positive term is beyond its {pct} interval — {listed}. The "
            "differences between splits are explained by sampling noise; do not act on them. "
            "Measure on more examples to resolve smaller differences, and look at the worst "
            "slices and examples."
        )

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
        """Parse a mapping in the report's structure; derived keys are recomputed (the terms'
        intervals and sample sizes are read back from ``decomposition``)."""
        data = dict(as_mapping(data, "error analysis"))
        terms = as_list(data.get("decomposition"), "decomposition")
        intervals: dict[str, Any] = dict(data.pop("intervals", None) or {})
        sizes: dict[str, Any] = dict(data.pop("sizes", None) or {})
        for i, term in enumerate(terms):
            term = as_mapping(term, f"decomposition[{i}]")
            if term.get("interval") is not None:
                intervals.setdefault(str(term.get("term")), term["interval"])
            sizes |= dict(as_mapping(term.get("n") or {}, f"decomposition[{i}].n"))
            if "confidence" in term and "confidence" not in data:
                data["confidence"] = term["confidence"]
        data = {k: v for k, v in data.items() if k not in _DERIVED}
        data |= {"intervals": intervals, "sizes": sizes}
        if isinstance(data.get("slices"), Mapping):
            data["slices"] = {k: v for k, v in data["slices"].items() if k != "omitted"}
        result: ErrorAnalysis = build(cls, data, "")
        return result


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
