"""Old import path of :mod:`mltestscore.stats`, kept for code written against 0.1.

The statistics moved to core (``mltestscore.stats``) so that core, the reports
and every check can use them without importing ``mltestscore.checks``. README
examples up to 0.1 wrote ``from mltestscore.checks import stats``; that keeps
working and gives the very same functions and classes.
"""

from __future__ import annotations

from mltestscore.stats import *  # noqa: F403
from mltestscore.stats import __all__ as __all__
