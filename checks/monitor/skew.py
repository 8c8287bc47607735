"""monitor.3's element-wise skew: training-side feature code vs. what serving computed.

The team's training-side ``feature_fn(raw) -> features`` recomputes the features of
the logged requests (:func:`recompute`); :func:`compare_features` compares them with
the served ones cell by cell — numbers within ``atol + rtol·|training|`` (NaN equals
NaN), everything else by equality — and names the pattern of each feature's
mismatches (a constant offset, a scale factor, float32 precision, rounding,
missing-value handling, a constant default, case/whitespace, a consistent
re-encoding) without showing any value. Rows are reported by their index label:
index the log by request id. The verdict is in :mod:`.monitor3_skew`.

Over 300 lines: on purpose, the numeric and the label diagnoses are one
rule set, read together with the comparison that feeds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_EXAMPLE_ROWS = 10
MAX_VALUE_PAIRS = 5


def recompute(feature_fn: Callable[[pd.DataFrame], Any], raw: pd.DataFrame) -> pd.DataFrame:
    """``feature_fn(raw)`` as a DataFrame aligned row by row with ``raw``."""
    if not callable(feature_fn):
        raise TypeError(f"feature_fn: expected a callable(raw_df) -> features, got {feature_fn!r}")
    out = feature_fn(raw.copy())
    if isinstance(out, pd.Series):
        out = out.to_frame()
    elif isinstance(out, dict):
        out = pd.DataFrame(out)
    if not isinstance(out, pd.DataFrame):
        raise TypeError(
            f"feature_fn returned {type(out).__name__}; it must return a pandas DataFrame "
            "with one column per feature (named like the served features)"
        )
    if len(out) != len(raw):
        raise ValueError(
            f"feature_fn returned {len(out)} rows for {len(raw)} logged examples; it must "
            "return one row per input row (no filtering) to compare example by example"
        )
    if not out.index.equals(raw.index):
        out = out.set_axis(raw.index, axis=0)
    return out.rename(columns=str)


@dataclass(frozen=True)
class FeatureSkew:
    """How one feature's served values compare with the training code's."""

    feature: str
    kind: str  # "numeric" | "categorical"
    compared: int
    mismatched: int
    missing_mismatches: int  # missing on exactly one side
    max_abs_diff: float | None
    max_rel_diff: float | None
    served_dtype: str
    training_dtype: str
    example_rows: tuple[str, ...]
    diagnosis: str
    value_pairs: tuple[tuple[str, str], ...] = ()  # only with show_values
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)

    @property
    def mismatch_rate(self) -> float:
        return self.mismatched / self.compared if self.compared else 0.0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "feature": self.feature,
            "kind": self.kind,
            "mismatched": self.mismatched,
            "mismatch_rate": round(self.mismatch_rate, 6),
            "missing_mismatches": self.missing_mismatches,
            "max_abs_diff": self.max_abs_diff,
            "max_rel_diff": self.max_rel_diff,
            "served_dtype": self.served_dtype,
            "training_dtype": self.training_dtype,
            "example_rows": list(self.example_rows),
            "diagnosis": self.diagnosis,
        }
        if self.value_pairs:
            data["served_vs_training"] = [list(p) for p in self.value_pairs]
        return data


def _is_number(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    )


def _as_numbers(served: pd.Series, training: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Both sides as float64 when both are numbers (or one side is numeric text)."""
    if _is_number(served) and _is_number(training):
        return served.to_numpy(np.float64, na_value=np.nan), training.to_numpy(
            np.float64, na_value=np.nan
        )
    if _is_number(served) != _is_number(training):
        other = training if _is_number(served) else served
        coerced = pd.to_numeric(other, errors="coerce")
        if int(coerced.isna().sum()) == int(other.isna().sum()):
            s = served if _is_number(served) else coerced
            t = training if _is_number(training) else coerced
            return s.to_numpy(np.float64, na_value=np.nan), t.to_numpy(np.float64, na_value=np.nan)
    return None


def compare_feature(
    name: str,
    served: pd.Series,
    training: pd.Series,
    *,
    atol: float,
    rtol: float,
    show_values: bool = False,
) -> FeatureSkew:
    """Compare one feature cell by cell (see the module docstring)."""
    numbers = _as_numbers(served, training)
    labels = [str(v) for v in served.index]
    max_abs = max_rel = None
    if numbers is not None:
        a, b = numbers
        a_nan, b_nan = np.isnan(a), np.isnan(b)
        one_missing = a_nan ^ b_nan
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(a - b)
            same_inf = np.isinf(a) & (a == b)
            diff = np.where(same_inf | (a_nan & b_nan), 0.0, diff)
            diff = np.where(np.isnan(diff), np.inf, diff)
            bad = one_missing | (diff > atol + rtol * np.abs(np.nan_to_num(b, posinf=0, neginf=0)))
            both = ~(a_nan | b_nan) & np.isfinite(diff)
            if (both & bad).any():
                max_abs = float(diff[both & bad].max())
                rel = diff[both & bad] / np.maximum(np.abs(b[both & bad]), 1e-12)
                max_rel = float(rel.max())
        kind = "numeric"
        diagnosis = _diagnose_numeric(a, b, bad, one_missing, a_nan)
    else:
        s = served.astype(object).to_numpy()
        t = training.astype(object).to_numpy()
        s_na, t_na = pd.isna(s), pd.isna(t)
        one_missing = s_na ^ t_na
        equal = np.fromiter((x == y for x, y in zip(s, t, strict=True)), bool, len(s))
        bad = one_missing | (~equal & ~(s_na & t_na))
        kind = "categorical"
        diagnosis = _diagnose_labels(s, t, bad, one_missing, s_na)
    positions = np.flatnonzero(bad)
    pairs: tuple[tuple[str, str], ...] = ()
    if show_values:
        pairs = tuple(
            (str(served.iloc[i])[:40], str(training.iloc[i])[:40])
            for i in positions[:MAX_VALUE_PAIRS]
        )
    return FeatureSkew(
        feature=name,
        kind=kind,
        compared=len(bad),
        mismatched=int(bad.sum()),
        missing_mismatches=int((bad & one_missing).sum()),
        max_abs_diff=None if max_abs is None else float(f"{max_abs:.6g}"),
        max_rel_diff=None if max_rel is None else float(f"{max_rel:.6g}"),
        served_dtype=str(served.dtype),
        training_dtype=str(training.dtype),
        example_rows=tuple(labels[i] for i in positions[:MAX_EXAMPLE_ROWS]),
        diagnosis=diagnosis if positions.size else "",
        value_pairs=pairs,
        mask=np.asarray(bad, dtype=bool),
    )


def _diagnose_numeric(
    a: np.ndarray, b: np.ndarray, bad: np.ndarray, one_missing: np.ndarray, a_nan: np.ndarray
) -> str:
    if not bad.any():
        return ""
    if (bad == one_missing).all():
        if a_nan[bad].all():
            return "missing-value handling differs: serving sent NaN where the training code computes a value"
        if not a_nan[bad].any():
            return "missing-value handling differs: the training code gives NaN where serving sent a value"
        return "missing-value handling differs (NaN on one side, both directions)"
    m = bad & ~one_missing & np.isfinite(a) & np.isfinite(b)
    if not m.any():
        return "infinite values differ"
    sa, sb = a[m], b[m]
    d = sa - sb
    rel = np.abs(d) / np.maximum(np.abs(sb), 1e-12)
    if rel.max() <= 1e-6:
        return (
            f"differences at float32 precision (max relative {rel.max():.1e}): compute both "
            "sides in the same dtype, or raise rtol"
        )
    if np.ptp(d) <= 1e-9 * max(1.0, float(np.abs(d).max())):
        return f"constant offset: served = training + {float(np.median(d)):.6g}"
    if sa.size >= 2 and np.ptp(sa) == 0:
        return "serving sent one constant value on every mismatching row (a default or fallback?)"
    nonzero = np.abs(sb) > 1e-12
    if nonzero.sum() >= 1 and (nonzero.all() or not (np.abs(sa[~nonzero]) > 1e-12).any()):
        ratio = sa[nonzero] / sb[nonzero]
        if np.ptp(ratio) <= 1e-6 * max(1.0, float(np.abs(ratio).max())):
            return (
                f"scale factor: served = training × {float(np.median(ratio)):.6g} "
                "(a unit or normalization mismatch?)"
            )
    for decimals in range(0, 7):
        if np.allclose(sa, np.round(sa, decimals), rtol=0, atol=1e-12) and (
            np.abs(d).max() <= 0.5 * 10.0**-decimals + 1e-12
        ):
            return f"served values are rounded to {decimals} decimal(s)"
    integral = bool(np.all(sa == np.round(sa)) and np.all(sb == np.round(sb)))
    if integral and _consistent_mapping(list(zip(sa.tolist(), sb.tolist(), strict=True))):
        return (
            "values are consistently re-encoded (each served code stands for one training "
            "code): a different vocabulary, category order or label encoding"
        )
    return (
        f"values differ on {bad.mean():.1%} of examples with no single pattern: compare the "
        "code paths for the listed rows (a branch, a lookup table or a time window that differs)"
    )


def _consistent_mapping(pairs: list[tuple[Any, Any]]) -> bool:
    """True when mismatching (served, training) pairs form a one-to-one map of 2–50 values.

    The map must repeat (more pairs than values): distinct pairs map one-to-one trivially.
    """
    forward: dict[Any, Any] = {}
    try:
        for served, training in pairs:
            if forward.setdefault(served, training) != training:
                return False
    except TypeError:  # unhashable values
        return False
    return (
        2 <= len(forward) <= 50
        and len(pairs) > len(forward)
        and len(set(forward.values())) == len(forward)
    )


def _diagnose_labels(
    s: np.ndarray, t: np.ndarray, bad: np.ndarray, one_missing: np.ndarray, s_na: np.ndarray
) -> str:
    if not bad.any():
        return ""
    if (bad == one_missing).all():
        side = "serving sent missing values" if s_na[bad].all() else "missing values differ"
        return f"missing-value handling differs: {side}"
    idx = np.flatnonzero(bad & ~one_missing)
    pairs = [(s[i], t[i]) for i in idx]
    if all(type(x) is not type(y) for x, y in pairs) and all(str(x) == str(y) for x, y in pairs):
        return "same text, different types (e.g. '1' vs 1): a parsing difference"
    if all(isinstance(x, str) and isinstance(y, str) for x, y in pairs) and all(
        x.strip().casefold() == y.strip().casefold() for x, y in pairs
    ):
        return "values differ only in case or surrounding whitespace"
    if _consistent_mapping(pairs):
        return (
            "values are consistently re-encoded (each served value stands for one training "
            "value): a different vocabulary, category order or label encoding"
        )
    return f"values differ on {bad.mean():.1%} of examples"


@dataclass(frozen=True)
class SkewReport:
    """All features compared for one serving log."""

    examples: int
    features: tuple[FeatureSkew, ...]
    missing_in_training: tuple[str, ...]  # served, but the training code does not produce them
    not_logged: tuple[str, ...]  # produced by the training code, not logged at serving

    def skewed(self, max_mismatch_rate: float) -> tuple[FeatureSkew, ...]:
        return tuple(
            f for f in self.features if f.mismatched and f.mismatch_rate > max_mismatch_rate
        )

    def skewed_rows(self, features: tuple[FeatureSkew, ...]) -> np.ndarray:
        """Positions of the examples where any of ``features`` mismatches."""
        mask = np.zeros(self.examples, dtype=bool)
        for feature in features:
            mask |= feature.mask
        return np.flatnonzero(mask)


def compare_features(
    served: pd.DataFrame,
    training: pd.DataFrame,
    *,
    atol: float,
    rtol: float,
    show_values: bool = False,
) -> SkewReport:
    """Compare every served feature with the recomputed one of the same name."""
    if atol < 0 or rtol < 0:
        raise ValueError(f"atol and rtol must be >= 0, got atol={atol}, rtol={rtol}")
    served = served.rename(columns=str)
    common = [c for c in served.columns if c in training.columns]
    features = tuple(
        compare_feature(c, served[c], training[c], atol=atol, rtol=rtol, show_values=show_values)
        for c in common
    )
    return SkewReport(
        examples=len(served),
        features=features,
        missing_in_training=tuple(c for c in served.columns if c not in training.columns),
        not_logged=tuple(c for c in training.columns if c not in served.columns),
    )
