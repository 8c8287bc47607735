"""Monitoring checks: monitor.1 … monitor.7 of the ML Test Score rubric.

One module per rubric id, holding the registered check and its verdict::

    monitor.1  monitor1_dependencies.py    Dependency changes result in notification
    monitor.2  monitor2_serving_inputs.py  Data invariants hold for inputs
    monitor.3  monitor3_skew.py            Training and serving are not skewed
    monitor.4  monitor4_staleness.py       Models are not too stale
    monitor.5  monitor5_numerics.py        Models are numerically stable
    monitor.6  monitor6_performance.py     Computing performance has not regressed
    monitor.7  monitor7_quality.py         Prediction quality has not regressed

The larger mechanisms sit beside them: ``skew.py`` (monitor.3's element-wise
comparison and its diagnoses), ``numerics.py`` (monitor.5's non-finite weights, the
hooked forward pass, the training step), ``timing.py`` (monitor.6's interleaved timings,
paired ratios, peak memory) and ``prediction_drift.py`` (monitor.7's label-free
prediction views and bootstrap noise). Team inputs are read through
:mod:`mltestscore.inputs`; checks that compare with the past use the baseline file
(:mod:`mltestscore.baseline`, recorded only on ``--ml-score-update-baseline``).

Importing this package registers the seven checks; their functions are re-exported here.
"""

from __future__ import annotations

from mltestscore.checks.monitor.monitor1_dependencies import dependency_changes
from mltestscore.checks.monitor.monitor2_serving_inputs import serving_inputs_valid
from mltestscore.checks.monitor.monitor3_skew import training_serving_skew
from mltestscore.checks.monitor.monitor4_staleness import model_staleness
from mltestscore.checks.monitor.monitor5_numerics import numerical_stability
from mltestscore.checks.monitor.monitor6_performance import computing_performance
from mltestscore.checks.monitor.monitor7_quality import prediction_quality

__all__ = [
    "computing_performance",
    "dependency_changes",
    "model_staleness",
    "numerical_stability",
    "prediction_quality",
    "serving_inputs_valid",
    "training_serving_skew",
]
