"""Drift statistics on binned counts, vectorized over columns.

Every function takes reference and current *counts* per bin, either one vector
(``(bins,)``) or one row per column (``(columns, bins)``), and returns one value
per row. Bins empty on both sides contribute nothing, so rows of different
lengths can be zero-padded into one matrix. Scipy is imported inside functions.

- :func:`ks_from_counts` — two-sample Kolmogorov–Smirnov statistic *D* on the
  cumulative counts (exact at the bin edges; a lower bound between them) and its
  asymptotic p-value.
- :func:`psi` — population stability index, ``Σ (c − r) · ln(c / r)`` with
  proportions floored at ``eps`` where one side is empty.
- :func:`js_distance` — Jensen–Shannon distance (base 2, in ``[0, 1]``).
- :func:`chi_square` — chi-square test of homogeneity (2 × bins) and its p-value.
- :func:`linf_distance` — TFDV's L∞ distance, ``max |r − c|`` over proportions.
- :func:`proportion_test` — two-sided two-proportion z-test (NaN share).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

PSI_EPS = 1e-4  # proportion floor for PSI bins that are empty on one side


def _as_counts(counts: npt.ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name}: expected counts of shape (bins,) or (columns, bins), got {arr.shape}"
        )
    if arr.size and (np.any(arr < 0) or not np.all(np.isfinite(arr))):
        raise ValueError(f"{name}: counts must be finite and non-negative")
    return arr


def _pair(ref: npt.ArrayLike, cur: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    r = _as_counts(ref, "reference counts")
    c = _as_counts(cur, "current counts")
    if r.shape != c.shape:
        raise ValueError(f"reference counts {r.shape} and current counts {c.shape} differ in shape")
    return r, c


def _proportions(counts: FloatArray) -> FloatArray:
    totals = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), np.nan)


def ks_from_counts(ref: npt.ArrayLike, cur: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """KS statistic *D* and asymptotic p-value from counts in the same ordered bins."""
    from scipy.special import kolmogorov

    r, c = _pair(ref, cur)
    n_r = r.sum(axis=-1)
    n_c = c.sum(axis=-1)
    cdf_r = np.cumsum(_proportions(r), axis=-1)
    cdf_c = np.cumsum(_proportions(c), axis=-1)
    d = np.max(np.abs(cdf_r - cdf_c), axis=-1) if r.shape[-1] else np.zeros(r.shape[:-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = n_r * n_c / (n_r + n_c)
        p = kolmogorov(d * np.sqrt(n_eff))
    return np.asarray(d, dtype=np.float64), np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)


def psi(ref: npt.ArrayLike, cur: npt.ArrayLike, eps: float = PSI_EPS) -> FloatArray:
    """Population stability index between reference and current bin counts."""
    r, c = _pair(ref, cur)
    pr = _proportions(r)
    pc = _proportions(c)
    both_empty = (r == 0) & (c == 0)
    pr_f = np.maximum(pr, eps)
    pc_f = np.maximum(pc, eps)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(both_empty, 0.0, (pc_f - pr_f) * np.log(pc_f / pr_f))
    return np.asarray(terms.sum(axis=-1), dtype=np.float64)


def js_distance(ref: npt.ArrayLike, cur: npt.ArrayLike) -> FloatArray:
    """Jensen–Shannon distance (square root of the divergence, base 2) in ``[0, 1]``."""
    from scipy.special import rel_entr

    r, c = _pair(ref, cur)
    pr = _proportions(r)
    pc = _proportions(c)
    m = (pr + pc) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        div = (rel_entr(pr, m).sum(axis=-1) + rel_entr(pc, m).sum(axis=-1)) / (2.0 * np.log(2.0))
    return np.asarray(np.sqrt(np.clip(div, 0.0, 1.0)), dtype=np.float64)


def chi_square(ref: npt.ArrayLike, cur: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Chi-square test of homogeneity (reference vs current) per row: statistic, p-value.

    Bins empty on both sides are dropped from the degrees of freedom.
    """
    from scipy.special import chdtrc

    r, c = _pair(ref, cur)
    n_r = r.sum(axis=-1, keepdims=True)
    n_c = c.sum(axis=-1, keepdims=True)
    total = n_r + n_c
    col = r + c
    with np.errstate(invalid="ignore", divide="ignore"):
        e_r = col * n_r / total
        e_c = col * n_c / total
        terms = np.where(col > 0, (r - e_r) ** 2 / e_r + (c - e_c) ** 2 / e_c, 0.0)
    stat = np.nan_to_num(terms, nan=0.0).sum(axis=-1)
    dof = np.maximum((col > 0).sum(axis=-1) - 1, 0)
    with np.errstate(invalid="ignore"):
        p = np.where(dof > 0, chdtrc(np.maximum(dof, 1), stat), 1.0)
    empty = (n_r[..., 0] == 0) | (n_c[..., 0] == 0)
    return (
        np.where(empty, np.nan, stat).astype(np.float64),
        np.where(empty, np.nan, p).astype(np.float64),
    )


def linf_distance(ref: npt.ArrayLike, cur: npt.ArrayLike) -> FloatArray:
    """TFDV's L∞ distance: the largest absolute difference between bin proportions."""
    r, c = _pair(ref, cur)
    diff = np.abs(_proportions(r) - _proportions(c))
    if not r.shape[-1]:
        return np.zeros(r.shape[:-1])
    return np.asarray(np.max(diff, axis=-1), dtype=np.float64)


def proportion_test(
    k_ref: npt.ArrayLike, n_ref: npt.ArrayLike, k_cur: npt.ArrayLike, n_cur: npt.ArrayLike
) -> FloatArray:
    """Two-sided p-value of the two-proportion z-test (``k`` successes out of ``n``)."""
    from scipy.special import ndtr

    k1 = np.asarray(k_ref, dtype=np.float64)
    n1 = np.asarray(n_ref, dtype=np.float64)
    k2 = np.asarray(k_cur, dtype=np.float64)
    n2 = np.asarray(n_cur, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        z = np.abs(k1 / n1 - k2 / n2) / se
        p = np.where(se > 0, 2.0 * ndtr(-z), 1.0)
    return np.asarray(np.nan_to_num(p, nan=1.0), dtype=np.float64)
