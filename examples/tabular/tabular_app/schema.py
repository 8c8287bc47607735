"""The intake table's contract, as a pandera schema (rubric data.1 and monitor.2).

Started from ``mltestscore schema infer`` on the training rows and reviewed:
the inferred ranges (observed range ± 10 %) were replaced by plausible physical
ranges per measurement kind, so that a larger tumour than any seen so far still
validates while a change of scale (an export writing area ×100) does not; the
record id format and the site list were added by hand, as was the rule that a
"worst" value (mean of the three largest nuclei) is never below the mean.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from tabular_app.data import SITES, TARGET

# Upper bounds (mean/worst value, standard error) per measurement kind.
RANGES: dict[str, tuple[float, float]] = {
    "radius": (50.0, 5.0),
    "texture": (60.0, 10.0),
    "perimeter": (350.0, 40.0),
    "area": (6000.0, 1000.0),
    "smoothness": (0.4, 0.06),
    "compactness": (1.5, 0.3),
    "concavity": (1.5, 0.6),
    "concave_points": (0.5, 0.1),
    "symmetry": (1.0, 0.15),
    "fractal_dimension": (0.3, 0.05),
}


def _measurement(upper: float) -> pa.Column:
    return pa.Column("float64", pa.Check.in_range(0.0, upper), nullable=False)


def _worst_not_below_mean(kind: str) -> pa.Check:
    def check(frame: pd.DataFrame) -> pd.Series[bool]:
        return frame[f"worst_{kind}"] >= frame[f"mean_{kind}"]

    return pa.Check(check, name=f"worst_{kind}>=mean_{kind}")


def intake_schema(*, labelled: bool = True) -> pa.DataFrameSchema:
    """The schema of intake rows; ``labelled=False`` for serving requests (no diagnosis yet)."""
    columns: dict[str, pa.Column] = {
        "patient_id": pa.Column("str", pa.Check.str_matches(r"^BC-\d{5}$"), unique=True),
        "received_at": pa.Column(
            "datetime64[us]",
            pa.Check.in_range(pd.Timestamp("2020-01-01"), pd.Timestamp("2030-01-01")),
        ),
        "site": pa.Column("str", pa.Check.isin(list(SITES))),
    }
    for kind, (upper, error_upper) in RANGES.items():
        columns[f"mean_{kind}"] = _measurement(upper)
        columns[f"{kind}_error"] = _measurement(error_upper)
        columns[f"worst_{kind}"] = _measurement(upper)
    if labelled:
        columns[TARGET] = pa.Column("int64", pa.Check.isin([0, 1]), nullable=False)
    return pa.DataFrameSchema(
        columns,
        checks=[_worst_not_below_mean(kind) for kind in RANGES],
        strict=False,  # extra columns are reported by data.1 as unchecked, not rejected
        name="intake" if labelled else "serving_request",
    )
