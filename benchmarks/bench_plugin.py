"""Plugin overhead: ``pytest --ml-score`` vs plain ``pytest`` on a 200-test project,
and the import time of the plugin module (what every pytest run pays).

Run: ``python benchmarks/bench_plugin.py [--tests 200] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_project(root: Path, n_tests: int) -> None:
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n[tool.mltestscore]\n")
    per_file = 20
    ids = [f"{s}.{i}" for s in ("data", "model", "infra", "monitor") for i in range(1, 8)]
    for f in range(n_tests // per_file):
        lines = ["import pytest", ""]
        for t in range(per_file):
            k = f * per_file + t
            if k % 4 == 0:
                lines.append(f'@pytest.mark.ml_score("{ids[k % len(ids)]}")')
            lines.append(f"def test_{k}():\n    assert sum(range({k % 50})) >= 0\n")
        (root / f"test_{f:03d}.py").write_text("\n".join(lines))


def time_run(root: Path, args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=root,
            check=False,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return times


def import_time(repeats: int) -> list[float]:
    code = (
        "import pytest, time; t=time.perf_counter(); import mltestscore.pytest_plugin.plugin; "
        "print(time.perf_counter()-t)"
    )
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeats)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, args.tests)
        time_run(root, [], 1)  # warm the file cache
        plain = time_run(root, [], args.repeats)
        scored = time_run(root, ["--ml-score"], args.repeats)
    imports = import_time(args.repeats)
    p, s = statistics.median(plain), statistics.median(scored)
    print(f"project: {args.tests} tests, median of {args.repeats} runs")
    print(f"  pytest               {p:8.3f} s")
    print(f"  pytest --ml-score    {s:8.3f} s   ratio {s / p:.2f}x  (+{s - p:.3f} s)")
    print(
        f"  plugin module import {statistics.median(imports) * 1000:8.1f} ms "
        "(median, pytest already imported)"
    )


if __name__ == "__main__":
    main()
