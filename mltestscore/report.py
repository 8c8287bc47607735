"""The run's report document: built from a scorecard, written as versioned JSON.

Every renderer (terminal, HTML, Markdown, badge) takes this JSON-able dict, so a
report renders the same whether it comes from a live run or a file on disk.
The schema is ``mltestscore/schemas/report-v1.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mltestscore.gate import GateDecision
from mltestscore.manual import ConfigProblem
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
) -> dict[str, Any]:
    """The JSON-able report document for a scored run."""
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
                "status": t.status,
                "points": t.points,
                "reason": t.reason,
                "next_step": t.next_step,
                "automated": [a.to_dict() for a in t.automated],
                "manual": t.manual.to_dict(card.today) if t.manual else None,
                "manual_reason": t.manual_reason,
            }
        )
    created = created or dt.datetime.now(dt.timezone.utc)
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "created": created.isoformat(timespec="seconds"),
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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; reports are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False, default=_json_default) + "\n"


def _json_default(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    for attr in ("tolist", "item"):  # numpy arrays and scalars
        if hasattr(value, attr):
            return getattr(value, attr)()
    return repr(value)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(path, dumps(report))


def json_schema() -> dict[str, Any]:
    text = resources.files("mltestscore").joinpath("schemas/report-v1.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(report: object, *, source: str = "report") -> dict[str, Any]:
    """Check a loaded report against the schema; raise :class:`ReportError` with where and why."""
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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: report file not found") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{path}: not valid JSON (truncated or corrupt?) at line {exc.lineno} "
            f"column {exc.colno}: {exc.msg}"
        ) from None
    return validate(data, source=str(path))
