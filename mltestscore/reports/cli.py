"""``mltestscore report REPORT.json -o OUT.html|OUT.md|OUT.svg|OUT.json [--compare PREV.json]``.

Imports only the standard library at module level: the main CLI imports this module to
register the subcommand, and rendering loads on use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2
SUFFIXES = (".html", ".md", ".svg", ".json")


def _output(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"cannot tell the format of {text!r}: expected a path ending in {', '.join(SUFFIXES)}"
        )
    return path


def add_subcommands(subparsers: Any) -> None:
    """Register ``report`` on the ``mltestscore`` command line."""
    parser = subparsers.add_parser(
        "report",
        help="render a JSON report as HTML, Markdown, an SVG badge (or JSON again)",
        description="Render a report written by pytest --ml-score. The format follows the "
        "output's suffix: .html (self-contained page), .md (short CI summary), .svg (badge), "
        ".json (validated copy).",
    )
    parser.add_argument(
        "report", metavar="REPORT.json", help="a report written by pytest --ml-score"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        type=_output,
        action="append",
        required=True,
        help="file to write; repeatable (suffix: .html, .md, .svg or .json)",
    )
    parser.add_argument(
        "--compare",
        metavar="PREVIOUS.json",
        default=None,
        help="an earlier report: the HTML and Markdown show what rose and fell (default: none)",
    )
    parser.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from mltestscore.report import ReportError, load_report
    from mltestscore.reports import write_report

    try:
        report = load_report(Path(args.report))
        previous = load_report(Path(args.compare)) if args.compare else None
    except ReportError as exc:
        print(f"mltestscore report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in args.output:
        try:
            write_report(report, path, previous=previous)
        except OSError as exc:
            print(f"mltestscore report: cannot write {path}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote {path}")
    return EXIT_OK
