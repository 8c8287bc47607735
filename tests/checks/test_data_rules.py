"""data.4: the model's features obey declared deny/deprecated/protected/allow lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin


def _context(**options: Any) -> CheckContext:
    return CheckContext(Path.cwd(), Path.cwd() / "baseline.json", options=options)


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def test_fails_on_deny_listed_glob_matches(cancer) -> None:
    context = _context(deny_features=["*error"])
    outcome = run_builtin("data.4", {"train_data": cancer, "target": "target"}, context=context)
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith("10 feature rule violation(s) among 30 features")
    assert "radius error (deny-listed '*error')" in outcome.message
    assert outcome.evidence["feature_source"] == "train_data columns"


def test_passes_once_the_denied_features_are_dropped(cancer) -> None:
    kept = cancer[[c for c in cancer.columns if not c.endswith("error")]]
    context = _context(deny_features=["*error"], deprecated_features=["legacy_*"])
    outcome = run_builtin("data.4", {"train_data": kept, "target": "target"}, context=context)
    assert outcome.status is Status.PASS, outcome.message
    assert "20 features" in outcome.message


def test_protected_attribute_in_the_model_inputs_fails_case_insensitively(cancer) -> None:
    frame = cancer[["mean radius", "worst area"]].assign(Age=40, Sex_Code=1)
    model = LogisticRegression(max_iter=200).fit(frame, cancer["target"])
    outcome = run_builtin(
        "data.4",
        {"model": model, "train_data": cancer, "target": "target"},
        context=_context(protected_features=["age", "sex*"]),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence["feature_source"] == "model.feature_names_in_"
    assert {v["feature"] for v in outcome.evidence["violations"]} == {"Age", "Sex_Code"}


def test_allow_list_and_deprecated_from_the_feature_rules_input() -> None:
    outcome = run_builtin(
        "data.4",
        {
            "feature_names": ["mean radius", "zip_code", "old_score"],
            "feature_rules": {"allow": ["mean *", "old_*"], "deprecated": "old_score"},
        },
    )
    assert outcome.status is Status.FAIL
    found = {(v["feature"], v["rule"]) for v in outcome.evidence["violations"]}
    assert found == {("zip_code", "allow"), ("old_score", "deprecated")}


def test_rules_from_settings_and_input_are_merged() -> None:
    outcome = run_builtin(
        "data.4",
        {"feature_names": ["a", "b"], "feature_rules": {"deny_features": ["b"]}},
        context=_context(deny_features=["zzz"]),
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence["rules"] == {"deny": ["zzz", "b"]}


def test_without_declared_rules_it_is_not_automated_naming_the_settings(cancer) -> None:
    outcome = run_builtin("data.4", {"train_data": cancer, "target": "target"})
    assert outcome.status is Status.NOT_AUTOMATED
    assert "deny_features" in outcome.message and "allow_features" in outcome.message


def test_without_a_feature_list_it_is_not_automated() -> None:
    outcome = run_builtin("data.4", {}, context=_context(deny_features=["ssn"]))
    assert outcome.status is Status.NOT_AUTOMATED and "ml_feature_names" in outcome.message


def test_malformed_rules_are_clear_errors() -> None:
    bad_key = run_builtin("data.4", {"feature_names": ["a"], "feature_rules": {"forbid": ["a"]}})
    assert bad_key.status is Status.ERROR and "unknown rule 'forbid'" in bad_key.message
    bad_value = run_builtin("data.4", {"feature_names": ["a"]}, context=_context(deny_features=3))
    assert bad_value.status is Status.ERROR and "deny_features" in bad_value.message
