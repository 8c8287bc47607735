"""Drift/schema checks side by side: mltestscore, plain numpy/scipy, pandera, GX, deepchecks.

    python benchmarks/bench_drift.py --rows 10000,100000
    python benchmarks/bench_drift.py --rows 1000000 --deepchecks-python /tmp/dcvenv/bin/python

Data: reference and current tables of ``rows`` × 30 columns (24 numeric: normal,
log-normal, uniform, Poisson counts; 6 categorical strings), drawn from the same
process with different seeds, then drift planted in 7 columns of the current
table: a 0.5σ mean shift, a doubled spread, a ×1.5 scale on a skewed column, a
Poisson rate 7 → 9, 25 % missing values, a reweighted category, and a 15 %
share of a never-seen category.

Each tool runs in a fresh process, imports done and warmed up once on 2 000 rows
(lazy initialization) before measuring:
- wall time of the whole computation, reference processing included — except the
  ``stored`` row: mltestscore comparing against a summary made at training time,
  the serving-time cost;
- peak memory = peak RSS minus RSS just before the computation, sampled every
  5 ms by a psutil thread (tracemalloc would slow the Python-heavy peers and miss
  Arrow's buffers); glibc's mmap threshold is pinned so freed large arrays leave
  RSS instead of being silently reused;
- drifted columns found, planted columns missed, false alarms.

Judging: effect sizes, not p-values — at a million rows a KS p-value flags
differences nobody cares about. mltestscore and the numpy reference flag KS D ≥ 0.1,
PSI ≥ 0.2, L∞ ≥ 0.1 (categoricals) or a missing-share change ≥ 0.05; GX uses KL
divergence < 0.1 per column (reference deciles / category weights) and a non-null
proportion floor; deepchecks FeatureDrift (KS / Cramér's V, its default 100k-row
sample) is judged at 0.1; pandera validates a schema inferred from the reference
(ranges, nullability) — a schema, not a drift test, reported for its cost.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

PLANTED = ("num_04", "num_08", "num_09", "num_14", "num_19", "cat_02", "cat_05")
TOOLS = ("mltestscore", "stored", "numpy", "pandera", "gx", "deepchecks")
OURS = ("mltestscore", "stored")
EFFECT = {"ks": 0.1, "psi": 0.2, "linf": 0.1, "nan": 0.05}


def make_data(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    def table(seed: int) -> dict[str, Any]:
        rng = np.random.default_rng(seed)
        cols: dict[str, Any] = {}
        for i in range(24):
            kind = i % 4
            if kind == 0:
                cols[f"num_{i:02d}"] = rng.normal(i, 1 + i % 3, rows)
            elif kind == 1:
                cols[f"num_{i:02d}"] = rng.lognormal(0.0, 0.5, rows)
            elif kind == 2:
                cols[f"num_{i:02d}"] = rng.uniform(0.0, 10.0, rows)
            else:
                cols[f"num_{i:02d}"] = rng.poisson(3 + i % 5, rows).astype(float)
        for j in range(6):
            k = 5 + 3 * j
            p = 1.0 / np.arange(1, k + 1)
            cols[f"cat_{j:02d}"] = rng.choice([f"c{j}_{v}" for v in range(k)], rows, p=p / p.sum())
        return cols

    ref, cur = table(1), table(2)
    rng = np.random.default_rng(3)
    cur["num_04"] = cur["num_04"] + 1.0  # 0.5σ (σ = 1 + 4 % 3 = 2)
    cur["num_08"] = 8 + (cur["num_08"] - 8) * 2.0  # spread doubled around its mean
    cur["num_09"] = cur["num_09"] * 1.5
    cur["num_14"] = np.where(rng.random(rows) < 0.25, np.nan, cur["num_14"])
    cur["num_19"] = rng.poisson(9, rows).astype(float)
    cur["cat_02"] = np.where(rng.random(rows) < 0.3, "c2_10", cur["cat_02"])  # rare value → 30 %
    cur["cat_05"] = np.where(rng.random(rows) < 0.15, "new_value", cur["cat_05"])
    return pd.DataFrame(ref), pd.DataFrame(cur)


# -- the tools ----------------------------------------------------------------------------


def run_mltestscore(ref: pd.DataFrame, cur: pd.DataFrame) -> list[str]:
    from mltestscore import stats

    summary = stats.summarize(ref)
    return list(stats.compare(summary, cur).drifted_columns)


def summary_of(ref: pd.DataFrame) -> Any:
    from mltestscore import stats

    return stats.summarize(ref)


def run_stored(summary: Any, cur: pd.DataFrame) -> list[str]:
    """Serving time: the reference summary was computed (and stored) at training time."""
    from mltestscore import stats

    return list(stats.compare(summary, cur).drifted_columns)


def run_numpy(ref: pd.DataFrame, cur: pd.DataFrame) -> list[str]:
    from scipy.stats import ks_2samp

    found = []
    for col in ref.columns:
        r, c = ref[col], cur[col]
        nan_change = abs(float(c.isna().mean()) - float(r.isna().mean()))
        if pd.api.types.is_numeric_dtype(r):
            rv, cv = r.dropna().to_numpy(), c.dropna().to_numpy()
            d = ks_2samp(rv, cv).statistic
            edges = np.concatenate(
                ([-np.inf], np.quantile(rv, np.linspace(0, 1, 11)[1:-1]), [np.inf])
            )
            pr: np.ndarray[Any, Any] = np.histogram(rv, edges)[0] / len(rv)
            pc: np.ndarray[Any, Any] = np.histogram(cv, edges)[0] / len(cv)
            linf = 0.0
        else:
            vr, vc = r.value_counts(normalize=True), c.value_counts(normalize=True)
            keys = vr.index.union(vc.index)
            pr, pc = (
                vr.reindex(keys, fill_value=0).to_numpy(),
                vc.reindex(keys, fill_value=0).to_numpy(),
            )
            d, linf = 0.0, float(np.max(np.abs(pr - pc)))
        pr, pc = np.maximum(pr, 1e-4), np.maximum(pc, 1e-4)
        psi = float(np.sum((pc - pr) * np.log(pc / pr)))
        if (
            d >= EFFECT["ks"]
            or psi >= EFFECT["psi"]
            or linf >= EFFECT["linf"]
            or nan_change >= EFFECT["nan"]
        ):
            found.append(col)
    return found


def run_pandera(ref: pd.DataFrame, cur: pd.DataFrame) -> list[str]:
    import pandera.pandas as pa

    schema = pa.infer_schema(ref)
    try:
        schema.validate(cur, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return sorted({str(c) for c in exc.failure_cases["column"].dropna().unique()})
    return []


def run_gx(ref: pd.DataFrame, cur: pd.DataFrame) -> list[str]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    batch_def = (
        context.data_sources.add_pandas("bench").add_dataframe_asset("current")
        .add_batch_definition_whole_dataframe("all")
    )  # fmt: skip
    suite = gx.ExpectationSuite(name="drift")
    for col in ref.columns:
        values = ref[col]
        if pd.api.types.is_numeric_dtype(values):
            valid = values.dropna().to_numpy()
            edges = np.unique(np.quantile(valid, np.linspace(0, 1, 11)))
            hold = 0.0005  # weight held out for values beyond the reference range
            weights = np.histogram(valid, edges)[0] / len(valid) * (1 - 2 * hold)
            partition = {"bins": edges.tolist(), "weights": weights.tolist(),
                         "tail_weights": [hold, hold]}  # fmt: skip
        else:
            freq = values.value_counts(normalize=True)
            partition = {"values": freq.index.tolist(), "weights": freq.tolist()}
        suite.add_expectation(gxe.ExpectColumnKLDivergenceToBeLessThan(  # type: ignore[attr-defined]
            column=col, partition_object=partition, threshold=0.1))  # fmt: skip
        suite.add_expectation(gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(  # type: ignore[attr-defined]
            column=col, min_value=max(0.0, float(values.notna().mean()) - EFFECT["nan"])))  # fmt: skip
    suite = context.suites.add(suite)
    result = batch_def.get_batch(batch_parameters={"dataframe": cur}).validate(suite)
    failed = [r.expectation_config for r in result.results if not r.success]
    return sorted({c.kwargs["column"] for c in failed if c is not None})


def run_deepchecks(ref: pd.DataFrame, cur: pd.DataFrame) -> list[str]:
    from deepchecks.tabular import Dataset
    from deepchecks.tabular.checks import FeatureDrift

    cats = [c for c in ref.columns if not pd.api.types.is_numeric_dtype(ref[c])]
    check = FeatureDrift(columns=list(ref.columns), n_top_columns=30)
    result = check.run(
        Dataset(ref, cat_features=cats), Dataset(cur, cat_features=cats), with_display=False
    )
    return sorted(c for c, v in result.value.items() if v["Drift score"] >= 0.1)


RUNNERS: dict[str, Callable[[Any, pd.DataFrame], list[str]]] = {
    "mltestscore": run_mltestscore, "stored": run_stored, "numpy": run_numpy, "pandera": run_pandera,
    "gx": run_gx, "deepchecks": run_deepchecks,
}  # fmt: skip
IMPORTS = {  # imported before measuring: import time is not the computation's
    "mltestscore": ("mltestscore.stats", "scipy.special"),
    "stored": ("mltestscore.stats", "scipy.special"),
    "numpy": ("scipy.stats",),
    "pandera": ("pandera.pandas",),
    "gx": ("great_expectations",),
    "deepchecks": ("deepchecks.tabular", "deepchecks.tabular.checks"),
}


# -- measuring one tool in one process ----------------------------------------------------


class PeakRss:
    """Sample this process's RSS every 5 ms; ``peak_mb`` is the rise above the start."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.start = self.peak = self.proc.memory_info().rss
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return float(self.peak - self.start) / 2**20


def worker(tool: str, rows: int) -> dict[str, Any]:
    import importlib
    import warnings

    warnings.simplefilter("ignore")
    try:
        for module in IMPORTS[tool]:
            importlib.import_module(module)
    except Exception as exc:
        return {"tool": tool, "rows": rows, "skipped": f"not installed ({type(exc).__name__})"}
    ref, cur = make_data(rows)
    first = summary_of(ref) if tool == "stored" else ref
    RUNNERS[tool](first if tool == "stored" else ref.iloc[:2000], cur.iloc[:2000])  # warm-up
    gc.collect()
    with PeakRss() as mem:
        start = time.perf_counter()
        found = RUNNERS[tool](first, cur)
        wall = time.perf_counter() - start
    return {"tool": tool, "rows": rows, "wall_s": wall, "peak_mb": mem.peak_mb, "found": found}


def spawn(tool: str, rows: int, python: str, timeout: float) -> dict[str, Any]:
    cmd = [python, os.path.abspath(__file__), "--worker", tool, "--rows", str(rows)]
    env = {
        **os.environ, "GX_ANALYTICS_ENABLED": "false", "PYTHONWARNINGS": "ignore",
        # large arrays always mmap'd, so freed ones leave RSS and new ones show in it
        "MALLOC_MMAP_THRESHOLD_": "131072", "ARROW_DEFAULT_MEMORY_POOL": "system",
    }  # fmt: skip
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"tool": tool, "rows": rows, "skipped": f"timeout after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1][:120]
        return {"tool": tool, "rows": rows, "skipped": f"crashed: {tail}"}
    return dict(json.loads(lines[-1]))


def report(results: list[dict[str, Any]]) -> None:
    print(
        f"{'rows':>9} {'tool':<12} {'wall s':>8} {'×numpy':>7} {'peak MB':>8}  found/7  false alarms"
    )
    for rows in sorted({r["rows"] for r in results}):
        batch = [r for r in results if r["rows"] == rows]
        base = next((r["wall_s"] for r in batch if r["tool"] == "numpy" and "wall_s" in r), None)
        for r in batch:
            if "skipped" in r:
                print(f"{rows:>9} {r['tool']:<12} skipped: {r['skipped']}")
                continue
            found = set(r["found"])
            hits, alarms = found & set(PLANTED), sorted(found - set(PLANTED))
            ratio = f"{r['wall_s'] / base:.2f}" if base else "-"
            shown = ", ".join(alarms[:4]) + (" …" if len(alarms) > 4 else "")
            print(f"{rows:>9} {r['tool']:<12} {r['wall_s']:>8.2f} {ratio:>7} {r['peak_mb']:>8.0f}"
                  f"  {len(hits)}/7      {len(alarms)} {shown}")  # fmt: skip
        ours = next((r for r in batch if r["tool"] == "mltestscore" and "wall_s" in r), None)
        if ours is not None:
            peers = [r for r in batch if r["tool"] not in (*OURS, "numpy") and "wall_s" in r]
            verdict = {
                "faster than every peer": all(ours["wall_s"] < p["wall_s"] for p in peers),
                "within 2x of numpy": base is not None and ours["wall_s"] <= 2 * base,
                "peak < 1 GB": ours["peak_mb"] < 1024,
                "all planted found": set(PLANTED) <= set(ours["found"]),
                "no false alarms": set(ours["found"]) <= set(PLANTED),
            }
            print(f"{'':>9} target at {rows} rows: " + ", ".join(f"{k}: {'yes' if v else 'NO'}"
                                                           for k, v in verdict.items()))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        default="10000,100000",
        metavar="N[,N…]",
        help="row counts to run (default: %(default)s; the issue's full set adds 1000000)",
    )
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        metavar="T[,T…]",
        help="tools to compare (default: %(default)s)",
    )
    parser.add_argument(
        "--deepchecks-python",
        default=sys.executable,
        metavar="PYTHON",
        help="interpreter of the deepchecks environment (default: this one)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="S",
        help="seconds per tool and size before it is reported as timed out",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.rows.split(",") if s]
    if args.worker:
        print(json.dumps(worker(args.worker, sizes[0])))
        return 0
    tools = [t for t in args.tools.split(",") if t]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tool(s) {unknown}; expected some of {list(TOOLS)}")
    results = []
    for rows in sizes:
        for tool in tools:
            python = args.deepchecks_python if tool == "deepchecks" else sys.executable
            results.append(spawn(tool, rows, python, args.timeout))
            print(f"  done {tool} @ {rows}", file=sys.stderr, flush=True)
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
