"""Old import path of :mod:`mltestscore.schema`, kept for code written against 0.1.

The schema adapters moved to core (``mltestscore.schema``) so that contracts and
``mltestscore schema infer`` can use them without importing ``mltestscore.checks``.
Conftests up to 0.1 wrote ``from mltestscore.checks.schema import TensorSchema``;
that keeps working and gives the very same classes and functions.
"""

from __future__ import annotations

from mltestscore.schema import *  # noqa: F403
from mltestscore.schema import __all__ as __all__
