"""``mltestscore report REPORT.json -o OUT.html|OUT.md|OUT.svg|OUT.json [--compare PREV.json]
[--print FORMAT]``.

``--print`` writes one text format to standard output, for CI steps:
``--print github`` (workflow-command annotations), ``--print gitlab`` (code-quality JSON),
``--print shields`` (endpoint badge JSON), ``--print markdown``, ``--print terminal``,
``--print short``.

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
PRINT_FORMATS = ("github", "gitlab", "shields", "markdown", "terminal", "short")


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
        default=[],
        help="file to write; repeatable (suffix: .html, .md, .svg or .json)",
    )
    parser.add_argument(
        "--print",
        dest="print_format",
        metavar="FORMAT",
        choices=PRINT_FORMATS,
        default=None,
        help="also write one format to standard output: github (Actions annotations), "
        "gitlab (code-quality JSON), shields (endpoint badge JSON), markdown, terminal, "
        "short (default: none)",
    )
    parser.add_argument(
        "--compare",
        metavar="PREVIOUS.json",
        default=None,
        help="an earlier report: the HTML and Markdown show what rose and fell (default: none)",
    )
    parser.set_defaults(func=cmd_report)


def _printed(report: Any, fmt: str, previous: Any) -> str:
    from mltestscore import reports

    if fmt == "github":
        return reports.render_annotations(report)
    if fmt == "gitlab":
        return reports.render_codequality(report)
    if fmt == "shields":
        return reports.render_endpoint_json(report)
    if fmt == "markdown":
        return reports.render_markdown(report, previous=previous)
    mode = "short" if fmt == "short" else "grid"
    return "".join(line + "\n" for line in reports.render_terminal(report, mode=mode))


def cmd_report(args: argparse.Namespace) -> int:
    from mltestscore.report import ReportError, load_report
    from mltestscore.reports import write_report

    if not args.output and not args.print_format:
        print("mltestscore report: nothing to do: give -o OUT or --print FORMAT", file=sys.stderr)
        return EXIT_USAGE

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
        print(f"wrote {path}", file=sys.stderr if args.print_format else sys.stdout)
    if args.print_format:
        sys.stdout.write(_printed(report, args.print_format, previous))
    return EXIT_OK
