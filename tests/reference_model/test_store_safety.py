"""The store under concurrent writers, corrupt files and links out of the store (issue 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from mltestscore.reference_model.checkpoint import CheckpointError
from mltestscore.reference_model.config import CONFIGS
from mltestscore.reference_model.models import build_model
from mltestscore.reference_model.store import ModelStore, StoreError

NAME = "recognizer"


@pytest.fixture(scope="module")
def untrained():
    torch.manual_seed(0)
    config = CONFIGS["tiny"]
    return build_model(config), config


@pytest.fixture
def three(tmp_path: Path, untrained) -> ModelStore:
    store = ModelStore(tmp_path / "models")
    model, config = untrained
    for _ in range(3):
        store.save(model, config)
    return store


# -- concurrency ------------------------------------------------------------------------
WORKER = textwrap.dedent(
    """
    import random, sys
    from mltestscore.reference_model.store import ModelStore, StoreError
    store, seed, ops = ModelStore(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng, done = random.Random(seed), 0
    for _ in range(ops):
        try:
            if rng.random() < 0.6:
                store.promote("recognizer", rng.randint(1, 3))
            else:
                store.rollback("recognizer")
            done += 1
        except StoreError:  # nothing to roll back to: a legitimate refusal
            pass
    print(done)
    """
)


def _replay(log: list[dict[str, object]]) -> tuple[int | None, list[int]]:
    """Apply the logged operations one at a time with the store's rules; each logged
    rollback must land where a single writer would have landed."""
    serving: int | None = None
    history: list[int] = []
    for entry in log:
        op, version = entry["op"], entry["version"]
        if op == "promote":
            if serving != version:
                history.append(int(version))  # type: ignore[call-overload]
                serving = int(version)  # type: ignore[call-overload]
        else:
            assert op == "rollback", entry
            assert serving is not None
            while history and history[-1] == serving:
                history.pop()
            expected = history[-1] if history else max(v for v in (1, 2, 3) if v < serving)
            if not history:
                history.append(expected)
            assert version == expected, (entry, serving, history)
            serving = expected
    return serving, history


def test_concurrent_promote_and_rollback_lose_no_history(three: ModelStore):
    processes, ops = 4, 200
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(three.root), str(seed), str(ops)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for seed in range(processes)
    ]
    done = 0
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        done += int(out.strip())
    log = three.log(NAME)
    assert done >= processes * ops // 2  # most operations succeeded
    assert len(log) == done  # not one operation lost
    assert len({e["pid"] for e in log}) == processes
    serving, history = _replay(log)
    state = json.loads((three.root / NAME / "serving.json").read_text())
    assert three.serving_version(NAME) == serving == log[-1]["version"]
    assert state["history"] == history


# -- corrupt files --------------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2]",
        '{"serving": "2"}',
        '{"serving": 1, "history": {"a": 1}}',
        '{"serving": 1, "undone": [null]}',
        "\xff\xfe",
    ],
)
def test_corrupt_serving_json_is_a_store_error_naming_the_file(three: ModelStore, content):
    path = three.root / NAME / "serving.json"
    path.write_bytes(content.encode("latin-1"))
    for call in (
        lambda: three.serving_version(NAME),
        lambda: three.promote(NAME, 1),
        lambda: three.rollback(NAME),
        lambda: three.list(NAME),
    ):
        with pytest.raises(StoreError, match=r"serving\.json"):
            call()


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "null",
        '{"created_at": 5}',
        '{"created_at": "yesterday"}',
        '{"created_at": "2024-01-01T00:00:00+00:00", "metrics": [1]}',
        '{"created_at": "2024-01-01T00:00:00+00:00", "metrics": {"cer": "low"}}',
        '{"created_at": "2024-01-01T00:00:00+00:00", "config_name": 3}',
    ],
)
def test_corrupt_info_json_is_a_store_error_naming_the_file(three: ModelStore, content):
    (three.root / NAME / "2" / "info.json").write_text(content)
    with pytest.raises(StoreError, match=r"2/info\.json"):
        three.list(NAME)


def _rewrite_metadata(path: Path, change) -> None:
    from safetensors import safe_open
    from safetensors.torch import save

    with safe_open(str(path), framework="pt") as handle:
        meta = json.loads(handle.metadata()["mltestscore"])
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    change(meta)
    path.write_bytes(save(tensors, metadata={"mltestscore": json.dumps(meta)}))


def test_metadata_channels_of_1e7_is_refused_before_allocating(three: ModelStore):
    path = three.root / NAME / "1" / "model.safetensors"
    _rewrite_metadata(path, lambda m: m["config"].update(channels=[10**7, 32, 64, 64]))
    with pytest.raises(CheckpointError, match=r"1/model\.safetensors.*channels\[0\].*limit"):
        three.load(NAME, 1)


def test_metadata_config_not_matching_the_weights_is_refused_before_building(three: ModelStore):
    path = three.root / NAME / "1" / "model.safetensors"
    _rewrite_metadata(path, lambda m: m["config"].update(channels=[16, 32, 64, 64]))
    with pytest.raises(CheckpointError, match=r"describes .* parameters"):
        three.load(NAME, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(metrics=[1, 2]), "'metrics' must map"),
        (lambda m: m.update(extra="x"), "'extra' must be an object"),
        (lambda m: m.update(config=[1]), "'config' must be an object"),
        (lambda m: m["config"].update(hidden="wide"), "config.hidden"),
        (lambda m: m["config"].update(data=7), "'config.data' must be an object"),
        (lambda m: m.pop("sha256"), "no key 'sha256'"),
    ],
)
def test_malformed_metadata_is_a_checkpoint_error_not_a_traceback(three, change, message):
    path = three.root / NAME / "1" / "model.safetensors"
    _rewrite_metadata(path, change)
    with pytest.raises(CheckpointError, match=message):
        three.load(NAME, 1)


# -- links out of the store -------------------------------------------------------------
def test_symlinked_version_directory_out_of_the_store_is_refused(three: ModelStore, tmp_path):
    outside = tmp_path / "elsewhere"
    (three.root / NAME / "3").rename(outside)
    (three.root / NAME / "3").symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError, match="link leading out of the store"):
        three.load(NAME, 3)
    with pytest.raises(StoreError, match="link leading out of the store"):
        three.list(NAME)
    three.load(NAME, 2)  # the others still load


def test_symlinked_predictions_directory_is_refused(three: ModelStore, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (three.root / NAME / "1" / "predictions").symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError, match="predictions folder"):
        three.record_predictions(NAME, 1, "canary", ["12", "3"])
    with pytest.raises(StoreError, match="predictions folder"):
        three.recorded_predictions(NAME, 1, "canary")
    assert not list(outside.iterdir())


def test_symlinked_serving_json_out_of_the_store_is_refused(three: ModelStore, tmp_path):
    outside = tmp_path / "serving.json"
    outside.write_text('{"serving": 1, "history": [1], "undone": []}')
    (three.root / NAME / "serving.json").symlink_to(outside)
    with pytest.raises(StoreError, match="link leading out of the store"):
        three.serving_version(NAME)


def test_corrupt_recorded_predictions_are_a_store_error(three: ModelStore):
    path = three.record_predictions(NAME, 1, "canary", ["12", "3"])
    path.write_text('{"predictions": 5}')
    with pytest.raises(StoreError, match=r"canary\.json"):
        three.recorded_predictions(NAME, 1, "canary")


def test_the_portable_lock_fallback_serializes_writers(tmp_path: Path):
    import threading

    from mltestscore.reference_model.store_files import _portable_lock

    counter = tmp_path / "counter"
    counter.write_text("0")

    def bump() -> None:
        for _ in range(50):
            with _portable_lock(tmp_path / ".lock", timeout=30):
                counter.write_text(str(int(counter.read_text()) + 1))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.read_text() == "200"
    assert not (tmp_path / ".lock.d").exists()
