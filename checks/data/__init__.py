"""The rubric's data section: one module per id, holding the registered check and its judgement.

::

    data.1  data1_schema.py               Feature expectations are captured in a schema
    data.2  data2_features_beneficial.py  All features are beneficial
    data.3  data3_feature_cost.py         No feature's cost is too much
    data.4  data4_feature_rules.py        Features adhere to meta-level requirements
    data.5  data5_privacy.py              The data pipeline has appropriate privacy controls
    data.6  data6_new_feature.py          New features can be added quickly
    data.7  data7_feature_code.py         All input feature code is tested

Mechanisms beside them: ``features`` (the model's input features — one decision for
data.2, data.3 and data.4), ``importance`` (permutation importance, data.2 and data.3),
``cost`` (per-feature time and memory, data.3), ``pii`` (the PII scanner, data.5),
``messages`` (short lists, evidence table cap) and ``deepchecks_adapter`` (deepchecks
suites mapped onto rubric ids; not imported here). Team inputs are read through
:mod:`mltestscore.inputs`.

Importing this package registers data.1 … data.7; the registered functions are
re-exported here (``from mltestscore.checks.data import privacy_controls``).
"""

from __future__ import annotations

from mltestscore.checks.data.data1_schema import schema_validates
from mltestscore.checks.data.data2_features_beneficial import features_beneficial
from mltestscore.checks.data.data3_feature_cost import feature_cost
from mltestscore.checks.data.data4_feature_rules import feature_rules_hold
from mltestscore.checks.data.data5_privacy import privacy_controls
from mltestscore.checks.data.data6_new_feature import new_feature_quickly
from mltestscore.checks.data.data7_feature_code import feature_code_tested

__all__ = [
    "feature_code_tested",
    "feature_cost",
    "feature_rules_hold",
    "features_beneficial",
    "new_feature_quickly",
    "privacy_controls",
    "schema_validates",
]
