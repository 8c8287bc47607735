"""model.3: every declared hyperparameter was swept, and the chosen configuration is near the best.

The sweep results are read with :func:`mltestscore.inputs.tables.as_frame` (a DataFrame,
a CSV/TSV/Parquet/JSON/JSONL path, records or a mapping of columns); repeated
configurations are averaged before the best one is picked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.inputs.tables import as_frame
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, json_safe


@register_builtin_check("model.3")
def hyperparameters_tuned(
    sweep_results: object,
    hyperparameters: object,
    chosen_config: Mapping[str, Any] | None = None,
    *,
    min_values: int = 3,
    tolerance: float = 0.01,
    metric_column: str = "metric",
    higher_is_better: bool = True,
) -> CheckResult:
    """Every declared hyperparameter was swept, and the chosen configuration is near the best.

    Inputs: ``sweep_results`` — one row per run, a column per hyperparameter and
    ``metric_column`` (DataFrame, CSV/JSON path or list of dicts; repeated
    configurations are averaged); ``hyperparameters`` — the declared names, or a
    mapping name -> chosen value; ``chosen_config`` — name -> value of the shipped
    configuration (optional; without it closeness to the best is not judged: warn).
    Thresholds: ``min_values`` distinct values per hyperparameter; ``tolerance`` —
    how much worse (metric units) than the best configuration the chosen one may be.
    """
    names, chosen_from_decl = _declared(hyperparameters)
    if not names:
        raise ValueError("hyperparameters is empty: declare the hyperparameters to check")
    chosen = dict(chosen_config) if chosen_config is not None else chosen_from_decl
    table = as_frame(sweep_results, "sweep_results", required=(metric_column,))
    table[metric_column] = pd.to_numeric(table[metric_column], errors="coerce")
    table = table.dropna(subset=[metric_column])
    if table.empty:
        raise ValueError(f"sweep_results: column {metric_column!r} holds no numeric values")
    present = [h for h in names if h in table.columns]
    coverage: list[dict[str, Any]] = [
        {"hyperparameter": h, "n_values": int(table[h].nunique()) if h in present else 0,
         "values": json_safe(list(table[h].dropna().unique()[:20]))[0] if h in present else []}
        for h in names
    ]  # fmt: skip
    under = [c["hyperparameter"] for c in coverage if c["n_values"] < min_values]
    evidence: dict[str, Any] = {
        "n_runs": len(table),
        "coverage": coverage,
        "min_values": min_values,
    }
    best = None
    if present:
        configs = table.groupby(present, dropna=False)[metric_column].mean()
        means = configs.to_numpy(dtype=float)
        at = int(np.argmax(means) if higher_is_better else np.argmin(means))
        best = float(configs.iloc[at])
        key = configs.index[at]
        key = key if isinstance(key, tuple) else (key,)
        evidence["best"] = {"config": json_safe(dict(zip(present, key, strict=True)))[0],
                            "metric": best}  # fmt: skip
    gap_msg, warn = "", ""
    if chosen is None or best is None:
        warn = "no chosen configuration given: closeness to the best was not judged"
    else:
        mask = pd.Series(True, index=table.index)
        for h in present:
            if h in chosen:
                mask &= _matches(table[h], chosen[h])
        evidence["chosen"] = {"config": json_safe(chosen)[0]}
        if not mask.any():
            gap_msg = "the chosen configuration never appears in the sweep results"
        else:
            value = float(table.loc[mask, metric_column].mean())
            gap = (best - value) if higher_is_better else (value - best)
            evidence["chosen"].update(metric=value, gap_to_best=gap, tolerance=tolerance)
            if gap > tolerance:
                gap_msg = (
                    f"chosen config is {gap:.4g} worse than the best swept config (> {tolerance})"
                )
    problems = [f"not swept over ≥ {min_values} values: {', '.join(under)}"] if under else []
    problems += [gap_msg] if gap_msg else []
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


def _declared(hyperparameters: object) -> tuple[list[str], dict[str, Any] | None]:
    """The declared names, and the chosen values when declared as a mapping."""
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
    """Rows of a sweep column equal to a chosen value (numbers compared with tolerance)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        numeric = pd.to_numeric(column, errors="coerce")
        return pd.Series(
            np.isclose(numeric.to_numpy(dtype=float), float(value)), index=column.index
        )
    return column.astype(str) == str(value)
