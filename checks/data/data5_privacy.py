"""data.5: no PII (emails, phones, card numbers, national IDs, IPs) outside declared columns.

The scan is :mod:`mltestscore.checks.data.pii` (counts per column and kind, never the
values; Polars, Parquet datasets and Spark sampled by their own engine); this module
reads the team's input and the ``[tool.mltestscore]`` declarations and judges.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pandas as pd

from mltestscore.checks.data.messages import MAX_TABLE, short_list
from mltestscore.checks.data.pii import KINDS, scan
from mltestscore.context import CheckContext
from mltestscore.engines import is_engine_data
from mltestscore.inputs.tables import as_frame, split_features
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("data.5")
def privacy_controls(
    train_data: Any,
    context: CheckContext | None = None,
    *,
    max_rows: int = 10_000,
    numeric_min_rate: float = 0.5,
    seed: int = 0,
) -> CheckResult:
    """No PII (emails, phones, card numbers, national IDs, IPs) outside declared columns.

    Input: ``train_data`` — a DataFrame, a table path or ``(X_frame, y)``; a
    Polars frame, Parquet folder/dataset or Spark DataFrame is scanned on a
    seeded sample of ``max_rows`` rows its engine draws;
    image/tensor data is *not automated* (a regex scan cannot see PII in pixels:
    record a reviewed privacy assessment instead). Settings:
    ``[tool.mltestscore] pii_allowed_columns`` (names or globs of columns that may
    hold PII) and ``access_controls`` (recorded as evidence; required when allowed
    PII columns are present). Thresholds:
    ``max_rows`` sampled cells per column (seeded); ``numeric_min_rate`` — share of
    an integer column's values that must be card numbers before it is flagged.
    Findings are counts per column and kind, never the values.
    """
    data: Any = train_data
    if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], pd.DataFrame):
        features, labels = split_features(data, None, "train_data")  # scan X and y
        data = features.assign(**{"<target>": labels})
    streamed = is_engine_data(data) and not (  # Polars, Parquet datasets, Spark
        isinstance(data, (str, Path)) and Path(data).is_file()
    )
    if streamed:
        frame = data
    else:
        try:
            frame = as_frame(data, "train_data")
        except TypeError as exc:
            raise NotAutomated(
                f"train_data is {type(data).__name__}, not a table: a PII scan needs text "
                "columns; record a reviewed privacy assessment for image/tensor data"
            ) from exc
    options = context.options if context is not None else {}
    allowed_patterns = list(options.get("pii_allowed_columns", []))
    controls = options.get("access_controls")
    result = scan(
        frame,
        max_rows=max_rows,
        numeric_min_rate=numeric_min_rate,
        seed=seed,
        allowed=lambda c: any(fnmatch.fnmatchcase(c, p) for p in allowed_patterns),
    )

    blocked = [f for f in result.findings if not f.allowed]
    allowed = [f for f in result.findings if f.allowed]
    evidence = {
        "kinds": list(KINDS),
        "scanned_columns": len(result.scanned_columns),
        "skipped_columns": list(result.skipped_columns[:MAX_TABLE]),
        "sampled_rows": result.sampled_rows,
        "findings": [f.to_dict() for f in result.findings][:MAX_TABLE],
        "pii_allowed_columns": allowed_patterns,
        "access_controls": controls,
        "suspicious_column_names": list(result.suspicious_names),
        "engine": result.engine,
    }
    if blocked:
        return CheckResult.failed(
            f"PII found in {len({f.column for f in blocked})} column(s): "
            + short_list(
                [f"{f.column} ({f.kind}: {f.count} of {f.scanned} scanned)" for f in blocked]
            ),
            evidence,
            "Drop, hash or tokenize these columns before training; if a column must keep "
            "PII, list it in [tool.mltestscore] pii_allowed_columns and declare its "
            "access_controls.",
        )
    if allowed and not controls:
        return CheckResult.warned(
            f"PII in allowed column(s) {short_list(sorted({f.column for f in allowed}))} but no "
            "access_controls declared",
            evidence,
            "Declare who may read these columns in [tool.mltestscore] access_controls.",
        )
    if result.suspicious_names:
        return CheckResult.warned(
            "no PII values found, but column names suggest personal data: "
            + short_list(list(result.suspicious_names)),
            evidence,
            "Confirm these columns are anonymised (hashed/tokenized) or drop them.",
        )
    return CheckResult.passed(
        f"no PII found in {len(result.scanned_columns)} text/integer column(s) "
        f"({result.sampled_rows} sampled rows; {len(result.skipped_columns)} numeric/date "
        f"column(s) cannot hold text PII)"
        + (f"; {len(allowed)} allowed finding(s)" if allowed else ""),
        evidence,
    )
