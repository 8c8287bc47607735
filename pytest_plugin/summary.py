"""The terminal summary of a scored run: the grid (or one line), problems, outputs, gate.

Colour goes through pytest's terminal writer, so ``--color=no`` and a non-terminal
output get plain text. On GitHub Actions (``GITHUB_ACTIONS=true``) the failing checks
are also printed as ``::error``/``::warning`` workflow commands.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.results import Status

if TYPE_CHECKING:
    from mltestscore.pytest_plugin.session import MLScoreSession


def summarize(plugin: MLScoreSession, tr: Any) -> None:
    if plugin.not_scored:
        tr.write_line(f"ML Test Score: {plugin.not_scored}", yellow=True)
        return
    report = plugin.report
    if report is None:
        return
    import mltestscore.reports as reports

    mode = plugin.settings.terminal
    colour = bool(plugin.config.get_terminal_writer().hasmarkup)
    lines = reports.render_terminal(
        report, verbose=plugin.config.option.verbose > 0, mode=mode, colour=colour
    )
    if mode != "none":
        tr.write_sep("=", "ML Test Score")
    for line in lines:
        tr.write_line(line)
    if mode == "none" and not report.get("complete", True):
        tr.write_line(
            f"ML Test Score: incomplete run: {report.get('incomplete_reason', '')}", yellow=True
        )
    for path in plugin.written:
        tr.write_line(f"ML Test Score report written: {path}")
    for line in plugin.logged:
        tr.write_line(line)
    for error in plugin.write_errors:
        tr.write_line(error, red=True)
    for problem in plugin.run_problems.values():
        tr.write_line(f"ML Test Score configuration error: {problem}", red=True, bold=True)
    if plugin.gate is not None:
        if plugin.gate.passed:
            tr.write_line(plugin.gate.summary, green=True)
        else:
            tr.write_line(plugin.gate.summary, red=True, bold=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        text = reports.render_annotations(report, locations=locations(plugin))
        for line in text.splitlines():
            tr.write_line(line)


def locations(plugin: MLScoreSession) -> dict[str, tuple[str, int | None]]:
    """Where an annotation for each rubric id points, relative to the project root.

    A failing team test points at its test file; a failing check at the definition of
    the first ``ml_*`` fixture that fed it (``def ml_model`` in a conftest.py).
    """
    root = plugin.settings.root
    found: dict[str, tuple[str, int | None]] = {}
    for nodeid, (ids, status, _) in sorted(plugin.tests.items()):
        if status in (Status.FAIL, Status.ERROR):
            path = _relative(plugin.config.rootpath / nodeid.split("::", 1)[0], root)
            for test_id in ids:
                found.setdefault(test_id, (path, None))
    wanted = {f for names in plugin.fixtures.values() for f in names}
    defined = fixture_definitions(root, wanted) if wanted else {}
    for test_id, names in plugin.fixtures.items():
        for name in names:
            if name in defined and test_id not in found:
                found[test_id] = defined[name]
    return found


def fixture_definitions(root: Path, names: set[str]) -> dict[str, tuple[str, int | None]]:
    """``def <name>`` lines in the project's conftest.py files (hidden folders and venvs skipped)."""
    found: dict[str, tuple[str, int | None]] = {}
    pattern = re.compile(r"^\s*(?:async\s+)?def\s+(ml_\w+)\s*\(", re.MULTILINE)
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [
            d for d in subdirs if not d.startswith(".") and d not in _SKIP and "venv" not in d
        ]
        if "conftest.py" not in files:
            continue
        path = Path(directory) / "conftest.py"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in pattern.finditer(text):
            if match.group(1) in names and match.group(1) not in found:
                line = text.count("\n", 0, match.start(1)) + 1
                found[match.group(1)] = (_relative(path, root), line)
    return found


_SKIP = {"node_modules", "build", "dist", "__pycache__", "site-packages"}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
