"""model.2 (offline/online correlation) and model.3 (hyperparameter sweeps) on tables.

Both read a table (DataFrame, CSV/JSON path, list of dicts) with
:func:`mltestscore.checks.model_inputs.load_table`, compute numbers, then judge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks.model_inputs import load_table
from mltestscore.results import CheckResult

MAX_ROWS = 50


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def judge_correlation(
    metric_log: object,
    *,
    min_spearman: float,
    min_versions: int,
    offline_higher_is_better: bool,
    online_higher_is_better: bool,
) -> CheckResult:
    """Spearman correlation of offline vs online metric, one point per model version."""
    from scipy.stats import spearmanr

    table = load_table(metric_log, "metric_log", required=("version", "offline", "online"))
    for col in ("offline", "online"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    usable = table.dropna(subset=["version", "offline", "online"])
    dropped = len(table) - len(usable)
    per_version = usable.groupby("version", sort=False)[["offline", "online"]].mean()
    n = len(per_version)
    rows = [
        {"version": _json_key(v), "offline": _num(r.offline), "online": _num(r.online)}
        for v, r in per_version.iloc[:MAX_ROWS].iterrows()
    ]
    evidence: dict[str, Any] = {"n_versions": n, "rows_dropped_missing": dropped, "versions": rows}
    if n < min_versions:
        return CheckResult.failed(
            f"offline/online correlation rests on {n} model version(s); need ≥ {min_versions}",
            evidence,
            "Log the offline metric and the online metric of every model version you serve, "
            f"until at least {min_versions} versions have both.",
        )
    if per_version["offline"].nunique() < 2 or per_version["online"].nunique() < 2:
        return CheckResult.failed(
            f"offline or online metric is constant across {n} versions: no rank correlation",
            evidence,
            "Check that the metric log records each version's own metrics.",
        )
    result = spearmanr(per_version["offline"], per_version["online"])
    sign = 1.0 if offline_higher_is_better == online_higher_is_better else -1.0
    rho = sign * float(result.statistic)
    evidence.update(spearman=round(rho, 4), p_value=_num(result.pvalue), min_spearman=min_spearman)
    if rho < min_spearman:
        return CheckResult.failed(
            f"offline and online metrics correlate weakly: Spearman {rho:.2f} < {min_spearman} "
            f"over {n} versions",
            evidence,
            "The offline metric does not predict online impact: revisit the offline metric, "
            "the evaluation data (is it representative of serving?) or the online measurement.",
        )
    return CheckResult.passed(
        f"offline and online metrics correlate: Spearman {rho:.2f} ≥ {min_spearman} over {n} versions",
        evidence,
    )


def _json_key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _declared(hyperparameters: object) -> tuple[list[str], dict[str, Any] | None]:
    if isinstance(hyperparameters, str):
        return [hyperparameters], None
    if isinstance(hyperparameters, Mapping):
        return [str(k) for k in hyperparameters], {str(k): v for k, v in hyperparameters.items()}
    if isinstance(hyperparameters, Sequence) and all(isinstance(h, str) for h in hyperparameters):
        return list(hyperparameters), None
    raise TypeError(
        "hyperparameters: expected a list of names or a mapping name -> chosen value, "
        f"got {type(hyperparameters).__name__}"
    )


def _matches(column: pd.Series, value: Any) -> pd.Series:
    if isinstance(value, int | float) and not isinstance(value, bool):
        numeric = pd.to_numeric(column, errors="coerce")
        return pd.Series(
            np.isclose(numeric.to_numpy(dtype=float), float(value)), index=column.index
        )
    return column.astype(str) == str(value)


def judge_sweep(
    sweep_results: object,
    hyperparameters: object,
    chosen_config: Mapping[str, Any] | None,
    *,
    min_values: int,
    tolerance: float,
    metric_column: str,
    higher_is_better: bool,
) -> CheckResult:
    """Each declared hyperparameter swept over ≥ ``min_values`` values; chosen ≈ best."""
    names, chosen_from_decl = _declared(hyperparameters)
    if not names:
        raise ValueError("hyperparameters is empty: declare the hyperparameters to check")
    chosen = dict(chosen_config) if chosen_config is not None else chosen_from_decl
    table = load_table(sweep_results, "sweep_results", required=(metric_column,))
    table[metric_column] = pd.to_numeric(table[metric_column], errors="coerce")
    table = table.dropna(subset=[metric_column])
    if table.empty:
        raise ValueError(f"sweep_results: column {metric_column!r} holds no numeric values")
    present = [h for h in names if h in table.columns]
    coverage: list[dict[str, Any]] = [
        {"hyperparameter": h, "n_values": int(table[h].nunique()) if h in present else 0,
         "values": [_json_key(v) for v in table[h].dropna().unique()[:20]] if h in present else []}
        for h in names
    ]  # fmt: skip
    under = [c["hyperparameter"] for c in coverage if c["n_values"] < min_values]
    configs = table.groupby(present, dropna=False)[metric_column].mean() if present else None
    evidence: dict[str, Any] = {
        "n_runs": len(table),
        "coverage": coverage,
        "min_values": min_values,
    }
    if configs is not None:
        best_idx = configs.idxmax() if higher_is_better else configs.idxmin()
        best = float(configs.loc[best_idx])
        key = best_idx if isinstance(best_idx, tuple) else (best_idx,)
        evidence["best"] = {"config": {h: _json_key(v) for h, v in zip(present, key, strict=True)},
                            "metric": best}  # fmt: skip
    gap_msg, gap_fail, warn = "", False, ""
    if chosen is None or configs is None:
        warn = "no chosen configuration given: closeness to the best was not judged"
    else:
        mask = pd.Series(True, index=table.index)
        for h in present:
            if h in chosen:
                mask &= _matches(table[h], chosen[h])
        evidence["chosen"] = {"config": {k: _json_key(v) for k, v in chosen.items()}}
        if not mask.any():
            gap_fail, gap_msg = True, "the chosen configuration never appears in the sweep results"
        else:
            value = float(table.loc[mask, metric_column].mean())
            gap = (best - value) if higher_is_better else (value - best)
            evidence["chosen"].update(metric=value, gap_to_best=gap, tolerance=tolerance)
            if gap > tolerance:
                gap_fail = True
                gap_msg = (
                    f"chosen config is {gap:.4g} worse than the best swept config (> {tolerance})"
                )
    problems = [f"not swept over ≥ {min_values} values: {', '.join(under)}"] if under else []
    problems += [gap_msg] if gap_fail else []
    if problems:
        return CheckResult.failed(
            "hyperparameter tuning incomplete — " + "; ".join(problems),
            evidence,
            f"Sweep every declared hyperparameter over at least {min_values} values and pick "
            "the configuration within tolerance of the best (or record why not).",
        )
    message = f"{len(names)} hyperparameter(s) swept with ≥ {min_values} values each"
    if warn:
        return CheckResult.warned(f"{message}; {warn}", evidence,
                                  "Provide ml_chosen_config (the configuration you ship).")  # fmt: skip
    return CheckResult.passed(f"{message}; chosen config within {tolerance} of the best", evidence)
