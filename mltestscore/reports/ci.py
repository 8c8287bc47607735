"""CI annotations from a report document: GitHub Actions workflow commands and a GitLab
code-quality report.

What is reported, in both formats, one item each:

- a test that **failed** or **errored** (error level), with its reason and next step;
- a test that **could not be judged** (``unjudged``: 0 points; warning level);
- an automated evidence entry with a **warning** on a test that did not fail (warning);
- a **configuration problem** (warning, located in its file);
- a failed **deploy gate** (error) and an **incomplete run** (warning).

Passing, manual and not-done tests are not annotated: the summary reports them. Every user
string is cleaned of control characters and bidi overrides (:mod:`mltestscore.text`) before
it is encoded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mltestscore.results import Status, TestStatus
from mltestscore.text import clean, one_line

__all__ = ["Finding", "findings", "render_annotations", "render_codequality"]

Locations = Mapping[str, tuple[str, int | None]]


@dataclass(frozen=True)
class Finding:
    """One thing worth a CI annotation."""

    level: str  # "error" or "warning"
    kind: str  # "failed", "error", "unjudged", "warning", "config", "gate", "incomplete"
    test_id: str  # rubric id, or "" for run-level findings
    title: str  # short, one line
    message: str  # may hold newlines
    key: str  # stable identity of the finding across runs (no numbers from the run)
    path: str | None = None
    line: int | None = None


def findings(report: Mapping[str, Any], locations: Locations | None = None) -> list[Finding]:
    """What :func:`render_annotations` and :func:`render_codequality` report, errors first."""
    locations = locations or {}
    errors: list[Finding] = []
    warnings: list[Finding] = []

    def place(test_id: str) -> tuple[str | None, int | None]:
        where = locations.get(test_id)
        if not where:
            return None, None
        path, line = where
        return str(path), (int(line) if line is not None else None)

    gate = report.get("gate")
    if gate and not gate.get("passed", True):
        reasons = "; ".join(one_line(r, 300) for r in gate.get("reasons") or [])
        message = "Deploy gate failed" + (f": {reasons}" if reasons else "")
        errors.append(Finding("error", "gate", "", "ml-score gate", message, "gate"))
    if report.get("complete", True) is False:
        reason = one_line(report.get("incomplete_reason") or "the run did not finish", 300)
        warnings.append(
            Finding(
                "warning",
                "incomplete",
                "",
                "ml-score incomplete run",
                f"Incomplete run: {reason}. The score counts only what ran.",
                "incomplete",
            )
        )
    for t in report.get("tests") or []:
        test_id = one_line(t.get("id", ""), 40)
        status = str(t.get("status", ""))
        path, line = place(str(t.get("id", "")))
        title = f"ml-score {test_id}"
        head = one_line(t.get("title", ""), 120)
        step = clean(t.get("next_step") or "").strip()
        tail = f"\nNext: {step}" if step else ""
        if status in (TestStatus.FAILED, TestStatus.ERROR):
            label = "ERROR" if status == TestStatus.ERROR else "failed"
            errors.append(
                Finding(
                    "error",
                    status,
                    test_id,
                    title,
                    f"{head}: {label}: {clean(t.get('reason', '')).strip()}{tail}",
                    f"{test_id}/{status}",
                    path,
                    line,
                )
            )
            continue
        if status == TestStatus.UNJUDGED:
            warnings.append(
                Finding(
                    "warning",
                    "unjudged",
                    test_id,
                    title,
                    f"{head}: could not judge (0 points): "
                    f"{clean(t.get('reason', '')).strip()}{tail}",
                    f"{test_id}/unjudged",
                    path,
                    line,
                )
            )
        for a in t.get("automated") or []:
            if a.get("status") != Status.WARN:
                continue
            source = one_line(a.get("source", ""), 200)
            a_step = clean(a.get("next_step") or "").strip()
            warnings.append(
                Finding(
                    "warning",
                    "warning",
                    test_id,
                    title,
                    f"{head}: warning from {source}: {clean(a.get('message', '')).strip()}"
                    + (f"\nNext: {a_step}" if a_step else ""),
                    f"{test_id}/warn/{source}",
                    path,
                    line,
                )
            )
    for p in report.get("config_problems") or []:
        file, key = one_line(p.get("file", ""), 300), one_line(p.get("key", ""), 300)
        warnings.append(
            Finding(
                "warning",
                "config",
                "",
                "ml-score configuration",
                f"{key}: {clean(p.get('message', '')).strip()} (entry ignored)",
                f"config/{file}/{key}",
                file or None,
            )
        )
    return errors + warnings


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_annotations(report: Mapping[str, Any], *, locations: Locations | None = None) -> str:
    """GitHub Actions workflow commands that annotate a run, one line each.

    Print the text to stdout in a workflow step. Format (GitHub's "workflow commands")::

        ::error title=ml-score data.2::All features are beneficial: failed: <reason>%0ANext: ...
        ::error file=tests/test_data.py,line=12,title=ml-score data.7::...
        ::warning title=ml-score monitor.1::Dependency changes ...: warning from builtin:...

    ``::error`` for each failing or erroring test and a failed gate; ``::warning`` for each
    test that could not be judged, each evidence warning, each configuration problem and an
    incomplete run. ``locations`` maps a rubric id to ``(file, line)`` (``line`` may be
    ``None``), relative to the repository root, to attach the annotation to that line.

    Escaping follows GitHub's runner (``@actions/core``): in the message ``%`` → ``%25``,
    ``\\r`` → ``%0D``, ``\\n`` → ``%0A`` (so a message cannot start a new command); in
    property values also ``:`` → ``%3A`` and ``,`` → ``%2C``. Control characters and bidi
    overrides are dropped first. GitHub shows at most 10 errors and 10 warnings per step;
    errors come first. Returns ``""`` when there is nothing to report, else lines ending in
    a newline.
    """
    lines = []
    for f in findings(report, locations):
        props = []
        if f.path:
            props.append(f"file={_property(f.path)}")
            if f.line is not None:
                props.append(f"line={int(f.line)}")
        props.append(f"title={_property(f.title)}")
        lines.append(f"::{f.level} {','.join(props)}::{_data(f.message)}")
    return "".join(line + "\n" for line in lines)


_SEVERITY = {
    "gate": "blocker",
    "error": "critical",
    "failed": "major",
    "unjudged": "minor",
    "warning": "minor",
    "config": "minor",
    "incomplete": "info",
}


def _fingerprint(key: str) -> str:
    return hashlib.sha256(f"mltestscore\0{key}".encode()).hexdigest()


def render_codequality(
    report: Mapping[str, Any],
    *,
    locations: Locations | None = None,
    default_path: str = "pyproject.toml",
) -> str:
    """A GitLab code-quality report (``artifacts:reports:codequality``), as JSON text.

    A JSON array of Code Climate issues, one per finding (see the module docstring)::

        [{"type": "issue", "check_name": "ml-score/data.2", "description": "...",
          "categories": ["Bug Risk"], "severity": "major",
          "fingerprint": "<sha256>", "location": {"path": "...", "lines": {"begin": 1}}}]

    Severity: failed gate ``blocker``, crashed check ``critical``, failed test ``major``,
    could not judge / warning / configuration problem ``minor``, incomplete run ``info``.
    The fingerprint is the SHA-256 of what the finding is about (test id, status, evidence
    source; never the message's numbers), so the same problem keeps its fingerprint from run
    to run and GitLab can tell new problems from fixed ones. ``locations`` maps a rubric id
    to ``(file, line)``; findings without one point at ``default_path``, line 1.
    """
    issues: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for f in findings(report, locations):
        count = seen.get(f.key, 0)
        seen[f.key] = count + 1
        key = f.key if count == 0 else f"{f.key}#{count}"
        check = f"ml-score/{f.test_id}" if f.test_id else f"ml-score/{f.kind}"
        issues.append(
            {
                "type": "issue",
                "check_name": check,
                "description": one_line(f.message.replace("\n", " \u2013 ", 1), 1000),
                "categories": ["Bug Risk"] if f.level == "error" else ["Clarity"],
                "severity": _SEVERITY.get(f.kind, "minor"),
                "fingerprint": _fingerprint(key),
                "location": {
                    "path": f.path or default_path,
                    "lines": {"begin": f.line if f.line is not None else 1},
                },
            }
        )
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"
