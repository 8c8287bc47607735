"""The rubric's model section: one module per id, holding the registered check and its judgement.

::

    model.1  model1_specs.py            Model specs are reviewed and submitted
    model.2  model2_offline_online.py   Offline and online metrics correlate
    model.3  model3_hyperparameters.py  All hyperparameters have been tuned
    model.4  model4_staleness.py        The impact of model staleness is known
    model.5  model5_baseline.py         A simpler model is not better
    model.6  model6_slices.py           Model quality is sufficient on all important data slices
    model.7  model7_inclusion.py        The model is tested for considerations of inclusion

Beside them, the one mechanism too large to sit in its id's module:
``age_curve.py`` — model.4's age-vs-quality curve (evaluating every version of a model
store on current data, or reading a table) and the line fitted through it.

Every team input is read through :mod:`mltestscore.inputs` (tables, ``(X, y)``, calling
a model on its device and dtype, labels and the default metric, slices), so an input
that works in one of these checks works in all of them. Importing this package
registers the seven checks; none imports torch, scipy or scikit-learn at module level.
"""

from __future__ import annotations

from mltestscore.checks.model import (
    model1_specs,
    model2_offline_online,
    model3_hyperparameters,
    model4_staleness,
    model5_baseline,
    model6_slices,
    model7_inclusion,
)

__all__ = [
    "model1_specs",
    "model2_offline_online",
    "model3_hyperparameters",
    "model4_staleness",
    "model5_baseline",
    "model6_slices",
    "model7_inclusion",
]
