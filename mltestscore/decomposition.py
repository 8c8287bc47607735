"""The FSDL playbook's error decomposition, with bootstrap intervals per term.

Used through :mod:`mltestscore.error_analysis`, which re-exports :data:`PLAYBOOK`,
:class:`Term` and :func:`decompose`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mltestscore.intervals import CONFIDENCE, RESAMPLES, Sample, percentile_interval

SPLITS: tuple[str, ...] = ("train", "val", "test", "train_val", "test_val")

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


@dataclass(frozen=True)
class Term:
    """One term of the decomposition, with its bootstrap interval when known.

    ``splits`` are the splits it is a difference of; ``n`` their example counts.
    """

    name: str
    value: float
    formula: str
    interval: tuple[float, float] | None = None
    n: Mapping[str, int] = field(default_factory=dict)
    confidence: float = CONFIDENCE

    @property
    def label(self) -> str:
        return PLAYBOOK[self.name][0]

    @property
    def within_noise(self) -> bool | None:
        """True when the interval holds zero; None when there is no interval."""
        if self.interval is None:
            return None
        return self.interval[0] <= 0.0 <= self.interval[1]

    @property
    def beyond_noise(self) -> bool:
        """Positive and (when an interval is known) its interval above zero."""
        return self.value > 0 and (self.interval is None or self.interval[0] > 0)

    def sizes(self) -> str:
        return ", ".join(f"{split} {count:,}" for split, count in self.n.items()) or "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.name,
            "label": self.label,
            "value": self.value,
            "formula": self.formula,
            "interval": None if self.interval is None else list(self.interval),
            "confidence": self.confidence,
            "n": dict(self.n),
            "within_noise": self.within_noise,
        }


def _term_splits(errors: Mapping[str, float]) -> list[tuple[str, str, str]]:
    """(term, minuend split, subtrahend split or "" for the irreducible estimate)."""
    tv = "train_val" if "train_val" in errors else "val"
    out: list[tuple[str, str, str]] = []
    if "train" in errors:
        out.append(("bias", "train", ""))
        if tv in errors:
            out.append(("variance", tv, "train"))
    if "test_val" in errors and tv in errors:
        out.append(("distribution_shift", "test_val", tv))
    ref = "test_val" if "test_val" in errors else "val"
    if "test" in errors and ref in errors:
        out.append(("val_overfitting", "test", ref))
    return out


def decompose(
    errors: Mapping[str, float],
    irreducible: float = 0.0,
    *,
    intervals: Mapping[str, Sequence[float]] | None = None,
    sizes: Mapping[str, int] | None = None,
    confidence: float = CONFIDENCE,
) -> tuple[Term, ...]:
    """The terms that ``errors`` (split -> error, lower is better) allow, in playbook order;
    ``intervals`` (term -> (low, high)) and ``sizes`` (split -> examples) are attached."""
    intervals, sizes = intervals or {}, sizes or {}
    terms: list[Term] = []
    for name, a, b in _term_splits(errors):
        value = errors[a] - (errors[b] if b else irreducible)
        formula = f"{a} - {b or 'irreducible'}"
        found = intervals.get(name)
        interval = None if found is None else (float(found[0]), float(found[1]))
        counts = {s: int(sizes[s]) for s in (a, b) if s and s in sizes}
        terms.append(Term(name, value, formula, interval, counts, confidence))
    return tuple(terms)


def term_intervals(
    samples: Mapping[str, Sample],
    errors: Mapping[str, float],
    irreducible: float,
    confidence: float,
) -> dict[str, tuple[float, float]]:
    """Bootstrap each split on its own (independent seeds); a term's replicates are the
    difference of its splits' replicates."""
    replicates = {
        split: sample.replicates(RESAMPLES, seed=SPLITS.index(split))
        for split, sample in samples.items()
    }
    out: dict[str, tuple[float, float]] = {}
    for name, a, b in _term_splits(errors):
        if a not in replicates or (b and b not in replicates):
            continue
        diff = replicates[a] - (replicates[b] if b else irreducible)
        found = percentile_interval(diff, confidence)
        if found is not None:
            out[name] = found
    return out
