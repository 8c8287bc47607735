"""Recognition metrics on top of rapidfuzz's edit distances."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

__all__ = ["character_error_rate", "confusion_pairs", "line_accuracy"]


def _check_pairs(predictions: Sequence[str], targets: Sequence[str]) -> None:
    if isinstance(predictions, str) or isinstance(targets, str):
        raise TypeError("predictions and targets must be sequences of strings, not one string")
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions but {len(targets)} targets")


def character_error_rate(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Total Levenshtein edits / total target characters (0 is perfect; can exceed 1).

    Raises ``ValueError`` when the lengths differ or the targets hold no characters.
    """
    _check_pairs(predictions, targets)
    total = sum(len(t) for t in targets)
    if total == 0:
        raise ValueError("targets hold no characters: the character error rate is undefined")
    edits = sum(Levenshtein.distance(p, t) for p, t in zip(predictions, targets, strict=True))
    return edits / total


def line_accuracy(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Fraction of lines recognized exactly."""
    _check_pairs(predictions, targets)
    if not targets:
        raise ValueError("no lines to score")
    return sum(p == t for p, t in zip(predictions, targets, strict=True)) / len(targets)


def confusion_pairs(predictions: Sequence[str], targets: Sequence[str]) -> Counter[tuple[str, str]]:
    """Counts of ``(target char, predicted char)`` edits; "" marks an insertion/deletion.

    The alignment is the error analysis' own (:func:`mltestscore.alignment.edit_pairs`), so
    the two count the same confusions.
    """
    from mltestscore.alignment import edit_pairs

    _check_pairs(predictions, targets)
    counts: Counter[tuple[str, str]] = Counter()
    for p, t in zip(predictions, targets, strict=True):
        counts.update(edit_pairs(t, p))
    return counts
