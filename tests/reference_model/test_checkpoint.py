from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import torch

from mltestscore import __version__
from mltestscore.reference_model.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
)
from mltestscore.reference_model.config import CONFIGS


def test_save_load_round_trips_predictions_exactly(trained, small_splits, tmp_path):
    path = save_checkpoint(
        tmp_path / "m.safetensors",
        trained.model,
        trained.config,
        {"metrics": trained.metrics(), "note": "hello"},
    )
    model, meta = load_checkpoint(path)
    images = small_splits["test"].images
    with torch.no_grad():
        assert torch.equal(model(images), trained.model(images))
    assert model.predict(images) == trained.model.predict(images)
    assert meta.config == trained.config
    assert meta.metrics["test_cer"] == pytest.approx(trained.test_cer)
    assert meta.data_seed == trained.config.data.seed
    assert meta.package_version == __version__
    assert meta.created_at.tzinfo is not None
    assert meta.extra == {"note": "hello"}
    assert json.loads(json.dumps(meta.to_dict()))["config"]["name"] == trained.config.name


def test_loading_does_not_touch_the_global_rng(trained, tmp_path):
    path = save_checkpoint(tmp_path / "m.safetensors", trained.model, trained.config)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_checkpoint(path)
    assert torch.equal(torch.rand(3), expected)


def test_created_at_is_settable_and_must_be_aware(trained, tmp_path):
    old = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    path = save_checkpoint(
        tmp_path / "m.safetensors", trained.model, trained.config, {"created_at": old}
    )
    assert read_metadata(path).created_at == old
    with pytest.raises(ValueError, match="timezone-aware"):
        save_checkpoint(
            tmp_path / "n.safetensors",
            trained.model,
            trained.config,
            {"created_at": datetime(2024, 1, 1)},
        )


@pytest.fixture
def saved(trained, tmp_path):
    return save_checkpoint(tmp_path / "model.safetensors", trained.model, trained.config)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.safetensors does not exist"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_truncated_checkpoint(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"model\.safetensors is corrupt or truncated"):
        load_checkpoint(saved)


def test_garbage_checkpoint(saved):
    saved.write_bytes(b"\x00\x01 definitely not a checkpoint")
    with pytest.raises(CheckpointError, match=r"model\.safetensors is corrupt or truncated"):
        load_checkpoint(saved)


def test_flipped_weight_bytes_are_detected(saved):
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0xFF  # inside the tensor data, past the header
    saved.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(saved)


def test_weights_that_do_not_fit_the_config(trained, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    path = save_checkpoint(tmp_path / "m.safetensors", trained.model, trained.config)
    with safe_open(str(path), framework="pt") as handle:
        header = handle.metadata()
    values = json.loads(header["mltestscore"])
    values["config"]["hidden"] = 64  # the stored weights have hidden=128
    tensors = load_file(path)
    save_file(tensors, path, metadata={"mltestscore": json.dumps(values)})
    with pytest.raises(
        CheckpointError,
        match=r"m\.safetensors does not fit a cnn_ctc model.*describes [\d,]+ parameters",
    ):
        load_checkpoint(path)


def test_foreign_safetensors_file(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match=r"other\.safetensors has no 'mltestscore' metadata"):
        load_checkpoint(path)


def test_metadata_must_be_json_able(trained, tmp_path):
    with pytest.raises(ValueError, match="JSON-able"):
        save_checkpoint(tmp_path / "m.safetensors", trained.model, CONFIGS["tiny"], {"x": object()})
    assert not list(tmp_path.iterdir())  # nothing half-written
