"""The typed settings object and the parsers of single values.

:class:`Settings` is what a run knows, resolved once (:mod:`mltestscore.settings` builds it
from ``[tool.mltestscore]``, the command line overrides it). The parsers here read one value
— a report target, a score minimum, a section minimum — and raise ``ValueError`` quoting the
bad text; the file reader, the pytest options and the ``mltestscore`` command line share them.
Only the standard library and light core modules are imported: the plugin loads this module
in every pytest run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from mltestscore.gate import check_minimum
from mltestscore.manual import ConfigProblem, ManualEvidence
from mltestscore.rubric import SECTIONS
from mltestscore.scoring import Scale

DEFAULT_REPORT = "reports/ml-score.json"
DEFAULT_BASELINE = ".mltestscore/baseline.json"
REPORT_SUFFIXES = (".json", ".html", ".md", ".svg")
# Output formats: by suffix, or named explicitly as FORMAT:PATH (``md:$GITHUB_STEP_SUMMARY``).
# ``endpoint`` is the shields.io endpoint JSON (also chosen by a name ending in
# ``badge.json``); ``codequality`` is GitLab's code-quality report.
REPORT_FORMATS = ("json", "html", "md", "svg", "endpoint", "codequality")
ReportTarget = tuple[str, Path]


def parse_report_target(text: str) -> ReportTarget:
    """``"reports/x.html"`` → ``("html", Path(...))``; ``"md:PATH"`` names the format.

    Raises ValueError quoting the text when the format cannot be told.
    """
    prefix, sep, rest = text.partition(":")
    if sep and prefix in REPORT_FORMATS and rest:
        return prefix, Path(rest)
    path = Path(text)
    if path.name.endswith("badge.json"):
        return "endpoint", path
    if path.suffix in REPORT_SUFFIXES:
        return path.suffix[1:], path
    raise ValueError(
        f"expected a path ending in {', '.join(REPORT_SUFFIXES)} (a name ending in "
        f"badge.json is a shields.io endpoint) or FORMAT:PATH with FORMAT one of "
        f"{', '.join(REPORT_FORMATS)}, got {text!r}"
    )


TERMINAL_MODES = ("grid", "short", "none")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved once."""

    root: Path
    file: str = "pyproject.toml"
    scale: Scale = "2017"
    fail_under: float | None = None
    section_min: Mapping[str, float] = field(default_factory=dict)
    reports: tuple[ReportTarget, ...] = ()
    baseline_path: Path = Path(DEFAULT_BASELINE)
    update_baseline: bool = False
    compare_to: Path | None = None
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    manual: Mapping[str, ManualEvidence] = field(default_factory=dict)
    manual_problems: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[ConfigProblem, ...] = ()
    strict: bool = False
    report_only: bool = False
    terminal: str = "grid"
    mlflow_run: str | None = None  # log the report to this MLflow run ("active": the active run)
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def blocking_problems(self) -> tuple[ConfigProblem, ...]:
        """Problems that fail the run: gate and threshold keys always, all under ``strict``."""
        return tuple(p for p in self.problems if p.blocking or self.strict)

    @property
    def json_report(self) -> Path:
        for kind, path in self.reports:
            if kind == "json":
                return path
        return self.root / DEFAULT_REPORT

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


T = TypeVar("T")


def parse_score(text: str) -> float:
    """Parse a score minimum such as ``1.5``; raise ValueError quoting the text.

    NaN and infinity are refused: every comparison with NaN is false, so a NaN
    minimum would let any score through.
    """
    try:
        value = float(text)
    except (ValueError, TypeError):
        raise ValueError(f"expected a number, got {text!r}") from None
    return check_minimum(value, text)


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    import difflib  # on use: the plugin imports this module in every pytest run

    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def argparse_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as an argparse ``type=``: its ValueError becomes a usage error."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def parse_mlflow_run(text: str) -> str:
    """An MLflow run id (letters, digits, ``-``, ``_``) or ``active``; ValueError quoting it."""
    value = text.strip()
    if not value or not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
        raise ValueError(
            f"expected an MLflow run id (letters, digits, '-', '_') or 'active', got {text!r}"
        )
    return value


def parse_section_min(text: str) -> tuple[str, float]:
    """Parse ``monitor=1.5`` into ``("monitor", 1.5)``; raise ValueError naming the text."""
    section, sep, value = text.partition("=")
    section = section.strip()
    if not sep or section not in SECTIONS:
        raise ValueError(
            f"expected SECTION=SCORE with SECTION one of {', '.join(SECTIONS)}, got {text!r}"
        )
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number after '=' in {text!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"section minimum must be a finite number >= 0, got {text!r}")
    return section, number
