"""infra.3: running a planned pipeline stage by stage, and judging the run.

See :mod:`mltestscore.checks.infra_pipeline` for the stage protocol.
"""

from __future__ import annotations

import sysconfig
import tempfile
import time
import traceback
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mltestscore.checks.infra_arrays import describe, rounded
from mltestscore.checks.infra_pipeline import WORKDIR, Binding, consumers


@dataclass
class StageOutcome:
    """One stage's result; ``status`` is ``ok``, ``failed`` or ``not_run``."""

    name: str
    status: str = "not_run"
    seconds: float = 0.0
    output: str = ""
    error: str = ""
    where: str = ""
    warnings: list[str] = field(default_factory=list)
    output_value: Any = None  # kept for the judge (metrics, predictions); not in evidence

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "stage": self.name,
            "status": self.status,
            "seconds": rounded(self.seconds, 4),
        }
        for key in ("output", "error", "where"):
            if getattr(self, key):
                row[key] = getattr(self, key)
        if self.warnings:
            row["warnings"] = self.warnings
        return row


def _library_paths() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(str(Path(p).resolve()) for p in paths if p)


def user_frame(exc: BaseException) -> str:
    """``file:line in function`` of the deepest traceback frame in the team's code."""
    frames = traceback.extract_tb(exc.__traceback__)
    libraries = _library_paths()
    here = str(Path(__file__).resolve())
    own = [
        f
        for f in frames
        if str(Path(f.filename).resolve()) != here
        and not str(Path(f.filename).resolve()).startswith(libraries)
    ]
    frame = own[-1] if own else (frames[-1] if frames else None)
    if frame is None:
        return ""
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _warning_lines(caught: Sequence[warnings.WarningMessage], cap: int = 3) -> list[str]:
    lines: list[str] = []
    for w in caught:
        line = f"{w.category.__name__}: {w.message}".replace("\n", " ")[:160]
        if line not in lines:
            lines.append(line)
    more = len({str(w.message) for w in caught}) - len(lines[:cap])
    return lines[:cap] + ([f"… and {more} more"] if more > 0 else [])


def _call(binding: Binding, outputs: Mapping[str, Any], workdir: Path) -> Any:
    kwargs = {param: outputs[source] for param, source in binding.named}
    if binding.workdir:
        kwargs[WORKDIR] = workdir
    args = [outputs[binding.previous]] if binding.previous is not None else []
    return binding.fn(*args, **kwargs)


def run_stages(bindings: Sequence[Binding]) -> tuple[list[StageOutcome], list[dict[str, Any]]]:
    """Run the stages in order until one fails; returns outcomes and workdir artifacts."""
    outcomes = [StageOutcome(b.name) for b in bindings]
    needed = consumers(bindings)
    outputs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mltestscore-infra3-") as tmp:
        workdir = Path(tmp)
        for binding, outcome in zip(bindings, outcomes, strict=True):
            start = time.perf_counter()
            value: Any = None
            caught: list[warnings.WarningMessage] = []
            try:
                with warnings.catch_warnings(record=True) as recorded:
                    warnings.simplefilter("always")
                    caught = recorded if recorded is not None else []
                    value = _call(binding, outputs, workdir)
            except SystemExit as exc:  # a CLI entry point used as a stage
                if exc.code not in (0, None):
                    outcome.error = f"SystemExit: the stage exited with status {exc.code!r}"
            except Exception as exc:
                outcome.error, outcome.where = _one_line(exc), user_frame(exc)
            outcome.seconds = time.perf_counter() - start
            outcome.warnings = _warning_lines(caught)
            if not outcome.error and value is None and needed[binding.name]:
                users = needed[binding.name]
                verb = "needs" if len(users) == 1 else "need"
                outcome.error = f"returned None, but {', '.join(users)} {verb} its output"
            if outcome.error:
                outcome.status = "failed"
                break
            outcome.status, outcome.output, outcome.output_value = "ok", describe(value), value
            outputs[binding.name] = value
        artifacts = sorted(
            (
                {"file": str(p.relative_to(workdir)), "bytes": p.stat().st_size}
                for p in workdir.rglob("*")
                if p.is_file()
            ),
            key=lambda row: str(row["file"]),
        )[:10]
    return outcomes, artifacts
