"""Unit tests of the model spec (tabular_app/model.py, config.py): evidence for infra.2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tabular_app.config import ModelConfig
from tabular_app.data import load_intake, split_by_date
from tabular_app.model import RiskModel
from tabular_app.pipeline import train, training_table
from tabular_app.store import ModelStore

pytestmark = pytest.mark.ml_score("infra.2")


@pytest.fixture(scope="module")
def raw_train() -> pd.DataFrame:
    return split_by_date(load_intake(seed=0))[0]


@pytest.fixture(scope="module")
def model(raw_train: pd.DataFrame) -> RiskModel:
    return train(raw_train, ModelConfig())


def test_inputs_are_the_configured_features(model: RiskModel) -> None:
    assert list(model.feature_names_in_) == list(ModelConfig().features)


def test_the_threshold_decides_referral(model: RiskModel, raw_train: pd.DataFrame) -> None:
    X = training_table(raw_train, ModelConfig()).drop(columns=["diagnosis"])
    proba = model.predict_proba(X)[:, 1]
    assert model.predict(X).tolist() == (proba >= model.decision_threshold).astype(int).tolist()
    lenient = RiskModel(**{**model.get_params(), "decision_threshold": 0.9})
    lenient.fit(X, raw_train["diagnosis"])
    assert lenient.predict(X).sum() < model.predict(X).sum()


def test_the_model_learns_malignancy(model: RiskModel, raw_train: pd.DataFrame) -> None:
    X = training_table(raw_train, ModelConfig()).drop(columns=["diagnosis"])
    accuracy = float((model.predict(X) == raw_train["diagnosis"].to_numpy()).mean())
    assert accuracy > 0.9


def test_l1_penalties_use_saga_and_still_fit(raw_train: pd.DataFrame) -> None:
    X = training_table(raw_train, ModelConfig()).drop(columns=["diagnosis"])
    lasso = RiskModel(C=0.1, l1_ratio=1.0).fit(X, raw_train["diagnosis"])
    assert lasso.pipeline_.named_steps["logistic"].solver == "saga"
    assert np.isfinite(lasso.predict_proba(X)).all()


def test_json_round_trip_predicts_identically(
    model: RiskModel, raw_train: pd.DataFrame, tmp_path: object
) -> None:
    X = training_table(raw_train, ModelConfig()).drop(columns=["diagnosis"])
    again = RiskModel.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_array_inputs_are_named_and_checked(model: RiskModel, raw_train: pd.DataFrame) -> None:
    X = training_table(raw_train, ModelConfig()).drop(columns=["diagnosis"])
    np.testing.assert_array_equal(model.predict(X.to_numpy()), model.predict(X))
    with pytest.raises(ValueError, match="expected 3 feature columns"):
        model.predict(X.to_numpy()[:, :2])
    with pytest.raises(ValueError, match="no column"):
        model.predict(X.drop(columns=["log_worst_area"]))


def test_fit_needs_both_classes(raw_train: pd.DataFrame) -> None:
    X = training_table(raw_train, ModelConfig()).drop(columns=["diagnosis"])
    with pytest.raises(ValueError, match="both classes"):
        RiskModel().fit(X, np.zeros(len(X)))


def test_bad_documents_are_rejected_clearly(model: RiskModel) -> None:
    with pytest.raises(ValueError, match="format"):
        RiskModel.from_dict({"format": "pickle"})
    document = model.to_dict()
    del document["logistic"]
    with pytest.raises(ValueError, match="missing 'logistic'"):
        RiskModel.from_dict(document)


def test_store_versions_promote_and_load(model: RiskModel, tmp_path: object) -> None:
    import datetime as dt
    from pathlib import Path

    store = ModelStore(Path(str(tmp_path)))
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert store.save(model, "m", created_at=when) == 1
    assert store.save(model, "m", created_at=when + dt.timedelta(days=30)) == 2
    store.promote("m", 1)
    assert store.serving_version("m") == 1
    assert [(v.version, v.serving) for v in store.list("m")] == [(1, True), (2, False)]
    assert store.load("m")[1]["version"] == 1
    with pytest.raises(LookupError):
        store.load("m", 7)
    with pytest.raises(ValueError, match="timezone"):
        store.save(model, "m", created_at=dt.datetime(2024, 1, 1))
