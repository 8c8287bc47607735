"""deepchecks suites mapped onto rubric ids — runs only in the deepchecks environment.

Planted problems on breast-cancer data: duplicated rows and a constant column
(data integrity), a shifted feature (drift), and a model that is no better than a
constant (simple model comparison).
"""

from __future__ import annotations

import pytest

# "deepchecks.tabular", not "deepchecks": this folder itself is importable as a namespace
# package named deepchecks when the real one is absent.
pytest.importorskip("deepchecks.tabular")

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mltestscore.checks.data.deepchecks_adapter import run_deepchecks
from mltestscore.results import Status

pytestmark = pytest.mark.filterwarnings("ignore")

Split = tuple[pd.DataFrame, pd.DataFrame]
FEATURES = ["mean radius", "mean texture", "mean smoothness", "mean symmetry", "worst concavity"]


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    warnings.simplefilter("ignore")
    frame = load_breast_cancer(as_frame=True).frame[[*FEATURES, "target"]]
    order = np.random.default_rng(0).permutation(len(frame))
    return frame.iloc[order[:380]].reset_index(drop=True), frame.iloc[order[380:]].reset_index(
        drop=True
    )


def drift_suite() -> Any:
    from deepchecks.tabular import Suite
    from deepchecks.tabular.checks import FeatureDrift, LabelDrift

    return Suite(
        "drift",
        FeatureDrift().add_condition_drift_score_less_than(),
        LabelDrift().add_condition_drift_score_less_than(),
    )


def test_integrity_suite_flags_duplicates_and_constant_column(split: Split) -> None:
    train = split[0]
    dirty = pd.concat([train, train.iloc[:60]], ignore_index=True).assign(site="A")
    outcome = run_deepchecks(dirty, target="target", suites=("data_integrity",))
    # deepchecks' default duplicate condition is a warning, and the mapping keeps its category
    assert outcome.evidence["data.1"].status is Status.WARN
    assert "Data Duplicates" in outcome.evidence["data.1"].message
    assert outcome.evidence["data.2"].status is Status.FAIL  # "site" holds a single value
    single = [f for f in outcome.findings if f.check == "IsSingleValue" and f.category == "fail"]
    assert single and "site" in single[0].details


def test_clean_split_has_no_feature_drift(split: Split) -> None:
    outcome = run_deepchecks(split[0], split[1], target="target", suites=(drift_suite(),))
    assert outcome.evidence["monitor.3"].status is Status.PASS, outcome.evidence[
        "monitor.3"
    ].message
    assert outcome.evidence["monitor.7"].status is Status.PASS


def test_shifted_feature_fails_monitor_3_and_writes_html(split: Split, tmp_path: Path) -> None:
    train, test = split
    shifted = test.assign(
        **{"mean texture": test["mean texture"] + 2 * train["mean texture"].std()}
    )
    outcome = run_deepchecks(train, shifted, target="target", suites=(drift_suite(),),
                             report_dir=tmp_path)  # fmt: skip
    assert outcome.evidence["monitor.3"].status is Status.FAIL
    assert "mean texture" in outcome.evidence["monitor.3"].message
    (report,) = outcome.reports
    assert Path(report).read_text(encoding="utf-8")[:400].lstrip().startswith("<html")


def test_model_evaluation_maps_simple_model_comparison(split: Split) -> None:
    from deepchecks.tabular import Suite
    from deepchecks.tabular.checks import SimpleModelComparison

    train, test = split
    x, y = train.drop(columns="target"), train["target"]
    suite = Suite("baseline", SimpleModelComparison().add_condition_gain_greater_than(0.1))
    good = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    constant = DummyClassifier(strategy="most_frequent").fit(x, y)
    passed = run_deepchecks(train, test, target="target", model=good, suites=(suite,))
    failed = run_deepchecks(train, test, target="target", model=constant, suites=(suite,))
    assert passed.evidence["model.5"].status is Status.PASS, passed.evidence["model.5"].message
    assert failed.evidence["model.5"].status is Status.FAIL


def test_named_suites_are_skipped_without_their_inputs(split: Split) -> None:
    outcome = run_deepchecks(split[0], target="target",
                             suites=("train_test_validation", "model_evaluation"))  # fmt: skip
    assert outcome.findings == () and outcome.evidence == {}


def test_bad_inputs_are_clear_errors(split: Split) -> None:
    with pytest.raises(ValueError, match="no target column 'label'"):
        run_deepchecks(split[0], target="label")
    with pytest.raises(ValueError, match="unknown deepchecks suite 'everything'"):
        run_deepchecks(split[0], target="target", suites=("everything",))
