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
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import tomllib

from mltestscore.gate import check_minimum
from mltestscore.manual import ConfigProblem, ManualEvidence, parse_manual
from mltestscore.rubric import RUBRIC_BY_ID, SECTIONS
from mltestscore.scoring import SCALES, Scale

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
    "strict",
    "report_only",
    "terminal",
}
# Keys whose mistakes change what the gate lets through: a problem in one of them
# (or an unknown key, which may be one of them misspelt) fails the run.
GATE_KEYS = {"scale", "fail_under", "section_min", "thresholds", "strict", "report_only"}
TERMINAL_MODES = ("grid", "short", "none")
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

    def problem(key: str, message: str, blocking: bool = False) -> None:
        found.append(ConfigProblem(file, f"{prefix}.{key}", message, blocking))

    def gate_problem(key: str, message: str) -> None:
        problem(key, message, blocking=True)

    for key in sorted(set(table) - KNOWN_KEYS, key=str):
        gate_problem(
            str(key),
            f"unknown key{did_you_mean(key, KNOWN_KEYS)}; expected one of "
            f"{', '.join(sorted(KNOWN_KEYS))}",
        )

    scale: Scale = "2017"
    raw_scale = table.get("scale", "2017")
    if (
        isinstance(raw_scale, (str, int))
        and not isinstance(raw_scale, bool)
        and str(raw_scale) in SCALES
    ):
        scale = "2016" if str(raw_scale) == "2016" else "2017"
    else:
        gate_problem("scale", f'expected "2017" or "2016", got {raw_scale!r}')

    fail_under = _minimum(table.get("fail_under"), "fail_under", gate_problem)
    section_min: dict[str, float] = {}
    raw_min = table.get("section_min", {})
    if isinstance(raw_min, Mapping):
        for section, value in raw_min.items():
            number = _minimum(value, f"section_min.{section}", gate_problem)
            if section not in SECTIONS:
                gate_problem(
                    f"section_min.{section}",
                    f"unknown section{did_you_mean(section, SECTIONS)}; expected one of "
                    f"{', '.join(SECTIONS)}",
                )
            elif number is not None:
                section_min[section] = number
    else:
        gate_problem("section_min", f"expected a table like {{monitor = 1.5}}, got {raw_min!r}")

    strict = _flag(table.get("strict", False), "strict", gate_problem)
    report_only = _flag(table.get("report_only", False), "report_only", gate_problem)
    terminal = table.get("terminal", "grid")
    if terminal not in TERMINAL_MODES:
        problem("terminal", f"expected one of {', '.join(TERMINAL_MODES)}, got {terminal!r}")
        terminal = "grid"

    reports: list[ReportTarget] = []
    raw_reports = table.get("report", [])
    items = [raw_reports] if isinstance(raw_reports, str) else raw_reports
    if not isinstance(items, list):
        problem("report", f"expected a path or a list of paths, got {raw_reports!r}")
        items = []
    for item in items:
        why = _path_problem(item)
        if why is not None:
            problem("report", f"{why}, got {item!r}")
            continue
        try:
            kind, path = parse_report_target(item)
        except ValueError as exc:
            problem("report", str(exc))
        else:
            reports.append((kind, root / path))

    baseline = table.get("baseline", DEFAULT_BASELINE)
    why = _path_problem(baseline)
    if why is not None:
        problem("baseline", f"{why}, got {baseline!r}")
        baseline = DEFAULT_BASELINE
    compare_to = table.get("compare_to")
    why = _path_problem(compare_to) if compare_to is not None else None
    if why is not None:
        problem("compare_to", f"{why}, got {compare_to!r}")
        compare_to = None

    thresholds: dict[str, dict[str, Any]] = {}
    raw_thresholds = table.get("thresholds", {})
    if isinstance(raw_thresholds, Mapping):
        for test_id, values in raw_thresholds.items():
            if test_id not in RUBRIC_BY_ID:
                gate_problem(
                    f'thresholds."{test_id}"',
                    f"unknown rubric id{did_you_mean(test_id, RUBRIC_BY_ID)}",
                )
            elif not isinstance(values, Mapping):
                gate_problem(f'thresholds."{test_id}"', f"expected a table, got {values!r}")
            else:
                thresholds[test_id] = dict(values)
    else:
        gate_problem("thresholds", f"expected a table of tables, got {raw_thresholds!r}")

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
    for key in sorted(_LIST_OF_STR_KEYS):
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
        strict=strict,
        report_only=report_only,
        terminal=str(terminal),
    )


def _minimum(value: object, key: str, problem: Callable[[str, str], None]) -> float | None:
    """A score minimum from the file: a finite number >= 0, or a problem and None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problem(key, f"expected a number, got {value!r}")
        return None
    try:
        return check_minimum(float(value), value)
    except (ValueError, OverflowError) as exc:
        problem(key, str(exc))
        return None


def _flag(value: object, key: str, problem: Callable[[str, str], None]) -> bool:
    if isinstance(value, bool):
        return value
    problem(key, f"expected true or false, got {value!r}")
    return False


def _path_problem(value: object) -> str | None:
    """Why ``value`` is not a usable relative-or-absolute path string, or None."""
    if not isinstance(value, str) or not value.strip():
        return "expected a path string"
    if len(value) > 1000 or not value.isprintable():
        return "expected a path of printable characters (at most 1000)"
    return None
