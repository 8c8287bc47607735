"""Reading and validating ``[tool.mltestscore]``: the table becomes a :class:`Settings`.

Every problem becomes a :class:`~mltestscore.manual.ConfigProblem` naming the file, the
key and what was expected (with a did-you-mean for unknown keys and ids), and the default
is used; problems in the keys of :data:`GATE_KEYS` and unknown keys are blocking (the
rules: :mod:`mltestscore.settings`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mltestscore.gate import check_minimum
from mltestscore.manual import ConfigProblem, ManualEvidence, parse_manual
from mltestscore.rubric import RUBRIC_BY_ID, SECTIONS
from mltestscore.scoring import SCALES, Scale
from mltestscore.settings_values import (
    DEFAULT_BASELINE,
    TERMINAL_MODES,
    ReportTarget,
    Settings,
    did_you_mean,
    parse_report_target,
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
