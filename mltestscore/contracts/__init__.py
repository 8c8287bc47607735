"""Model contracts: declared on a team's model, checked in CI and enforced in serving.

``@model_contract(...)`` *annotates* an ``nn.Module`` class, an estimator class
or a predict function (it is returned unchanged); :func:`get_contract` reads the
contract back from the class, an instance of it, the function, a bound method
or a :func:`guard` wrapper. The built-in checks use it (infra.2: deterministic
eval; monitor.5: finite and in-range outputs; monitor.6: latency budget), the
plugin finds decorated objects in ``ml_model`` or in the modules listed in
``[tool.mltestscore] contract_modules`` (:func:`discover`), and :func:`guard`
enforces the same contract around a serving
predict function. Example::

    @mltestscore.model_contract(input=InputSpec(shape=(None, 1, 28, 28), dtype="float32"),
                                output_range=(0.0, 1.0), latency_ms=20)
    class Recognizer(nn.Module): ...

Modules: :mod:`~mltestscore.contracts.spec` (:class:`Contract`, :class:`InputSpec`),
:mod:`~mltestscore.contracts.declare` (the decorator, lookup and discovery),
:mod:`~mltestscore.contracts.values` (checking inputs and outputs),
:mod:`~mltestscore.contracts.verify` (judging a contract on canary inputs for
infra.2 / monitor.5 / monitor.6) and :mod:`~mltestscore.contracts.serving` (the
serving guard). Importing the package loads no third-party module.
"""

from __future__ import annotations

from mltestscore.contracts.declare import CONTRACT_ATTR, discover, get_contract, model_contract
from mltestscore.contracts.serving import GuardedPredict, GuardStats, guard
from mltestscore.contracts.spec import Contract, ContractError, ContractViolation, InputSpec
from mltestscore.contracts.values import check_input, check_output
from mltestscore.contracts.verify import CONTRACT_IDS, contract_check, verify_contract

__all__ = [
    "CONTRACT_ATTR",
    "CONTRACT_IDS",
    "Contract",
    "ContractError",
    "ContractViolation",
    "GuardStats",
    "GuardedPredict",
    "InputSpec",
    "check_input",
    "check_output",
    "contract_check",
    "discover",
    "get_contract",
    "guard",
    "model_contract",
    "verify_contract",
]
