"""The ``mltestscore`` command line: gate, explain, rubric, report, schema, reference."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mltestscore.rubric import (
    RUBRIC,
    SECTION_TITLES,
    SECTIONS,
    UnknownTestId,
    could_not_judge,
    get,
    manual_hint,
)
from mltestscore.settings import argparse_type, parse_score, parse_section_min

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# Subcommands that live beside their feature; each module has add_subcommands(subparsers).
_EXTENSIONS = (
    ("mltestscore.reports.cli", "report", "render a report file (needs the reports module)"),
    ("mltestscore.schema.infer_cli", "schema", "infer a draft schema from data"),
    (
        "mltestscore.reference_model.cli",
        "reference",
        "train/evaluate/predict the reference recognizer",
    ),
)


def read_report(command: str, path: str) -> dict[str, Any] | None:
    """Load and validate a report; None (after one line on stderr) if it cannot be used.

    Every way a file can be unusable (missing, not UTF-8, not JSON, NaN, nested
    too deeply, wrong schema) ends here with exit code 2, never a traceback: exit 1
    means "below the threshold" to CI.
    """
    from mltestscore.report import ReportError, load_report

    try:
        return load_report(Path(path))
    except ReportError as exc:
        print(f"mltestscore {command}: {exc}", file=sys.stderr)
    except Exception as exc:  # anything else a hostile file can provoke
        print(
            f"mltestscore {command}: {path}: cannot use report: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
    return None


def cmd_gate(args: argparse.Namespace) -> int:
    from mltestscore.gate import decide

    report = read_report("gate", args.report)
    if report is None:
        return EXIT_USAGE
    score = report["score"]
    sections = {s: float(v["score"]) for s, v in score["sections"].items()}
    statuses = {t["id"]: t["status"] for t in report["tests"]}
    required = {}
    for test_id in args.require_pass or []:
        if test_id not in statuses:
            print(
                f"mltestscore gate: unknown rubric id {test_id!r} for --require-pass",
                file=sys.stderr,
            )
            return EXIT_USAGE
        required[test_id] = statuses[test_id]
    decision = decide(
        float(score["final"]),
        sections,
        fail_under=args.fail_under,
        section_min=dict(args.section_min or []),
        require_pass=required,
        complete=bool(report.get("complete", True)),
        incomplete_reason=str(report.get("incomplete_reason", "")),
    )
    print(
        f"ML Test Score {score['final']:g} ({score['band']['text']}); "
        + ", ".join(f"{s} {v:g}" for s, v in sections.items())
        + ("" if report.get("complete", True) else "; INCOMPLETE RUN")
    )
    print(decision.summary)
    return EXIT_OK if decision.passed else EXIT_FAIL


def check_module(func: Callable[..., Any]) -> str:
    """Where a check lives: its module and the file, relative to the project root."""
    import inspect

    module = func.__module__
    try:
        path = Path(inspect.getsourcefile(func) or "")
    except TypeError:
        return module
    root = Path(__file__).resolve().parent.parent
    try:
        shown = path.resolve().relative_to(root).as_posix()
    except ValueError:
        shown = path.name
    return f"{module} ({shown})"


def explain_text(test_id: str) -> str:
    test = get(test_id)
    lines = [
        f"{test.id}  {test.title}",
        f"section: {test.section} ({SECTION_TITLES[test.section]})",
        "",
        f"Asks: {test.asks}",
        f"Automated (1 point): {test.automated}",
    ]
    try:
        import mltestscore.checks  # noqa: F401
        from mltestscore.registry import BUILTIN_CHECKS

        spec = BUILTIN_CHECKS.get(test_id)
    except Exception as exc:  # a broken optional dependency must not break explain
        spec = None
        lines.append(f"(built-in checks could not be loaded: {exc})")
    if spec is not None:
        lines.append(f"  built-in check: {spec.name}")
        lines.append(f"  module: {check_module(spec.func)}")
        lines.append("  required fixtures: " + (", ".join(spec.fixtures) or "(none)"))
        if spec.optional_fixtures:
            lines.append("  optional fixtures: " + ", ".join(spec.optional_fixtures))
        if spec.thresholds:
            lines.append(
                f'  thresholds ([tool.mltestscore.thresholds."{test_id}"]): '
                + ", ".join(f"{k}={v!r}" for k, v in spec.thresholds.items())
            )
        if spec.doc:
            lines.extend(["", *("  " + line for line in spec.doc.splitlines())])
    lines += [
        "",
        f"Could not judge (0 points, shown apart from a pass): {could_not_judge(test_id)}",
        "",
        f"Manual (0.5 points): {test.manual}",
        manual_hint(test_id),
    ]
    return "\n".join(lines)


def cmd_explain(args: argparse.Namespace) -> int:
    try:
        print(explain_text(args.test_id))
    except UnknownTestId as exc:
        print(f"mltestscore explain: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_rubric(args: argparse.Namespace) -> int:
    for section in SECTIONS:
        print(f"{section}: {SECTION_TITLES[section]}")
        for test in RUBRIC:
            if test.section == section:
                print(f"  {test.id:<10} {test.title}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mltestscore", description="ML Test Score: rubric, reports and deploy gate."
    )
    parser.add_argument("--version", action="version", version=f"mltestscore {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gate = sub.add_parser("gate", help="exit 1 when a report's score is below the minimums")
    gate.add_argument("report", metavar="REPORT.json", help="a report written by pytest --ml-score")
    gate.add_argument(
        "--fail-under",
        metavar="SCORE",
        type=argparse_type(parse_score),
        default=None,
        help="minimum final score (default: none)",
    )
    gate.add_argument(
        "--section-min",
        metavar="SECTION=SCORE",
        type=argparse_type(parse_section_min),
        action="append",
        help="minimum for one section, repeatable (e.g. monitor=1.5)",
    )
    gate.add_argument(
        "--require-pass",
        metavar="ID",
        action="append",
        help="a rubric id that must be automated and passing, repeatable "
        "(e.g. infra.4 before promoting a model)",
    )
    gate.set_defaults(func=cmd_gate)

    explain = sub.add_parser("explain", help="what a rubric test asks and how to earn it")
    explain.add_argument("test_id", metavar="ID", help="a rubric id such as model.6")
    explain.set_defaults(func=cmd_explain)

    rubric = sub.add_parser("rubric", help="list the 28 tests")
    rubric.set_defaults(func=cmd_rubric)

    for module_name, command, help_text in _EXTENSIONS:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            missing = sub.add_parser(command, help=f"{help_text} (unavailable: {exc})")
            missing.set_defaults(func=_unavailable(command, exc))
            continue
        module.add_subcommands(sub)
    return parser


def _unavailable(command: str, exc: ImportError) -> object:
    def run(args: argparse.Namespace) -> int:
        extra = " (install mltestscore[torch])" if command == "reference" else ""
        print(f"mltestscore {command}: unavailable: {exc}{extra}", file=sys.stderr)
        return EXIT_USAGE

    return run


def version() -> str:
    """The installed distribution's version (single source: pyproject.toml)."""
    from mltestscore import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
