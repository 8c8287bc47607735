from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import torch

from mltestscore.reference_model.predictor import Recognizer
from mltestscore.reference_model.store import ModelStore, StoreError


@pytest.fixture
def two_versions(store, trained, trained_other):
    old = datetime.now(UTC) - timedelta(days=30)
    v1 = store.save(trained.model, trained.config, metrics=trained.metrics(), created_at=old)
    v2 = store.save(trained_other.model, trained_other.config, metrics=trained_other.metrics())
    return store, v1, v2


def test_versions_are_numbered_listed_and_loaded(two_versions, trained, small_splits):
    store, v1, v2 = two_versions
    assert (v1, v2) == (1, 2)
    infos = store.list()
    assert [i.version for i in infos] == [1, 2]
    assert infos[0].created_at < infos[1].created_at
    assert infos[0].metrics["test_cer"] == pytest.approx(trained.test_cer)
    assert infos[0].path == store.root / "recognizer" / "1"
    assert (infos[0].path / "model.safetensors").is_file()
    assert not any(i.serving for i in infos)
    model, _ = store.load("recognizer", 1)
    images = small_splits["test"].images
    with torch.no_grad():
        assert torch.equal(model(images), trained.model(images))
    assert store.load()[1].sha256 == store.load(version=2)[1].sha256  # latest when none serves
    hidden = [p.name for p in (store.root / "recognizer").iterdir() if p.name.startswith(".")]
    assert hidden == [".lock"]  # no staging directory left behind


def test_rollback_restores_the_previous_versions_predictions(two_versions, small_splits):
    store, v1, v2 = two_versions
    images = list(small_splits["test"].images[:16])
    store.promote("recognizer", v1)
    first = Recognizer.load(store).predict_batch(images)
    store.record_predictions("recognizer", v1, "canary", first)
    store.promote("recognizer", v2)
    second = Recognizer.load(store)
    assert second.version == v2
    with torch.no_grad():  # the versions really differ
        batch = torch.stack(images)
        assert not torch.equal(second.model(batch), store.load(version=v1)[0](batch))

    assert store.rollback("recognizer") == v1
    assert store.serving_version("recognizer") == v1
    restored = Recognizer.load(store)
    assert restored.version == v1
    assert restored.predict_batch(images) == store.recorded_predictions("recognizer", v1, "canary")
    assert [i.serving for i in store.list()] == [True, False]

    assert store.roll_forward("recognizer") == v2
    assert store.serving_version("recognizer") == v2


def test_rollback_without_a_previous_version_is_an_error(store, trained):
    with pytest.raises(StoreError, match="no serving version"):
        store.rollback()
    v1 = store.save(trained.model, trained.config)
    store.promote("recognizer", v1)
    with pytest.raises(StoreError, match="no version before 1"):
        store.rollback()
    with pytest.raises(StoreError, match="no rollback to undo"):
        store.roll_forward()


def test_rollback_falls_back_to_the_next_lower_version(store, trained):
    for _ in range(3):
        store.save(trained.model, trained.config)
    store.promote("recognizer", 3)  # 1 and 2 never served
    assert store.rollback() == 2
    assert store.rollback() == 1


def test_unknown_versions_and_names(store, trained):
    with pytest.raises(StoreError, match="no versions of 'recognizer'"):
        store.load()
    store.save(trained.model, trained.config)
    with pytest.raises(StoreError, match=r"no version 5 .* it has \[1\]"):
        store.promote("recognizer", 5)
    with pytest.raises(ValueError, match="model name"):
        store.save(trained.model, trained.config, name="../evil")
    assert store.recorded_predictions("recognizer", 1, "nothing") is None
    assert ModelStore(store.root).versions("other") == []


def test_export_into_the_store(two_versions, small_splits):
    store, v1, _ = two_versions
    path = store.export("recognizer", v1)
    assert path == store.root / "recognizer" / "1" / "model.onnx" and path.is_file()
    assert store.export("recognizer", v1) == path  # cached
