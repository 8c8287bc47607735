"""Settings: ``[tool.mltestscore]`` in pyproject.toml, resolved once, command line over file.

Loading never raises on bad content: every problem becomes a
:class:`~mltestscore.manual.ConfigProblem` naming the file, the key and what was
expected, and the run goes on with the default for that key.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import tomllib

from mltestscore.manual import ConfigProblem, ManualEvidence, parse_manual
from mltestscore.rubric import RUBRIC_BY_ID, SECTIONS
from mltestscore.scoring import SCALES, Scale

DEFAULT_REPORT = "reports/ml-score.json"
DEFAULT_BASELINE = ".mltestscore/baseline.json"
REPORT_SUFFIXES = (".json", ".html", ".md", ".svg")

# Keys of [tool.mltestscore] read by the core; the rest are declarations that
# checks read from ``CheckContext.options`` (listed so typos are reported).
_CORE_KEYS = {
    "scale",
    "fail_under",
    "section_min",
    "report",
    "baseline",
    "manual",
    "thresholds",
    "compare_to",
}
_LIST_OF_STR_KEYS = {
    "feature_modules",
    "contract_modules",
    "model_spec_files",
    "deny_features",
    "deprecated_features",
    "protected_features",
    "allow_features",
    "pii_allowed_columns",
}
_FREE_KEYS = {"access_controls"}
KNOWN_KEYS = _CORE_KEYS | _LIST_OF_STR_KEYS | _FREE_KEYS


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved once."""

    root: Path
    file: str = "pyproject.toml"
    scale: Scale = "2017"
    fail_under: float | None = None
    section_min: Mapping[str, float] = field(default_factory=dict)
    reports: tuple[Path, ...] = ()
    baseline_path: Path = Path(DEFAULT_BASELINE)
    update_baseline: bool = False
    compare_to: Path | None = None
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    manual: Mapping[str, ManualEvidence] = field(default_factory=dict)
    manual_problems: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[ConfigProblem, ...] = ()
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def json_report(self) -> Path:
        for path in self.reports:
            if path.suffix == ".json":
                return path
        return self.root / DEFAULT_REPORT

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


T = TypeVar("T")


def parse_score(text: str) -> float:
    """Parse a score minimum such as ``1.5``; raise ValueError quoting the text."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise ValueError(f"expected a number >= 0, got {text!r}")
    return value


def argparse_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as an argparse ``type=``: its ValueError becomes a usage error."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


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
    if number < 0:
        raise ValueError(f"section minimum must be >= 0, got {text!r}")
    return section, number


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_table(path: Path) -> tuple[Mapping[str, Any], list[ConfigProblem]]:
    """Read ``[tool.mltestscore]`` from ``path``; problems instead of exceptions."""
    try:
        with path.open("rb") as fh:
            document = tomllib.load(fh)
    except FileNotFoundError:
        return {}, [ConfigProblem(str(path), "(file)", "not found")]
    except tomllib.TOMLDecodeError as exc:
        return {}, [ConfigProblem(str(path), "(file)", f"not valid TOML: {exc}")]
    except OSError as exc:
        return {}, [ConfigProblem(str(path), "(file)", f"cannot be read: {exc}")]
    tool = document.get("tool", {})
    table = tool.get("mltestscore", {}) if isinstance(tool, Mapping) else {}
    if not isinstance(table, Mapping):
        return {}, [
            ConfigProblem(
                str(path), "tool.mltestscore", f"expected a table, got {type(table).__name__}"
            )
        ]
    return table, []


def load_settings(root: Path, pyproject: Path | None = None) -> Settings:
    """Load settings for a project rooted at ``root`` (problems collected, never raised)."""
    path = pyproject if pyproject is not None else find_pyproject(root)
    if path is None:
        return Settings(root=root, baseline_path=root / DEFAULT_BASELINE)
    table, problems = read_table(path)
    return settings_from_table(table, root=path.parent, file=str(path), problems=problems)


def settings_from_table(
    table: Mapping[str, Any],
    *,
    root: Path,
    file: str = "pyproject.toml",
    problems: Sequence[ConfigProblem] = (),
) -> Settings:
    found = list(problems)
    prefix = "tool.mltestscore"

    def problem(key: str, message: str) -> None:
        found.append(ConfigProblem(file, f"{prefix}.{key}", message))

    for key in sorted(set(table) - KNOWN_KEYS):
        problem(key, f"unknown key; expected one of {', '.join(sorted(KNOWN_KEYS))}")

    scale: Scale = "2017"
    raw_scale = table.get("scale", "2017")
    if str(raw_scale) in SCALES and isinstance(raw_scale, (str, int)):
        scale = "2016" if str(raw_scale) == "2016" else "2017"
    else:
        problem("scale", f'expected "2017" or "2016", got {raw_scale!r}')

    fail_under = _number(table.get("fail_under"), "fail_under", problem)
    section_min: dict[str, float] = {}
    raw_min = table.get("section_min", {})
    if isinstance(raw_min, Mapping):
        for section, value in raw_min.items():
            number = _number(value, f"section_min.{section}", problem)
            if section not in SECTIONS:
                problem(
                    f"section_min.{section}",
                    f"unknown section; expected one of {', '.join(SECTIONS)}",
                )
            elif number is not None:
                section_min[section] = number
    else:
        problem("section_min", f"expected a table like {{monitor = 1.5}}, got {raw_min!r}")

    reports: list[Path] = []
    raw_reports = table.get("report", [])
    for item in [raw_reports] if isinstance(raw_reports, str) else raw_reports:
        if not isinstance(item, str) or Path(item).suffix not in REPORT_SUFFIXES:
            problem(
                "report", f"expected paths ending in {', '.join(REPORT_SUFFIXES)}, got {item!r}"
            )
        else:
            reports.append(root / item)

    baseline = table.get("baseline", DEFAULT_BASELINE)
    if not isinstance(baseline, str):
        problem("baseline", f"expected a path string, got {baseline!r}")
        baseline = DEFAULT_BASELINE
    compare_to = table.get("compare_to")
    if compare_to is not None and not isinstance(compare_to, str):
        problem("compare_to", f"expected a path string, got {compare_to!r}")
        compare_to = None

    thresholds: dict[str, dict[str, Any]] = {}
    raw_thresholds = table.get("thresholds", {})
    if isinstance(raw_thresholds, Mapping):
        for test_id, values in raw_thresholds.items():
            if test_id not in RUBRIC_BY_ID:
                problem(f'thresholds."{test_id}"', "unknown rubric id")
            elif not isinstance(values, Mapping):
                problem(f'thresholds."{test_id}"', f"expected a table, got {values!r}")
            else:
                thresholds[test_id] = dict(values)
    else:
        problem("thresholds", f"expected a table of tables, got {raw_thresholds!r}")

    manual: dict[str, ManualEvidence] = {}
    manual_problems: dict[str, str] = {}
    if "manual" in table:
        manual, manual_found = parse_manual(table["manual"], file=file, root=root)
        found.extend(manual_found)
        for p in manual_found:
            test_id = p.key.split('"')[1] if '"' in p.key else ""
            if test_id in RUBRIC_BY_ID:
                manual_problems.setdefault(
                    test_id, f"manual evidence rejected: {p.key}: {p.message}"
                )

    options: dict[str, Any] = {}
    for key in _LIST_OF_STR_KEYS:
        if key in table:
            value = table[key]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                options[key] = list(value)
            else:
                problem(key, f"expected a list of strings, got {value!r}")
    for key in _FREE_KEYS:
        if key in table:
            options[key] = table[key]

    return Settings(
        root=root,
        file=file,
        scale=scale,
        fail_under=fail_under,
        section_min=section_min,
        reports=tuple(reports),
        baseline_path=root / baseline,
        compare_to=(root / compare_to) if isinstance(compare_to, str) else None,
        thresholds=thresholds,
        manual=manual,
        manual_problems=manual_problems,
        options=options,
        problems=tuple(found),
    )


def _number(value: object, key: str, problem: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problem(key, f"expected a number, got {value!r}")
        return None
    return float(value)
