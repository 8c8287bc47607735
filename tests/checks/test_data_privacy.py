"""data.5: PII scan of the training data; counts, never values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

from mltestscore.checks.data.pii import luhn_valid, scan, suggests_pii
from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin

VISA_TEST_CARD = "4111111111111111"  # Luhn-valid test numbers published by card networks
MASTERCARD_TEST_CARD = "5555555555554444"
AMEX_TEST_CARD = "378282246310005"


def _context(**options: Any) -> CheckContext:
    return CheckContext(Path.cwd(), Path.cwd() / "baseline.json", options=options)


def _card(rng: np.random.Generator) -> str:
    """A random Luhn-valid 16-digit Visa-like number."""
    digits = [4, *rng.integers(0, 10, size=14).tolist()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    return "".join(map(str, [*digits, (10 - total % 10) % 10]))


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame["clinic"] = rng.choice(["north", "south", "east"], size=len(frame))
    frame["record_id"] = rng.integers(10**15, 10**16, size=len(frame))  # random 16-digit ids
    frame["version"] = rng.choice(["1.2.3", "2.0.1"], size=len(frame))  # looks IP-ish, is not
    return frame


@pytest.fixture(scope="module")
def leaky(cancer) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = len(cancer)
    frame = cancer.copy()
    frame["contact"] = [f"patient{i}@example.com" for i in range(n)]
    frame["notes"] = [
        "call (415) 555-0199 after 5"
        if i % 50 == 0
        else ("paid with " + _card(rng) if i % 70 == 0 else "no remarks")
        for i in range(n)
    ]
    frame["client_ip"] = [f"10.0.{i % 256}.{(i * 7) % 256}" for i in range(n)]
    frame["ssn_raw"] = [f"{rng.integers(100, 600)}-{rng.integers(10, 99)}-1234" for _ in range(n)]
    frame["card_int"] = [int(_card(rng)) for _ in range(n)]
    frame["gateway"] = [f"2001:db8::{i:x}" for i in range(n)]
    frame["nino"] = ["AB 12 34 56 C"] * n  # (QQ, the usual placeholder, is never issued)
    return frame


def test_passes_on_clean_data(cancer) -> None:
    outcome = run_builtin("data.5", {"train_data": cancer})
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["findings"] == []
    assert outcome.evidence["scanned_columns"] == 4  # target, clinic, record_id, version
    assert len(outcome.evidence["skipped_columns"]) == 30  # float measurements


def test_fails_on_planted_pii_with_counts_per_column_and_kind(leaky) -> None:
    outcome = run_builtin("data.5", {"train_data": leaky})
    assert outcome.status is Status.FAIL
    found = {(f["column"], f["kind"]): f["count"] for f in outcome.evidence["findings"]}
    n = len(leaky)
    assert found == {
        ("contact", "email"): n,
        ("notes", "phone"): 12,
        ("notes", "payment_card"): 7,
        ("client_ip", "ipv4"): n,
        ("ssn_raw", "us_ssn"): n,
        ("card_int", "payment_card"): n,
        ("gateway", "ipv6"): n,
        ("nino", "uk_nino"): n,
    }
    assert "contact (email: 569 of 569 scanned)" in outcome.message


def test_values_never_appear_in_message_or_evidence(leaky) -> None:
    outcome = run_builtin("data.5", {"train_data": leaky})
    text = json.dumps(outcome.to_dict())
    for value in ("patient0@example.com", "555-0199", "10.0.", "2001:db8", "AB 12"):
        assert value not in text


def test_allowed_columns_with_access_controls_pass(leaky) -> None:
    pii_columns = ["contact", "notes", "client_ip", "ssn_raw", "card_int", "gateway", "nino"]
    controls = ["s3://clinic-raw: role ml-privacy only", "columns hashed before export"]
    context = _context(pii_allowed_columns=pii_columns, access_controls=controls)
    outcome = run_builtin("data.5", {"train_data": leaky}, context=context)
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["access_controls"] == controls
    assert all(f["allowed"] for f in outcome.evidence["findings"])


def test_allowed_pii_without_access_controls_warns(leaky) -> None:
    frame = leaky[["mean radius", "contact"]]
    outcome = run_builtin(
        "data.5", {"train_data": frame}, context=_context(pii_allowed_columns=["cont*"])
    )
    assert outcome.status is Status.WARN and "access_controls" in outcome.message


def test_pii_suggesting_column_names_warn(cancer) -> None:
    frame = cancer[["mean radius"]].assign(email_hash=[f"h{i:x}" for i in range(len(cancer))])
    outcome = run_builtin("data.5", {"train_data": frame})
    assert outcome.status is Status.WARN
    assert outcome.evidence["suspicious_column_names"] == ["email_hash"]


def test_images_are_not_automated() -> None:
    images = load_digits().images[:, None]
    outcome = run_builtin("data.5", {"train_data": images})
    assert outcome.status is Status.NOT_AUTOMATED and "image/tensor" in outcome.message


def test_the_sample_cap_bounds_the_scan(leaky) -> None:
    big = pd.concat([leaky[["contact"]]] * 20, ignore_index=True)  # 11,380 rows
    result = scan(big, max_rows=1000)
    assert result.sampled_rows == 1000
    assert result.findings[0].count == 1000 and result.findings[0].rate == 1.0


def test_luhn_and_issuer_checks() -> None:
    valid = luhn_valid([VISA_TEST_CARD, MASTERCARD_TEST_CARD, AMEX_TEST_CARD])
    assert valid.tolist() == [True, True, True]
    off_by_one = VISA_TEST_CARD[:-1] + "2"
    unknown_issuer = "9111111111111111"
    assert luhn_valid([off_by_one, unknown_issuer, "4111"]).tolist() == [False, False, False]


def test_never_issued_ssns_and_non_pii_numbers_are_not_flagged() -> None:
    frame = pd.DataFrame(
        {
            "ssn_like": ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567"],
            "dates": ["2021-03-04", "1999-12-31", "2020-01-01", "2000-02-02"],
            "times": ["12:30:45", "01:02:03", "23:59:59", "00:00:00"],
            "placeholder_nino": ["QQ 12 34 56 C"] * 4,  # QQ is never issued
        }
    )
    assert scan(frame).findings == ()


def test_suggestive_names() -> None:
    assert suggests_pii("email") and suggests_pii("FirstName") and suggests_pii("client_ip")
    assert not suggests_pii("zip_code") and not suggests_pii("mean radius")


def test_a_features_and_labels_pair_is_scanned(leaky) -> None:
    features = leaky[["mean radius", "contact"]]
    outcome = run_builtin("data.5", {"train_data": (features, leaky["target"])})
    assert outcome.status is Status.FAIL
    assert [(f["column"], f["kind"]) for f in outcome.evidence["findings"]] == [
        ("contact", "email")
    ]
