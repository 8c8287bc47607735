"""The hyperparameter sweep: 5-fold cross-validation over the grid in ``config.SWEEP_GRID``.

For each (``C``, ``l1_ratio``) the out-of-fold probabilities are computed once;
every ``decision_threshold`` is then scored on them, fold by fold. One row per
(configuration, fold): model.3 averages the folds.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from tabular_app.data import TARGET
from tabular_app.metrics import cost_weighted_accuracy
from tabular_app.model import RiskModel


def run_sweep(
    table: pd.DataFrame,
    grid: Mapping[str, Sequence[float]],
    *,
    folds: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Columns ``C, l1_ratio, decision_threshold, fold, metric`` (cost-weighted accuracy)."""
    X, y = table.drop(columns=[TARGET]), table[TARGET].to_numpy()
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y))
    rows = []
    for c, l1_ratio in itertools.product(grid["C"], grid["l1_ratio"]):
        for fold, (fit_rows, val_rows) in enumerate(splits):
            model = RiskModel(C=c, l1_ratio=l1_ratio).fit(X.iloc[fit_rows], y[fit_rows])
            proba = model.predict_proba(X.iloc[val_rows])[:, 1]
            for threshold in grid["decision_threshold"]:
                pred = (proba >= threshold).astype(np.int64)
                rows.append({
                    "C": c, "l1_ratio": l1_ratio, "decision_threshold": threshold,
                    "fold": fold, "metric": cost_weighted_accuracy(y[val_rows], pred),
                })  # fmt: skip
    return pd.DataFrame(rows)
