"""Drift at 1M–50M rows: pandas vs Polars vs streamed Parquet vs Spark vs whylogs.

    python benchmarks/bench_engines.py --rows 1000000,10000000,50000000 \\
        --data /tmp/bench-engines --whylogs-python /tmp/wlvenv/bin/python

Data: the planted-drift tables of ``tests/engines/engine_data.py`` (30 columns:
24 numeric, 6 categorical; drift planted in 7 columns), written once to Parquet
in 1M-row files, chunk by chunk in a child process (memory stays flat; the
largest size's files are reused for the smaller ones: a size reads its first
files). ``--keep`` keeps the files; by default they are deleted at the end.

Each tool runs in a fresh process on the same files, reference and current,
reading included:

- ``pandas``: ``pd.read_parquet`` both tables, ``stats.summarize`` + ``compare``;
- ``polars``: ``pl.read_parquet`` (eager, in memory; exact quantiles);
- ``polars-lazy``: ``pl.scan_parquet``, streamed in batches (KLL edges);
- ``parquet``: ``pyarrow.dataset`` row groups, streamed (KLL edges);
- ``spark``: ``spark.read.parquet`` in ``local[2]``, Spark aggregations;
- ``whylogs``: profiles per 500k-row batch merged (its mergeable sketches), then
  its ``calculate_drift_scores`` (KS on KLL, chi-square on frequent items);
  category ``DRIFT`` counts as drifted. whylogs 1.6 needs numpy < 2: give it its
  own interpreter with ``--whylogs-python`` (``pip install "whylogs==1.6.*" "numpy<2"
  "pyarrow<20" "scipy<1.14" ipython``: its drift scores import scipy and IPython).

Peak RSS is the child's ``ru_maxrss`` (``os.wait4``): interpreter, imports and
the JVM (Spark: the Python driver only — the JVM is a grandchild, sampled by
psutil every 50 ms and added). Targets, judged in the same run: the streamed
Polars/Parquet path at 10M takes at most 12× its own 1M time, beats whylogs on
the same data, its peak RSS at 50M is within 1.2× of 10M, every planted drift
is found and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "engines"))

from engine_data import PLANTED  # noqa: E402

CHUNK = 1_000_000
TOOLS = ("pandas", "polars", "polars-lazy", "parquet", "spark", "whylogs")
STREAMED = ("polars-lazy", "parquet")
# tools that hold both tables in memory: skipped above this many rows on a 24 GiB machine
IN_MEMORY_LIMIT = {"pandas": 10_000_000, "polars": 10_000_000}


def generate(folder: Path, rows: int) -> None:
    """Reference and current tables as 1M-row Parquet files (skips files already there)."""
    import pyarrow.parquet as pq
    from engine_data import make_arrow

    for table in ("ref", "cur"):
        (folder / table).mkdir(parents=True, exist_ok=True)
    for k in range(rows // CHUNK):
        names = [folder / t / f"part-{k:04d}.parquet" for t in ("ref", "cur")]
        if all(n.exists() for n in names):
            continue
        tables = make_arrow(CHUNK, seed=1000 + 10 * k)
        for table, name in zip(tables, names, strict=True):
            pq.write_table(table, name, row_group_size=CHUNK // 2)
        del tables


def files(folder: Path, table: str, rows: int) -> list[str]:
    return [str(folder / table / f"part-{k:04d}.parquet") for k in range(rows // CHUNK)]


# -- the tools (run in the child process) ------------------------------------------------


def run_tool(tool: str, folder: Path, rows: int) -> list[str]:
    ref_files, cur_files = files(folder, "ref", rows), files(folder, "cur", rows)
    if tool == "whylogs":
        return run_whylogs(ref_files, cur_files)
    from mltestscore import stats

    if tool == "pandas":
        import pandas as pd

        ref: Any = pd.concat([pd.read_parquet(f) for f in ref_files], ignore_index=True)
        cur: Any = pd.concat([pd.read_parquet(f) for f in cur_files], ignore_index=True)
    elif tool == "polars":
        import polars as pl

        ref, cur = pl.read_parquet(ref_files), pl.read_parquet(cur_files)
    elif tool == "polars-lazy":
        import polars as pl

        ref, cur = pl.scan_parquet(ref_files), pl.scan_parquet(cur_files)
    elif tool == "parquet":
        import pyarrow.dataset as ds

        ref, cur = ds.dataset(ref_files), ds.dataset(cur_files)
    elif tool == "spark":
        ref, cur = _spark_frames(ref_files, cur_files)
    else:
        raise ValueError(f"unknown tool {tool!r}")
    report = stats.compare(stats.summarize(ref), cur)
    if report.engine != ("polars" if tool == "polars" else tool):
        raise RuntimeError(f"{tool}: the report says engine {report.engine!r}")
    return list(report.drifted_columns)


def _spark_frames(ref_files: list[str], cur_files: list[str]) -> tuple[Any, Any]:
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark.read.parquet(*ref_files), spark.read.parquet(*cur_files)


def run_whylogs(ref_files: list[str], cur_files: list[str]) -> list[str]:
    import warnings

    warnings.simplefilter("ignore")
    import pyarrow.dataset as ds
    import whylogs as why
    from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

    def profile(paths: list[str]) -> Any:
        view = None
        for batch in ds.dataset(paths).to_batches(batch_size=500_000):
            part = why.log(batch.to_pandas()).view()
            view = part if view is None else view.merge(part)
        return view

    scores = calculate_drift_scores(
        target_view=profile(cur_files), reference_view=profile(ref_files), with_thresholds=True
    )
    return [c for c, s in scores.items() if s and s.get("drift_category") == "DRIFT"]


def child_main(tool: str, folder: Path, rows: int) -> None:
    start = time.perf_counter()
    drifted = run_tool(tool, folder, rows)
    wall = time.perf_counter() - start
    print(json.dumps({"wall_s": wall, "drifted": drifted}))


# -- the parent: one fresh process per tool and size -------------------------------------


def _jvm_peak(pid: int, stop: threading.Event, out: list[int]) -> None:
    """Peak RSS of the child's descendants (Spark's JVM), sampled every 50 ms."""
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.Error:
        return
    peak = 0
    while not stop.is_set():
        total = 0
        try:
            for proc in parent.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
        except psutil.Error:
            break
        peak = max(peak, total)
        stop.wait(0.05)
    out.append(peak)


def measure(tool: str, folder: Path, rows: int, python: str, timeout: float) -> dict[str, Any]:
    cmd = [python, str(Path(__file__).resolve()), "--child", tool, "--rows", str(rows),
           "--data", str(folder)]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    stop, jvm = threading.Event(), []  # type: ignore[var-annotated]
    sampler = threading.Thread(target=_jvm_peak, args=(proc.pid, stop, jvm), daemon=True)
    sampler.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    stdout = proc.stdout.read() if proc.stdout else b""
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    stop.set()
    sampler.join()
    row: dict[str, Any] = {
        "tool": tool,
        "rows": rows,
        "peak_rss_mb": usage.ru_maxrss / 1024 + (jvm[0] if jvm else 0) / 2**20,
    }
    if status != 0:
        row["error"] = (stderr.decode(errors="replace").strip().splitlines() or ["killed"])[-1][
            :160
        ]
        return row
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    found = set(result["drifted"])
    row.update(
        wall_s=result["wall_s"],
        found=len(found & set(PLANTED)),
        missed=sorted(set(PLANTED) - found),
        false_alarms=sorted(found - set(PLANTED)),
    )
    return row


def render(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'tool':<12} {'rows':>11} {'wall s':>9} {'peak RSS MB':>12} {'found':>6} "
             f"{'missed':>7} {'false alarms':>13}"]  # fmt: skip
    for r in rows:
        if "error" in r:
            lines.append(f"{r['tool']:<12} {r['rows']:>11,} {'—':>9} {r['peak_rss_mb']:>12.0f} "
                         f"error: {r['error']}")  # fmt: skip
            continue
        lines.append(
            f"{r['tool']:<12} {r['rows']:>11,} {r['wall_s']:>9.1f} {r['peak_rss_mb']:>12.0f} "
            f"{r['found']:>4}/{len(PLANTED)} {len(r['missed']):>7} {len(r['false_alarms']):>13}"
        )
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> list[str]:
    def get(tool: str, n: int) -> dict[str, Any] | None:
        return next((r for r in rows if r["tool"] == tool and r["rows"] == n and "error" not in r),
                    None)  # fmt: skip

    out = []
    for tool in STREAMED:
        one, ten, fifty = get(tool, 1_000_000), get(tool, 10_000_000), get(tool, 50_000_000)
        if one and ten:
            ratio = ten["wall_s"] / one["wall_s"]
            out.append(f"{tool}: 10M / 1M time = {ratio:.1f}× (target ≤ 12×) "
                       f"{'OK' if ratio <= 12 else 'MISSED'}")  # fmt: skip
        if ten and fifty:
            ratio = fifty["peak_rss_mb"] / ten["peak_rss_mb"]
            out.append(f"{tool}: peak RSS 50M / 10M = {ratio:.2f}× (target ≤ 1.2×) "
                       f"{'OK' if ratio <= 1.2 else 'MISSED'}")  # fmt: skip
        for n in (1_000_000, 10_000_000, 50_000_000):
            mine, theirs = get(tool, n), get("whylogs", n)
            if mine and theirs:
                speedup = theirs["wall_s"] / mine["wall_s"]
                out.append(f"{tool} vs whylogs at {n:,}: {speedup:.1f}× faster "
                           f"{'OK' if speedup > 1 else 'MISSED'}")  # fmt: skip
    ours = [r for r in rows if r["tool"] != "whylogs" and "error" not in r]
    clean = all(not r["missed"] and not r["false_alarms"] for r in ours)
    out.append(f"mltestscore engines: every planted drift found, no false alarm: "
               f"{'OK' if clean else 'MISSED'}")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000", metavar="N[,N…]")
    parser.add_argument("--tools", default=",".join(TOOLS), metavar="TOOL[,TOOL…]")
    parser.add_argument("--data", default="/tmp/bench-engines", metavar="DIR")
    parser.add_argument("--whylogs-python", default=sys.executable, metavar="PYTHON")
    parser.add_argument("--spark-max-rows", type=int, default=50_000_000, metavar="N")
    parser.add_argument("--whylogs-max-rows", type=int, default=10_000_000, metavar="N")
    parser.add_argument("--timeout", type=float, default=1800.0, metavar="SECONDS")
    parser.add_argument("--json", default=None, metavar="FILE", help="append rows as JSON lines")
    parser.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    folder = Path(args.data)
    if args.child:
        child_main(args.child, folder, sizes[0])
        return
    if args.generate:
        generate(folder, sizes[0])
        return
    free = shutil.disk_usage(folder.parent if not folder.exists() else folder).free
    need = max(sizes) // CHUNK * 2 * 200 * 2**20  # ~200 MB per 1M-row file
    if free < need * 1.2:
        raise SystemExit(f"need ~{need / 2**30:.0f} GiB free in {folder}, have {free / 2**30:.0f}")
    start = time.perf_counter()
    # in a child process: a fork inherits the parent's peak RSS (ru_maxrss), so the
    # parent stays small for the measured children
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--generate", "--rows",
                    str(max(sizes)), "--data", str(folder)], check=True)  # fmt: skip
    print(
        f"data: {max(sizes):,} rows × 30 columns per table in {folder} "
        f"({time.perf_counter() - start:.0f} s to generate)",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    limits = {**IN_MEMORY_LIMIT, "spark": args.spark_max_rows, "whylogs": args.whylogs_max_rows}
    try:
        for n in sizes:
            for tool in args.tools.split(","):
                if n > limits.get(tool, n):
                    continue
                python = args.whylogs_python if tool == "whylogs" else sys.executable
                row = measure(tool, folder, n, python, args.timeout)
                results.append(row)
                print(render([row]).splitlines()[-1], flush=True)
                if args.json:
                    with open(args.json, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(row) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(render(results))
    print()
    print("\n".join(targets(results)))


if __name__ == "__main__":
    main()
