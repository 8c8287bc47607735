"""infra.6's mechanism: running the serving process and reading its answer.

The default process is :mod:`mltestscore.checks.infra.serve` run *as a script*
with ``sys.executable`` (it imports only the runtime and numpy). A team's
``serve_command`` is a command line with ``{artifact}``, ``{inputs}``,
``{outputs}``, ``{report}`` and ``{python}`` placeholders; it must write the
outputs as ``.npy`` and may write a JSON report (or print it as its last line).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import Array

SERVE_SCRIPT = Path(__file__).with_name("serve.py")


@dataclass
class Served:
    """The serving process's answer."""

    outputs: Array | None
    returncode: int
    seconds: float
    report: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""


def _command(
    serve_command: str | Sequence[str] | None, fmt: str, paths: dict[str, str]
) -> list[str]:
    if serve_command is None:
        return [
            sys.executable,
            str(SERVE_SCRIPT),
            "--format",
            "torchscript" if fmt == "torchscript" else "onnx",
            "--artifact",
            paths["artifact"],
            "--inputs",
            paths["inputs"],
            "--outputs",
            paths["outputs"],
            "--report",
            paths["report"],
        ]
    parts = shlex.split(serve_command) if isinstance(serve_command, str) else list(serve_command)
    values = dict(paths, python=sys.executable)
    command = []
    for part in parts:  # plain replacement: other braces (dicts in `python -c`) stay as they are
        text = str(part)
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        command.append(text)
    return command


def _tail(text: str, lines: int = 8) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])[-1200:]


def serve_in_subprocess(
    artifact: Path,
    fmt: str,
    inputs: Array,
    directory: Path,
    serve_command: str | Sequence[str] | None,
    timeout_s: float,
) -> Served:
    paths = {
        "artifact": str(artifact),
        "inputs": str(directory / "canary_inputs.npy"),
        "outputs": str(directory / "served_outputs.npy"),
        "report": str(directory / "serve_report.json"),
    }
    np.save(paths["inputs"], inputs, allow_pickle=False)
    command = _command(serve_command, fmt, paths)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, cwd=directory, check=False
        )
    except subprocess.TimeoutExpired:
        return Served(
            None,
            -1,
            time.perf_counter() - start,
            {"error": f"the serving process did not answer within {timeout_s:g} s"},
        )
    except OSError as exc:
        return Served(
            None,
            -1,
            time.perf_counter() - start,
            {"error": f"cannot start the serving process {command[0]!r}: {exc}"},
        )
    seconds = time.perf_counter() - start
    report = read_report(Path(paths["report"]), proc.stdout)
    outputs = None
    if proc.returncode == 0 and Path(paths["outputs"]).exists():
        try:
            outputs = np.load(paths["outputs"], allow_pickle=False)
        except (ValueError, OSError) as exc:
            report["error"] = f"unreadable outputs (expected a plain .npy array): {exc}"
    elif proc.returncode == 0:
        report.setdefault("error", f"the serving process wrote no outputs at {paths['outputs']}")
    return Served(outputs, proc.returncode, seconds, report, _tail(proc.stderr))


def read_report(path: Path, stdout: str) -> dict[str, Any]:
    """The serving process's JSON report: the ``{report}`` file, else stdout's last line.

    Understood keys: ``load_s``/``load_seconds``, ``latencies_ms`` (one per input) or
    ``latency_ms_per_input``/``latency_ms_per_line``, ``runtime``, ``mode``, ``error``.
    """
    raw: Any = None
    if path.exists():
        with contextlib.suppress(ValueError, OSError):
            raw = json.loads(path.read_text(encoding="utf-8"))
    if raw is None:
        lines = [line for line in stdout.strip().splitlines() if line.strip()]
        if lines:
            with contextlib.suppress(ValueError):
                raw = json.loads(lines[-1])
    if not isinstance(raw, dict):
        return {}
    report: dict[str, Any] = {k: str(raw[k]) for k in ("runtime", "mode", "error") if k in raw}
    for key, value in (
        ("load_s", raw.get("load_s", raw.get("load_seconds"))),
        ("import_s", raw.get("import_s")),
    ):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            report[key] = float(value)
    imported = raw.get("imported")
    if isinstance(imported, list):
        report["imported"] = [str(m) for m in imported]
    latencies = raw.get("latencies_ms")
    if isinstance(latencies, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in latencies
    ):
        report["latencies_ms"] = [float(v) for v in latencies]
    else:
        per = raw.get("latency_ms_per_input", raw.get("latency_ms_per_line"))
        if isinstance(per, (int, float)):
            report["latencies_ms"] = [float(per)]
    return report


def latency_summary(latencies: Sequence[float]) -> dict[str, float | None]:
    """p50, max and mean of the per-input latencies (ms), rounded for evidence."""
    if not latencies:
        return {"p50_ms": None, "max_ms": None, "mean_ms": None}
    values = np.asarray(latencies, dtype=np.float64)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 4),
        "max_ms": round(float(values.max()), 4),
        "mean_ms": round(float(values.mean()), 4),
    }
