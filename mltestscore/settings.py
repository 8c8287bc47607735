"""Settings: ``[tool.mltestscore]`` in pyproject.toml, resolved once, command line over file.

Loading never raises on bad content: every problem becomes a
:class:`~mltestscore.manual.ConfigProblem` naming the file, the key and what was
expected (with a did-you-mean for unknown keys and ids), and the default is used.

Problems in keys that decide what passes — ``fail_under``, ``section_min``,
``scale``, ``thresholds``, ``strict``, ``report_only`` — and unknown top-level keys
(a misspelt ``fail_undr`` may be one of them) are *blocking*: ``pytest --ml-score``
stops with exit code 4 (pytest's usage error) before running anything. Other
problems (a manual entry, a report path) are reported and the run goes on, unless
``strict = true`` (or ``--ml-score-strict``) makes every problem blocking. Strict is
not switched on by the ``CI`` variable: the same project should pass or fail the
same way on a laptop and in CI, so a team that wants strictness writes it in the file.
Score minimums must be finite numbers >= 0: NaN compares false with everything and
would turn the gate off.

The typed object and the single-value parsers live in :mod:`mltestscore.settings_values`,
reading and validating the table in :mod:`mltestscore.settings_table`; every name is
importable from here.
"""

from __future__ import annotations

from pathlib import Path

from mltestscore.settings_table import GATE_KEYS, KNOWN_KEYS, read_table, settings_from_table
from mltestscore.settings_values import (
    DEFAULT_BASELINE,
    DEFAULT_REPORT,
    REPORT_FORMATS,
    REPORT_SUFFIXES,
    TERMINAL_MODES,
    ReportTarget,
    Settings,
    argparse_type,
    did_you_mean,
    parse_mlflow_run,
    parse_report_target,
    parse_score,
    parse_section_min,
)

__all__ = [
    "DEFAULT_BASELINE",
    "DEFAULT_REPORT",
    "GATE_KEYS",
    "KNOWN_KEYS",
    "REPORT_FORMATS",
    "REPORT_SUFFIXES",
    "TERMINAL_MODES",
    "ReportTarget",
    "Settings",
    "argparse_type",
    "did_you_mean",
    "find_pyproject",
    "load_settings",
    "parse_mlflow_run",
    "parse_report_target",
    "parse_score",
    "parse_section_min",
    "read_table",
    "settings_from_table",
]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(root: Path, pyproject: Path | None = None) -> Settings:
    """Load settings for a project rooted at ``root`` (problems collected, never raised)."""
    path = pyproject if pyproject is not None else find_pyproject(root)
    if path is None:
        return Settings(root=root, baseline_path=root / DEFAULT_BASELINE)
    table, problems = read_table(path)
    return settings_from_table(table, root=path.parent, file=str(path), problems=problems)
