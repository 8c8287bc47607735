"""Character alignment of a recognized line with its truth: the edits behind an error rate.

rapidfuzz (C++, in the ``torch`` extra) does it when installed: ``Levenshtein.editops`` in
well under a millisecond on a 2,000-character line. Without it a pure-Python minimum-edit
alignment gives the same edit count (ties between equally short alignments may be broken
differently, so individual pairs can differ); it is quadratic, fine for short lines only.
The reference recognizer counts its confusions with :func:`edit_pairs` too, so its counts
and the error analysis' agree.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["edit_counts", "edit_pairs"]


def edit_pairs(truth: str, predicted: str) -> list[tuple[str, str]]:
    """The edits turning ``truth`` into ``predicted``, in order, as (truth char, predicted
    char) pairs: a substitution ``(a, b)``, a missed character ``(a, "")``, an extra one
    ``("", b)``. Matched characters are left out."""
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        return [pair for pair in _align(truth, predicted) if pair[0] != pair[1]]
    pairs: list[tuple[str, str]] = []
    for op in Levenshtein.editops(truth, predicted):
        if op.tag == "replace":
            pairs.append((truth[op.src_pos], predicted[op.dest_pos]))
        elif op.tag == "delete":
            pairs.append((truth[op.src_pos], ""))
        else:  # insert
            pairs.append(("", predicted[op.dest_pos]))
    return pairs


def edit_counts(truths: Sequence[str], predictions: Sequence[str]) -> tuple[list[int], list[int]]:
    """Per line: the number of edits and the truth's length. Their sums' ratio is the
    character error rate; pass the pair as ``ErrorAnalysis(samples={split: ...})`` to get
    bootstrap intervals on it."""
    if isinstance(truths, str) or isinstance(predictions, str):
        raise TypeError("truths and predictions must be sequences of strings, not one string")
    if len(truths) != len(predictions):
        raise ValueError(f"{len(truths)} truths but {len(predictions)} predictions")
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        edits = [len(edit_pairs(str(t), str(p))) for t, p in zip(truths, predictions, strict=True)]
    else:
        edits = [
            Levenshtein.distance(str(t), str(p)) for t, p in zip(truths, predictions, strict=True)
        ]
    return edits, [len(str(t)) for t in truths]


def _align(truth: str, predicted: str) -> list[tuple[str, str]]:
    """A minimum-edit (Levenshtein) alignment as (truth char, predicted char) pairs, "" for a
    gap; ties prefer substitutions, as a character error rate counts them."""
    n, m = len(truth), len(predicted)
    previous = list(range(m + 1))
    rows = [previous]
    for i in range(1, n + 1):
        current = [i] + [0] * m
        a = truth[i - 1]
        for j in range(1, m + 1):
            current[j] = min(
                previous[j - 1] + (a != predicted[j - 1]),
                previous[j] + 1,
                current[j - 1] + 1,
            )
        rows.append(current)
        previous = current
    pairs: list[tuple[str, str]] = []
    i, j = n, m
    while i or j:
        if i and j and rows[i][j] == rows[i - 1][j - 1] + (truth[i - 1] != predicted[j - 1]):
            pairs.append((truth[i - 1], predicted[j - 1]))
            i, j = i - 1, j - 1
        elif i and rows[i][j] == rows[i - 1][j] + 1:
            pairs.append((truth[i - 1], ""))
            i -= 1
        else:
            pairs.append(("", predicted[j - 1]))
            j -= 1
    return pairs[::-1]
