"""The README's main job on an idle machine and under load, in one run.

Scores the recognizer example the way the README's first command does
(``python -m pytest --ml-score --ml-score-report=...`` in ``examples/recognizer``),
once on the machine as it is and once with two busy processes eating both cores,
and prints for each: wall time, exit code, final score, and the verdicts of the
timing-sensitive tests (monitor.1, monitor.6, infra.2). The ratio loaded/idle is
the comparison measured in the same run. ``--fresh-clone`` first clones the
repository's committed ``main`` into a temporary folder and runs the README's
whole first command there, install included (timed separately).

Run: ``python benchmarks/bench_main_job.py [--fresh-clone] [--skip-idle]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WATCH = ("monitor.1", "monitor.6", "infra.2")
BUSY = "while True:\n    pass\n"


@contextmanager
def busy_processes(count: int) -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=10)


def install(repo: Path) -> float:
    """The README's install part in ``repo``: venv, torch==2.13.0 first, then .[dev]."""
    start = time.perf_counter()
    commands = [
        ["python3", "-m", "venv", ".venv"],
        [".venv/bin/pip", "install", "-q", "torch==2.13.0"],
        [".venv/bin/pip", "install", "-q", "-e", ".[dev]"],
    ]
    for command in commands:
        subprocess.run(command, cwd=repo, check=True)
    return time.perf_counter() - start


def score(repo: Path, python: Path, out: Path) -> dict[str, object]:
    """The README's scoring part; returns wall time, exit code and the watched verdicts."""
    out.mkdir(parents=True, exist_ok=True)
    report = out / "ml-score.json"
    start = time.perf_counter()
    proc = subprocess.run(
        [str(python), "-m", "pytest", "--ml-score", f"--ml-score-report={report}",
         f"--ml-score-report={out / 'ml-score.html'}", f"--ml-score-report={out / 'ml-score.md'}"],
        cwd=repo / "examples" / "recognizer", capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
    )  # fmt: skip
    wall = time.perf_counter() - start
    result: dict[str, object] = {"wall_s": round(wall, 1), "rc": proc.returncode}
    if report.exists():
        document = json.loads(report.read_text())
        result["final"] = document["score"]["final"]
        for test in document["tests"]:
            if test["id"] in WATCH:
                result[test["id"]] = f"{test['status']} {test['points']:g}"
    else:
        result["tail"] = proc.stdout[-2000:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh-clone", action="store_true", help="clone main and install")
    parser.add_argument("--skip-idle", action="store_true", help="only the loaded run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mltestscore-main-job-") as tmp:
        repo, python = ROOT, Path(sys.executable)
        if args.fresh_clone:
            repo = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
            print(f"install (README command 1, first part): {install(repo):.1f} s", flush=True)
            python = repo / ".venv" / "bin" / "python"
        rows = []
        if not args.skip_idle:
            idle = score(repo, python, Path(tmp) / "idle")
            rows.append(("idle", idle))
            print(f"idle:   {idle}", flush=True)
        with busy_processes(2):
            loaded = score(repo, python, Path(tmp) / "loaded")
        rows.append(("2 busy processes", loaded))
        print(f"loaded: {loaded}", flush=True)
        if len(rows) == 2:
            ratio = float(loaded["wall_s"]) / max(float(idle["wall_s"]), 1e-9)  # type: ignore[arg-type]
            print(f"wall time loaded/idle: {ratio:.2f}x")
        if any(r["rc"] != 0 for _, r in rows):
            sys.exit(1)


if __name__ == "__main__":
    main()
