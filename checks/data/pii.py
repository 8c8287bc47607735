"""The PII scanner behind data.5: counts per column and kind, never the values.

Kinds: ``email``, ``phone`` (North American and ``+``-prefixed international
formats), ``payment_card`` (13–19 digits, known issuer prefix, Luhn-valid),
``us_ssn`` (``ddd-dd-dddd`` with the SSA's never-issued ranges excluded),
``uk_nino`` (National Insurance number), ``ipv4`` and ``ipv6``.

Text columns (string, object, categorical) are scanned with vectorized pandas
``.str`` regexes on a seeded sample of at most ``max_rows`` non-null cells; a
cheap first pass (does the cell contain a digit, ``@`` or ``:``) keeps the
regexes off cells that cannot match. Integer columns are scanned as strings for
card numbers only, and flagged only when most values are card numbers (random
IDs are Luhn-valid 10% of the time). Float, boolean and datetime columns cannot
hold these patterns and are skipped (listed in the evidence).

Polars frames (eager or lazy), Parquet datasets and Spark DataFrames are scanned
on a seeded sample of at most ``max_rows`` rows of their text and integer
columns, drawn by their engine (:func:`mltestscore.engines.sample`): the
rest of the data never leaves it. ``PiiScan.engine`` records which one ran.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

KINDS: dict[str, str] = {
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    "phone": (
        r"(?:\+?1[ .\-]?)?(?:\([2-9]\d{2}\)|\b[2-9]\d{2})[ .\-]?\d{3}[ .\-]\d{4}\b"
        r"|\+\d{1,3}[ .\-]?\d{1,4}(?:[ .\-]\d{2,4}){2,4}\b"
    ),
    "payment_card": r"\b(?:\d[ \-]?){12,18}\d\b",
    "us_ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "uk_nino": r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    "ipv4": r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
    "ipv6": r"(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*|::[0-9A-Fa-f]{1,4}",
}
_NEEDS = {"email": "@", "ipv6": ":"}  # literal a cell must contain; the rest need a digit
_PII_NAMES = {
    "email",
    "mail",
    "phone",
    "mobile",
    "ssn",
    "passport",
    "iban",
    "dob",
    "birthdate",
    "address",
    "surname",
    "firstname",
    "lastname",
    "fullname",
    "ip",
    "ipaddress",
    "creditcard",
    "cardnumber",
    "dateofbirth",
    "nationalid",
    "taxid",
    "socialsecurity",
}


@dataclass(frozen=True)
class PiiFinding:
    column: str
    kind: str
    count: int
    scanned: int  # non-null cells scanned in this column
    allowed: bool = False

    @property
    def rate(self) -> float:
        """Share of the scanned cells holding this kind of PII."""
        return self.count / self.scanned if self.scanned else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "count": self.count,
            "scanned": self.scanned,
            "rate": round(self.rate, 4),
            "allowed": self.allowed,
        }


@dataclass(frozen=True)
class PiiScan:
    findings: tuple[PiiFinding, ...]
    scanned_columns: tuple[str, ...]
    skipped_columns: tuple[str, ...]
    sampled_rows: int
    suspicious_names: tuple[str, ...]  # column names that suggest PII though no value matched
    engine: str = "pandas"  # where the rows were sampled (pandas, polars, parquet, spark)


def luhn_valid(digits: Sequence[str]) -> np.ndarray:
    """Vectorized Luhn check of digit strings (13–19 digits) and known issuer prefixes."""
    if not digits:
        return np.zeros(0, dtype=bool)
    width = 19
    padded = np.array([d.rjust(width, "0") for d in digits], dtype=f"<U{width}")
    matrix = padded.view(np.uint32).reshape(len(digits), width).astype(np.int64) - ord("0")
    doubled = matrix[:, width - 2 :: -2] * 2  # every second digit from the right
    matrix[:, width - 2 :: -2] = np.where(doubled > 9, doubled - 9, doubled)
    lengths = np.array([len(d) for d in digits])
    prefix = np.array([_known_issuer(d) for d in digits])
    checksum_ok = np.asarray(matrix.sum(axis=1) % 10 == 0, dtype=bool)
    return np.asarray(checksum_ok & (lengths >= 13) & (lengths <= 19) & prefix, dtype=bool)


def _known_issuer(number: str) -> bool:
    two, four = int(number[:2]), int(number[:4])
    return (
        number[0] == "4"
        or 51 <= two <= 55
        or 2221 <= four <= 2720
        or two in (34, 37, 36, 38, 65)
        or number.startswith(("6011", "30"))
        or 3528 <= four <= 3589
    )


def _ssn_valid(found: Sequence[str]) -> np.ndarray:
    out = []
    for text in found:
        area, group, serial = text.split("-")
        out.append(
            area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
        )
    return np.array(out, dtype=bool)


def _ipv6_valid(found: Sequence[str]) -> np.ndarray:
    out = []
    for text in found:
        try:
            out.append(
                isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
                and text.count(":") >= 2
            )
        except ValueError:
            out.append(False)
    return np.array(out, dtype=bool)


def _card_valid(found: Sequence[str]) -> np.ndarray:
    return luhn_valid([re.sub(r"[ \-]", "", text) for text in found])


_VALIDATORS: dict[str, Callable[[Sequence[str]], np.ndarray]] = {
    "payment_card": _card_valid,
    "us_ssn": _ssn_valid,
    "ipv6": _ipv6_valid,
}


def _count(cells: pd.Series, kind: str) -> int:
    needed = _NEEDS.get(kind)
    mask = cells.str.contains(needed, regex=False) if needed else cells.str.contains(r"\d")
    candidates = cells[mask.fillna(False).astype(bool)]
    if candidates.empty:
        return 0
    validator = _VALIDATORS.get(kind)
    if validator is None:
        return int(candidates.str.contains(KINDS[kind], regex=True).fillna(False).sum())
    found = candidates.str.extract(f"({KINDS[kind]})", expand=False).dropna()
    if found.empty:
        return 0
    return int(validator([str(v) for v in found]).sum())


def suggests_pii(name: str) -> bool:
    """True when a column's name suggests personal data (``email``, ``first_name``, …)."""
    normalized = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    tokens = [t for t in re.split(r"[^a-z0-9]+", normalized) if t]
    return bool(set(tokens) & _PII_NAMES) or "".join(tokens) in _PII_NAMES


def scan(
    frame: pd.DataFrame,
    *,
    max_rows: int = 10_000,
    numeric_min_rate: float = 0.5,
    seed: int = 0,
    allowed: Callable[[str], bool] = lambda column: False,
) -> PiiScan:
    """Scan every text (and integer) column of ``frame`` for PII (see module doc)."""
    from mltestscore import engines

    engine = engines.engine_of(frame)
    if engine not in (None, "pandas"):
        return _scan_engine(frame, str(engine), max_rows, numeric_min_rate, seed, allowed)
    findings: list[PiiFinding] = []
    scanned: list[str] = []
    skipped: list[str] = []
    suspicious: list[str] = []
    sampled = 0
    for column in frame.columns:
        series = frame[column]
        kind_of = series.dtype.kind
        is_text = (
            kind_of in "OSU"
            or isinstance(series.dtype, (pd.StringDtype, pd.CategoricalDtype))
            or str(series.dtype) == "str"
        )
        is_int = kind_of in "iu"
        if not (is_text or is_int):
            skipped.append(str(column))
            continue
        cells = series.dropna()
        if len(cells) > max_rows:
            cells = cells.sample(max_rows, random_state=seed)
        cells = cells.astype(str)
        scanned.append(str(column))
        sampled = max(sampled, len(cells))
        hit = False
        for kind in ("payment_card",) if is_int else tuple(KINDS):
            count = _count(cells, kind)
            rate = count / len(cells) if len(cells) else 0.0
            if count and (not is_int or rate >= numeric_min_rate):
                findings.append(
                    PiiFinding(str(column), kind, count, len(cells), allowed(str(column)))
                )
                hit = True
        if not hit and suggests_pii(str(column)):
            suspicious.append(str(column))
    return PiiScan(tuple(findings), tuple(scanned), tuple(skipped), sampled, tuple(suspicious))


def _scan_engine(
    data: Any,
    engine: str,
    max_rows: int,
    numeric_min_rate: float,
    seed: int,
    allowed: Callable[[str], bool],
) -> PiiScan:
    """Scan a sample drawn by the engine holding ``data`` (text and integer columns only)."""
    from mltestscore import engines

    kinds = engines.column_kinds(data)
    wanted = [c for c, k in kinds.items() if k in ("text", "integer")]
    others = tuple(c for c, k in kinds.items() if k not in ("text", "integer"))
    if not wanted:
        return PiiScan((), (), others, 0, tuple(c for c in others if suggests_pii(c)), engine)
    sample = engines.sample(data, wanted, max_rows, seed)
    found = scan(sample, max_rows=max_rows, numeric_min_rate=numeric_min_rate, seed=seed,
                 allowed=allowed)  # fmt: skip
    suspicious = found.suspicious_names + tuple(c for c in others if suggests_pii(c))
    return PiiScan(found.findings, found.scanned_columns, found.skipped_columns + others,
                   found.sampled_rows, suspicious, engine)  # fmt: skip
