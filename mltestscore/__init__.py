"""mltestscore: the ML Test Score rubric as a library and a pytest plugin.

Importing this package is cheap (standard library only): the pytest plugin is
loaded into every pytest run. Heavy parts (checks, torch, reports) load on use.
The public functions are imported directly: contracts (with the serving guard),
scoring and runner add about 22 ms to ``import mltestscore`` (``python -X importtime``:
15, 6 and 1 ms), too little to hide them behind a lazy ``__getattr__`` that makes
their types ``Any``.
"""

from __future__ import annotations

from mltestscore.context import CheckContext
from mltestscore.contracts import guard, model_contract
from mltestscore.metrics import Metric
from mltestscore.registry import check, covers, register_builtin_check
from mltestscore.results import AutomatedEvidence, CheckResult, NotAutomated, Status, TestStatus
from mltestscore.rubric import RUBRIC, SECTIONS, RubricTest
from mltestscore.runner import run_builtin, run_check
from mltestscore.scoring import score

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
    "TestStatus",
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
