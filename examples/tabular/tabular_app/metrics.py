"""The clinical metric: accuracy in which a missed cancer costs ten false alarms.

``cost_weighted_accuracy = 1 − (10·FN + 1·FP) / (10·P + 1·N)``: the share of the
worst possible misclassification cost that the model avoids. 1.0 is perfect; a
model that refers nobody scores ``N / (10·P + N)`` (about 0.26 here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

FN_COST = 10.0  # a malignant tumour sent home
FP_COST = 1.0  # a benign tumour sent to biopsy


def cost_weighted_accuracy(y_true: Any, y_pred: Any) -> float:
    """1 − weighted errors / weighted worst case; labels are 1 = malignant, 0 = benign."""
    truth = np.asarray(y_true).astype(int)
    pred = np.asarray(y_pred).astype(int)
    if truth.shape != pred.shape:
        raise ValueError(f"y_true has shape {truth.shape} but y_pred has {pred.shape}")
    positives = int((truth == 1).sum())
    negatives = int((truth == 0).sum())
    worst = FN_COST * positives + FP_COST * negatives
    if worst == 0:
        raise ValueError("cost_weighted_accuracy is undefined on no rows")
    missed = int(((truth == 1) & (pred == 0)).sum())
    false_alarms = int(((truth == 0) & (pred == 1)).sum())
    return 1.0 - (FN_COST * missed + FP_COST * false_alarms) / worst
