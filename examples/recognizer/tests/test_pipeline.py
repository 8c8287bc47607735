"""The team's tests of the pipeline code: release rule, rollback, losses, new features."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from digits_app import history, pipeline
from digits_app.losses import ctc_loss, ctc_loss_fn, encode_targets
from digits_app.model_config import AppConfig
from digits_app.newfeature import add_feature

from mltestscore.reference_model.store import ModelStore


@pytest.mark.ml_score("infra.2")
def test_ctc_loss_forms_agree() -> None:
    torch.manual_seed(0)
    logits = torch.randn(3, 64, 11)
    labels = ["12", "7", "30045"]
    targets = encode_targets(labels)
    assert targets.tolist()[1] == [8, 0, 0, 0, 0]
    assert torch.allclose(ctc_loss(logits, labels), ctc_loss_fn(logits, targets))
    with pytest.raises(ValueError, match=r"logits \(B, T, C\)"):
        ctc_loss_fn(logits[0], targets)


@pytest.mark.ml_score("infra.4", "infra.7")
def test_release_keeps_the_better_model(ml_model_store: ModelStore, data: pipeline.Splits) -> None:
    versions = ml_model_store.list(history.NAME)
    assert len(versions) == len(history.PAST_RELEASES) + 1
    assert ml_model_store.serving_version(history.NAME) == versions[-1].version
    oldest = versions[0].version
    assert not pipeline.release(ml_model_store, oldest, data["val"].head(200))
    assert ml_model_store.serving_version(history.NAME) == versions[-1].version


@pytest.mark.ml_score("data.6")
def test_a_rejected_feature_says_why(app: AppConfig, data: pipeline.Splits) -> None:
    with pytest.raises(ValueError, match="one finite number per line"):
        add_feature(app, data, "broken", lambda scans: np.full(len(scans), np.nan))
