"""model.2: the offline metric ranks model versions the way the online metric does.

The metric log is read with :func:`mltestscore.inputs.tables.as_frame` (a DataFrame, a
CSV/TSV/Parquet/JSON/JSONL path, records or a mapping of columns); one point per model
version, Spearman's rank correlation judged against ``min_spearman``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mltestscore.inputs.arrays import json_number
from mltestscore.inputs.tables import as_frame
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, json_safe

MAX_ROWS = 50


@register_builtin_check("model.2")
def offline_online_correlation(
    metric_log: object,
    *,
    min_spearman: float = 0.7,
    min_versions: int = 5,
    offline_higher_is_better: bool = True,
    online_higher_is_better: bool = True,
) -> CheckResult:
    """The offline metric ranks model versions the way the online metric does (Spearman).

    Inputs: ``metric_log`` — one row per model version (several rows per version
    are averaged) with columns ``version``, ``offline``, ``online``: a DataFrame, a
    CSV/JSON/JSONL path or a list of dicts. Rows with a missing metric are dropped.
    Thresholds: ``min_spearman`` (rank correlation, signed so that "both improve"
    is positive), ``min_versions`` (fewer logged versions fail: a correlation of
    three points means nothing), and the two metrics' directions.
    """
    from scipy.stats import spearmanr

    table = as_frame(metric_log, "metric_log", required=("version", "offline", "online"))
    for col in ("offline", "online"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    usable = table.dropna(subset=["version", "offline", "online"])
    dropped = len(table) - len(usable)
    per_version = usable.groupby("version", sort=False)[["offline", "online"]].mean()
    n = len(per_version)
    shown = per_version.iloc[:MAX_ROWS]
    rows = [
        {"version": json_safe(v)[0], "offline": json_number(off), "online": json_number(on)}
        for v, off, on in zip(shown.index, shown["offline"], shown["online"], strict=True)
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
    evidence.update(
        spearman=round(rho, 4), p_value=json_number(result.pvalue), min_spearman=min_spearman
    )
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
