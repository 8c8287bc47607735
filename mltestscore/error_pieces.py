"""The pieces of an error analysis a team counts from its per-example outputs.

Each helper turns per-example truths, predictions and errors into one part of an
:class:`~mltestscore.error_analysis.ErrorAnalysis`: the most frequent confusions
(:func:`confusion_pairs`), a metric per slice with its bootstrap interval
(:func:`slice_metric`, :func:`slice_table`) and the worst examples with small inline
images (:func:`worst_examples`). :mod:`mltestscore.error_analysis` assembles them,
decomposes the error and re-exports these names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from mltestscore.alignment import edit_pairs
from mltestscore.analysis_fields import finite
from mltestscore.analysis_types import Confusion, Example, SliceMetric, SliceTable
from mltestscore.intervals import CONFIDENCE, RESAMPLES, Sample, percentile_interval
from mltestscore.png import image_uri

__all__ = [
    "MAX_EXAMPLES",
    "confusion_pairs",
    "slice_metric",
    "slice_table",
    "worst_examples",
]

MAX_EXAMPLES = 24  # worst examples kept in a report


def confusion_pairs(
    truths: Sequence[object],
    predictions: Sequence[object],
    *,
    characters: bool = False,
    top: int = 20,
) -> tuple[Confusion, ...]:
    """The most frequent (truth, predicted) mistakes.

    With ``characters=True`` each truth/prediction is a string (a recognized line), aligned
    character by character at minimum edit distance (:func:`edit_pairs`: rapidfuzz when
    installed): substitutions count as (truth char, predicted char), missed characters as
    (char, ""), extra ones as ("", char).
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
        counts.update(edit_pairs(str(truth), str(predicted)))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(Confusion(t, p, n) for (t, p), n in ranked)


def slice_metric(
    name: str,
    values: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> SliceMetric:
    """One slice's metric ``sum(values) / sum(weights)`` with its bootstrap interval (e.g.
    a digit's misses and occurrences per line: the share of that digit misread)."""
    sample = Sample.of(values if weights is None else (values, weights), f"slice {name!r}")
    interval = percentile_interval(sample.replicates(RESAMPLES, seed=seed), confidence)
    return SliceMetric(name, sample.value, sample.n, interval)


def slice_table(
    slice_of: Sequence[object] | Mapping[str, Sequence[bool] | Sequence[int]],
    values: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    metric: str = "error",
    higher_is_better: bool = False,
    confidence: float = CONFIDENCE,
    min_count: int = 1,
) -> SliceTable:
    """A :class:`SliceTable` from per-example values, with a bootstrap interval per slice.

    ``slice_of`` is either one slice name per example, or a mapping slice name -> boolean
    mask (or row indices) over the examples, for slices that overlap. The metric of a set
    of examples is ``sum(values) / sum(weights)`` (weights default to 1: a mean; for a
    character error rate pass edits and characters per line, :func:`edit_counts`).
    ``overall`` is the metric on all examples. Slices with fewer than ``min_count``
    examples are left out.
    """
    everything = Sample.of(values if weights is None else (values, weights), "values")
    groups: dict[str, list[int]] = {}
    if isinstance(slice_of, Mapping):
        for name, selection in slice_of.items():
            chosen = np.asarray(selection)
            if chosen.dtype == bool:
                if chosen.shape != (everything.n,):
                    raise ValueError(
                        f"slice_table: mask {name!r} has shape {chosen.shape}, expected "
                        f"({everything.n},)"
                    )
                chosen = np.flatnonzero(chosen)
            groups[str(name)] = [int(i) for i in chosen]
    else:
        if len(slice_of) != everything.n:
            raise ValueError(f"slice_table: {len(slice_of)} slice names for {everything.n} values")
        for i, label in enumerate(slice_of):
            groups.setdefault(str(label), []).append(i)
    rows = []
    for seed, (name, index) in enumerate(sorted(groups.items())):
        if len(index) < max(1, min_count) or everything.weights[index].sum() <= 0:
            continue
        part = Sample(everything.errors[index], everything.weights[index])
        interval = percentile_interval(part.replicates(RESAMPLES, seed=seed), confidence)
        rows.append(SliceMetric(name, part.value, part.n, interval))
    return SliceTable(metric, rows, higher_is_better, everything.value)


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
