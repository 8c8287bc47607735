"""Planted-drift tables shared by the engine tests and ``benchmarks/bench_engines.py``.

30 columns: 24 numeric (normal, log-normal, uniform, Poisson counts) and 6
categorical strings (Zipf-like weights); the current table has drift planted in
the ``PLANTED`` columns (0.5σ shift, doubled spread, ×1.5 scale, 25 % missing,
Poisson 7 → 9, a rare category at 30 %, a never-seen category at 15 %) and both
tables have 2 % missing values in ``cat_01``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PLANTED = ("num_04", "num_08", "num_09", "num_14", "num_19", "cat_02", "cat_05")
MISSING = -1  # category code of a missing value


def make_columns(
    rows: int, seed: int = 1
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """Reference and current columns; categoricals as integer codes into ``labels``."""
    labels = {f"cat_{j:02d}": [f"c{j}_{v}" for v in range(5 + 3 * j)] for j in range(6)}
    labels["cat_05"] = [*labels["cat_05"], "new_value"]

    def table(s: int) -> dict[str, Any]:
        rng = np.random.default_rng(s)
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
            cols[f"cat_{j:02d}"] = rng.choice(k, rows, p=p / p.sum())
        return cols

    ref, cur = table(seed), table(seed + 1)
    rng = np.random.default_rng(seed + 2)
    cur["num_04"] = cur["num_04"] + 1.0
    cur["num_08"] = 8 + (cur["num_08"] - 8) * 2.0
    cur["num_09"] = cur["num_09"] * 1.5
    cur["num_14"] = np.where(rng.random(rows) < 0.25, np.nan, cur["num_14"])
    cur["num_19"] = rng.poisson(9, rows).astype(float)
    cur["cat_02"] = np.where(rng.random(rows) < 0.3, 10, cur["cat_02"])  # c2_10: rare → 30 %
    cur["cat_05"] = np.where(rng.random(rows) < 0.15, len(labels["cat_05"]) - 1, cur["cat_05"])
    ref["cat_01"] = np.where(rng.random(rows) < 0.02, MISSING, ref["cat_01"])
    cur["cat_01"] = np.where(rng.random(rows) < 0.02, MISSING, cur["cat_01"])
    return ref, cur, labels


def make_data(rows: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current pandas frames (strings as objects, None for missing)."""
    ref, cur, labels = make_columns(rows, seed)

    def frame(cols: dict[str, Any]) -> pd.DataFrame:
        out = dict(cols)
        for name, names in labels.items():
            values = np.array([*names, None], dtype=object)
            out[name] = values[cols[name]]  # code -1 → None
        return pd.DataFrame(out)

    return frame(ref), frame(cur)


def make_arrow(rows: int, seed: int = 1) -> tuple[Any, Any]:
    """The same tables as ``pyarrow.Table`` (strings built in Arrow: fast for 50M rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ref, cur, labels = make_columns(rows, seed)

    def table(cols: dict[str, Any]) -> Any:
        arrays = {}
        for name, values in cols.items():
            if name in labels:
                codes = pa.array(values, mask=values == MISSING)
                arrays[name] = pc.take(pa.array(labels[name], pa.string()), codes)
            else:
                arrays[name] = pa.array(values)
        return pa.table(arrays)

    return table(ref), table(cur)
