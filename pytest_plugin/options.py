"""Command-line options and ini settings (cheap: standard library and pytest only).

Values are parsed by the same functions as ``[tool.mltestscore]`` and the
``mltestscore`` command line (:mod:`mltestscore.settings`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mltestscore.settings import (
    REPORT_FORMATS,
    TERMINAL_MODES,
    ReportTarget,
    argparse_type,
    parse_mlflow_run,
    parse_report_target,
    parse_score,
    parse_section_min,
)


def report_target(text: str) -> ReportTarget:
    try:
        return parse_report_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such report file: {text!r}")
    return path


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("ml-score", "ML Test Score (mltestscore)")
    group.addoption(
        "--ml-score",
        action="store_true",
        default=False,
        dest="ml_score",
        help="score the system with the ML Test Score rubric (default: off; "
        "or set ml_score = true in the ini settings)",
    )
    group.addoption(
        "--no-ml-score",
        action="store_true",
        default=False,
        dest="no_ml_score",
        help="do not score, even when the ini settings say ml_score = true (default: off)",
    )
    group.addoption(
        "--ml-score-report",
        action="append",
        default=[],
        metavar="PATH",
        type=report_target,
        dest="ml_score_report",
        help="write the report to PATH (.json, .html, .md, .svg badge; a name ending in "
        "badge.json is a shields.io endpoint) or FORMAT:PATH with FORMAT one of "
        f"{', '.join(REPORT_FORMATS)}; repeatable "
        "(default: reports/ml-score.json, or [tool.mltestscore] report)",
    )
    group.addoption(
        "--ml-score-fail-under",
        metavar="SCORE",
        type=argparse_type(parse_score),
        default=None,
        dest="ml_score_fail_under",
        help="fail the run when the final score is below SCORE (default: no minimum)",
    )
    group.addoption(
        "--ml-score-section-min",
        metavar="SECTION=SCORE",
        type=argparse_type(parse_section_min),
        action="append",
        default=[],
        dest="ml_score_section_min",
        help="fail the run when SECTION scores below SCORE, repeatable, e.g. monitor=1.5 "
        "(default: none)",
    )
    group.addoption(
        "--ml-score-scale",
        choices=("2017", "2016"),
        default=None,
        dest="ml_score_scale",
        metavar="YEAR",
        help="scoring scale: 2017 (0/0.5/1 per test) or 2016 (0/1/2) (default: 2017)",
    )
    group.addoption(
        "--ml-score-update-baseline",
        action="store_true",
        default=False,
        dest="ml_score_update_baseline",
        help="record a new monitoring baseline (default: compare with the recorded one)",
    )
    group.addoption(
        "--ml-score-compare",
        metavar="PATH",
        type=existing_file,
        default=None,
        dest="ml_score_compare",
        help="a previous JSON report to diff against in the HTML report (default: none)",
    )
    group.addoption(
        "--ml-score-strict",
        action="store_const",
        const=True,
        default=None,
        dest="ml_score_strict",
        help="every configuration problem fails the run with exit code 4, not only those "
        "in gate and threshold keys (default: off, or [tool.mltestscore] strict)",
    )
    group.addoption(
        "--ml-score-report-only",
        action="store_const",
        const=True,
        default=None,
        dest="ml_score_report_only",
        help="failing rubric checks are reported and scored but do not fail the run; "
        "only the gate sets the exit code (default: off, or [tool.mltestscore] report_only)",
    )
    group.addoption(
        "--ml-score-terminal",
        choices=TERMINAL_MODES,
        default=None,
        dest="ml_score_terminal",
        metavar="MODE",
        help="terminal summary: grid (the 4x7 table), short (one line) or none (default: grid)",
    )
    group.addoption(
        "--ml-score-mlflow-run",
        metavar="ID",
        type=argparse_type(parse_mlflow_run),
        default=None,
        dest="ml_score_mlflow_run",
        help="after writing the reports, log the final, section and per-test scores as "
        "metrics and the report files as artifacts of MLflow run ID, or of the active run "
        "with ID = active (needs mltestscore[mlflow]; MLFLOW_TRACKING_URI says where) "
        "(default: not logged)",
    )
    parser.addini(
        "ml_score",
        type="bool",
        default=False,
        help="turn on the ML Test Score as if --ml-score were given",
    )
