"""The ML-infrastructure section (infra.1 – infra.7): one module per rubric id.

    infra.1  infra1_reproducible.py  Training is reproducible
    infra.2  infra2_unit_tested.py   Model specs are unit tested
    infra.3  infra3_pipeline.py      The ML pipeline is integration tested
    infra.4  infra4_validation.py    Model quality is validated before serving
    infra.5  infra5_debuggable.py    The model is debuggable
    infra.6  infra6_canary.py        Models are canaried before serving
    infra.7  infra7_rollback.py      Serving models can be rolled back

Each id module holds the registered check — its parameters are the inputs (``ml_<name>``
fixtures), its keyword-only parameters the thresholds (``[tool.mltestscore.thresholds.
"infra.N"]``) — and its judgement. Team inputs are read through :mod:`mltestscore.inputs`.
The seven check functions are re-exported here (``mltestscore.checks.infra.
training_is_reproducible`` keeps working). The mechanisms beside them, under plain names:

    parameters.py      infra.1   a trained model's parameters, snapshotted and compared
    model_contract.py  infra.2   the model's declared contract, checked on the batch
    batches.py         infra.2, infra.5   a training batch's model inputs
    pipeline.py        infra.3   stages: Pipeline, the wiring plan, running stage by stage
    bounds.py          infra.3, infra.4   which min_metric/max_metric bounds which metric
    scores.py          infra.4   metric values per slice; paired bootstrap intervals
    store.py           infra.4, infra.7   the model store, read leniently
    trace.py           infra.5   torch: forward hooks on every submodule; the Trace
    trace_sklearn.py   infra.5   scikit-learn: steps, decision paths, contributions
    export.py          infra.6   ONNX/TorchScript export, or the team's export_fn
    serving.py         infra.6   running the serving process, reading its report
    serve.py           infra.6   the serving process itself (run as a script, not imported)
    drill.py           infra.7   the rollback drill: roll back, serve, compare, roll forward

torch is imported only when a check runs.
"""

from __future__ import annotations

from mltestscore.checks.infra.infra1_reproducible import training_is_reproducible
from mltestscore.checks.infra.infra2_unit_tested import model_specs_unit_tested
from mltestscore.checks.infra.infra3_pipeline import pipeline_integration_tested
from mltestscore.checks.infra.infra4_validation import validated_before_serving
from mltestscore.checks.infra.infra5_debuggable import model_is_debuggable
from mltestscore.checks.infra.infra6_canary import canaried_before_serving
from mltestscore.checks.infra.infra7_rollback import serving_model_can_be_rolled_back

__all__ = [  # the registered checks, also importable from here as before
    "canaried_before_serving",
    "model_is_debuggable",
    "model_specs_unit_tested",
    "pipeline_integration_tested",
    "serving_model_can_be_rolled_back",
    "training_is_reproducible",
    "validated_before_serving",
]
