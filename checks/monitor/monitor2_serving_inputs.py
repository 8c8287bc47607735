"""monitor.2 — data invariants hold for serving inputs.

A logged sample of serving inputs is validated against the data.1 schema by
:func:`mltestscore.schema.validate` (lazy: every failure counted), which reads a
table path through :mod:`mltestscore.inputs.tables` and Polars/Arrow/Spark data on
their own engines; the failure rate per column is judged here.
"""

from __future__ import annotations

from typing import Any

from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult
from mltestscore.schema import validate

NEXT_STEP = (
    "Find where serving inputs stopped matching the training expectations (an upstream "
    "change, a new category, a unit change, missing values) and fix the producer; if the "
    "new values are legitimate, update the schema (data.1) and retrain."
)


@register_builtin_check("monitor.2")
def serving_inputs_valid(
    schema: Any, serving_data: Any, *, max_failure_rate: float = 0.01
) -> CheckResult:
    """Data invariants hold for serving inputs: a logged sample validates against the schema.

    Inputs: ``schema`` — the data.1 schema (pandera, Great Expectations, a
    ``TensorSchema`` or a schema JSON path); ``serving_data`` — logged serving
    inputs (DataFrame, or a CSV/Parquet/JSONL path; arrays for a TensorSchema).
    Validation is lazy (every failure is counted) via
    :func:`mltestscore.schema.validate`.

    Threshold: ``max_failure_rate`` — the largest share of rows failing in any one
    column (default 0.01); beyond it the check fails, below it any failure warns.
    """
    report = validate(schema, serving_data, lazy=True, what="serving_data")
    rates = dict(report.failure_rate_by_column)
    over = {c: r for c, r in rates.items() if r > max_failure_rate}
    evidence = {**report.to_evidence(), "max_failure_rate": max_failure_rate}
    checks: dict[str, list[str]] = {}
    for failure in report.failures:
        checks.setdefault(failure.column, []).append(failure.check)
    listed = ", ".join(
        f"{c!r} {r:.1%} ({', '.join(checks.get(c, [])[:3]) or 'failed'})"
        for c, r in sorted((over or rates).items(), key=lambda kv: -kv[1])[:10]
    )
    if over or (not report.valid and not rates):
        failed = "; ".join(f"{f.column}: {f.check} ×{f.count}" for f in report.failures[:5])
        return CheckResult.failed(
            f"{len(over)} column(s) of {report.rows} serving rows fail the schema beyond "
            f"max_failure_rate {max_failure_rate:.1%}: {listed or failed}",
            evidence,
            NEXT_STEP,
        )
    if rates or not report.valid:
        return CheckResult.warned(
            f"serving inputs fail the schema in {len(rates)} column(s), within "
            f"max_failure_rate {max_failure_rate:.1%}: {listed}",
            evidence,
            NEXT_STEP,
        )
    unchecked = (
        f"; {len(report.unchecked_columns)} column(s) not in the schema"
        if report.unchecked_columns
        else ""
    )
    return CheckResult.passed(
        f"all {report.rows} serving rows validate against the schema "
        f"({len(report.checked_columns)} columns checked{unchecked})",
        evidence,
    )
