"""The run's report document: built from a scorecard, written as versioned JSON.

Every renderer (terminal, HTML, Markdown, badge) takes this JSON-able dict, so a
report renders the same whether it comes from a live run or a file on disk.
The schema is ``mltestscore/schemas/report-v1.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import secrets
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mltestscore.gate import GateDecision
from mltestscore.manual import ConfigProblem
from mltestscore.results import json_safe
from mltestscore.rubric import RUBRIC_BY_ID, SECTION_TITLES, SECTIONS
from mltestscore.scoring import Scorecard

SCHEMA_ID = "mltestscore/report"
SCHEMA_VERSION = 1


class ReportError(ValueError):
    """A report file that cannot be used: missing, truncated, wrong version, invalid."""


def build_report(
    card: Scorecard,
    *,
    problems: Sequence[ConfigProblem] = (),
    gate: GateDecision | None = None,
    error_analysis: Mapping[str, Any] | None = None,
    project: str = "",
    duration_s: float | None = None,
    created: dt.datetime | None = None,
    complete: bool = True,
    incomplete_reason: str = "",
) -> dict[str, Any]:
    """The JSON-able report document for a scored run.

    ``complete`` is false for a run that was interrupted, failed to collect, or
    stopped before every rubric check ran: its score counts only what was judged,
    the renderers say so, and the gate fails it. The document is strict JSON
    (non-finite numbers in evidence or error analysis become ``null``).
    """
    from mltestscore import __version__

    tests = []
    for t in card.tests:
        rubric = RUBRIC_BY_ID[t.test_id]
        tests.append(
            {
                "id": t.test_id,
                "section": t.section,
                "title": t.title,
                "asks": rubric.asks,
                "status": t.status.value,
                "points": t.points,
                "reason": t.reason,
                "next_step": t.next_step,
                "automated": [a.to_dict() for a in t.automated],
                "manual": t.manual.to_dict(card.today) if t.manual else None,
                "manual_reason": t.manual_reason,
            }
        )
    created = created or dt.datetime.now(dt.UTC)
    document = {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "created": created.isoformat(timespec="seconds"),
        "complete": bool(complete),
        "incomplete_reason": "" if complete else (incomplete_reason or "the run did not finish"),
        "project": project,
        "mltestscore_version": __version__,
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "executable": sys.executable,
        },
        "duration_s": duration_s,
        "score": {
            "scale": card.scale,
            "final": card.final,
            "max_section": card.max_section,
            "band": card.band.to_dict(),
            "sections": {
                s: {"score": card.sections[s], "title": SECTION_TITLES[s]} for s in SECTIONS
            },
        },
        "tests": tests,
        "config_problems": [p.to_dict() for p in problems],
        "gate": gate.to_dict() if gate else None,
        "error_analysis": dict(error_analysis) if error_analysis else None,
    }
    document["error_analysis"] = safe_error_analysis(error_analysis)
    clean, _ = json_safe(document)
    result: dict[str, Any] = clean
    return result


def safe_error_analysis(section: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The error-analysis section as strict JSON; non-finite values named in its notes."""
    if not section:
        return None
    clean, replaced = json_safe(dict(section))
    if replaced and isinstance(clean, dict):
        listed = ", ".join(replaced[:20])
        clean["notes"] = (
            f"{clean.get('notes') or ''} Not finite, written as null: {listed}.".strip()
        )
    return dict(clean) if isinstance(clean, dict) else None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash never leaves a half-written file.

    The temporary file is created with mode 0o666 and the kernel applies the
    process umask, as for any new file: the umask is never read or changed (a
    momentary ``os.umask(0)`` would race every other thread creating files).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise FileExistsError(f"{path}: could not create a temporary file beside it")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def dumps(report: Mapping[str, Any]) -> str:
    """Strict JSON text (no NaN/Infinity; anything not JSON-able converted first)."""
    clean, _ = json_safe(report)
    return json.dumps(clean, indent=2, sort_keys=False, allow_nan=False) + "\n"


def write_json(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(path, dumps(report))


def json_schema() -> dict[str, Any]:
    text = resources.files("mltestscore").joinpath("schemas/report-v1.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(report: object, *, source: str = "report") -> dict[str, Any]:
    """Check a loaded report against the schema; raise :class:`ReportError` with where and why."""
    try:
        return _validate(report, source)
    except RecursionError:
        raise ReportError(f"{source}: invalid report: nested too deeply") from None


def _validate(report: object, source: str) -> dict[str, Any]:
    if not isinstance(report, dict):
        raise ReportError(f"{source}: expected a JSON object, got {type(report).__name__}")
    if report.get("schema") != SCHEMA_ID:
        raise ReportError(f"{source}: not an mltestscore report (schema {report.get('schema')!r})")
    if report.get("version") != SCHEMA_VERSION:
        raise ReportError(
            f"{source}: report version {report.get('version')!r} is not supported; "
            f"this mltestscore reads version {SCHEMA_VERSION}"
        )
    import jsonschema

    validator = jsonschema.Draft202012Validator(json_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ReportError(
            f"{source}: invalid report at {where}: {first.message}"
            + (f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else "")
        )
    return report


def load_report(path: Path) -> dict[str, Any]:
    """Read and validate a report file; :class:`ReportError` names the file and the problem."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise ReportError(f"{path}: report file is larger than {MAX_REPORT_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: report file not found") from None
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not a text file (not UTF-8 at byte {exc.start})") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read report: {exc}") from None
    return loads(text, source=str(path))


def loads(text: str, *, source: str = "report") -> dict[str, Any]:
    """Parse and validate report text: strict JSON only (NaN and Infinity are refused)."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{source}: not valid JSON (truncated or corrupt?) at line {exc.lineno} "
            f"column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # _refuse_constant
        raise ReportError(f"{source}: not valid JSON: {exc}") from None
    except RecursionError:
        raise ReportError(f"{source}: not a report: JSON nested too deeply") from None
    return validate(data, source=source)


MAX_REPORT_BYTES = 256 * 1024 * 1024


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as infinity
        raise ValueError(f"{text} is too large for a finite number")
    return value


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number (a report holds finite numbers only)")
