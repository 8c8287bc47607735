"""mltestscore: the ML Test Score rubric as a library and a pytest plugin.

Importing this package is cheap (standard library only): the pytest plugin is
loaded into every pytest run. Heavy parts (checks, torch, reports) load on use.
"""

from __future__ import annotations

from typing import Any

from mltestscore.context import CheckContext
from mltestscore.metrics import Metric
from mltestscore.registry import check, covers, register_builtin_check
from mltestscore.results import AutomatedEvidence, CheckResult, NotAutomated, Status
from mltestscore.rubric import RUBRIC, SECTIONS, RubricTest

__version__ = "0.1.0"

__all__ = [
    "RUBRIC",
    "SECTIONS",
    "AutomatedEvidence",
    "CheckContext",
    "CheckResult",
    "Metric",
    "NotAutomated",
    "RubricTest",
    "Status",
    "__version__",
    "check",
    "covers",
    "guard",
    "model_contract",
    "register_builtin_check",
    "run_builtin",
    "run_check",
    "score",
]

_LAZY = {
    "score": ("mltestscore.scoring", "score"),
    "run_check": ("mltestscore.runner", "run_check"),
    "run_builtin": ("mltestscore.runner", "run_builtin"),
    "model_contract": ("mltestscore.contracts", "model_contract"),
    "guard": ("mltestscore.serving_guard", "guard"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        return getattr(importlib.import_module(module_name), attr)
    raise AttributeError(f"module 'mltestscore' has no attribute {name!r}")
