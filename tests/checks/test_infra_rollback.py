"""infra.7: the serving model can be rolled back to N-1 (and forward again)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from mltestscore.inputs.arrays import content_id
from mltestscore.results import Status
from mltestscore.runner import run_builtin

X, Y = load_iris(return_X_y=True)
CANARY = X[::15]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


class MemoryStore:
    """A tiny model store implementing the protocol the check uses."""

    def __init__(self) -> None:
        self.models: dict[int, Any] = {}
        self.serving: int | None = None
        self.history: list[int] = []
        self.records: dict[tuple[int, str], Any] = {}

    def save(self, model: Any) -> int:
        version = len(self.models) + 1
        self.models[version] = model
        return version

    def list(self, name: str = "iris") -> list[dict[str, Any]]:
        return [{"version": v, "created_at": f"2024-01-0{v}"} for v in sorted(self.models)]

    def load(self, name: str, version: int) -> tuple[Any, dict[str, Any]]:
        return self.models[version], {"version": version}

    def serving_version(self, name: str) -> int | None:
        return self.serving

    def promote(self, name: str, version: int) -> None:
        self.history.append(version)
        self.serving = version

    def rollback(self, name: str) -> int:
        previous = max(v for v in self.models if self.serving is not None and v < self.serving)
        self.serving = previous
        return previous

    def record_predictions(self, name: str, version: int, inputs_id: str, preds: Any) -> None:
        self.records[(version, inputs_id)] = np.asarray(preds)

    def recorded_predictions(self, name: str, version: int, inputs_id: str) -> Any:
        return self.records.get((version, inputs_id))


def _model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=500).fit(X, Y)


def two_version_store(record: bool = True) -> MemoryStore:
    store = MemoryStore()
    for c in (0.01, 1.0):
        version = store.save(_model(c))
        store.promote("iris", version)
        if record:
            preds = store.models[version].predict(CANARY)
            store.record_predictions("iris", version, content_id(CANARY), preds)
    return store


def test_rollback_drill_passes_and_restores_serving() -> None:
    store = two_version_store()
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["rolled_back_to"] == 1 and ev.evidence["serving_after"] == 2
    assert ev.evidence["restored"] is True and store.serving == 2
    assert "recorded" in ev.evidence["reference"]
    assert ev.evidence["rolled_back_comparison"]["equal"] is True
    steps = [s["step"] for s in ev.evidence["steps"]]
    assert steps[0] == "rollback" and steps[-1] == "load restored v2"
    assert "roll forward: promote v2" in steps
    json.dumps(ev.evidence)


def test_one_version_fails_nothing_to_roll_back_to() -> None:
    store = MemoryStore()
    store.promote("iris", store.save(_model(1.0)))
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL
    assert "1 version(s)" in ev.message and "nothing to roll back to" in ev.message


def test_nothing_serving_or_oldest_serving_fails() -> None:
    store = two_version_store()
    store.serving = None
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL and "no version of 'iris' is serving" in ev.message
    store.serving = 1
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL and "oldest" in ev.message


def test_previous_version_that_no_longer_reproduces_its_predictions_fails() -> None:
    store = two_version_store()
    store.models[1] = _model(100.0)  # v1's artifact was overwritten after it served
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL
    assert "differently from its recorded predictions" in ev.message
    assert store.serving == 2  # rolled forward even though the drill failed


def test_broken_rollback_is_caught_and_store_is_restored() -> None:
    store = two_version_store()

    def rollback_to_nothing(name: str) -> int:
        store.serving = 7  # a bug: points at a version that does not exist
        return 7

    store.rollback = rollback_to_nothing  # type: ignore[method-assign]
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL
    assert "serves v7, not one of the earlier versions [1]" in ev.message
    assert store.serving == 2 and ev.evidence["restored"] is True

    def crashing_rollback(name: str) -> int:
        raise OSError("disk full")

    store.rollback = crashing_rollback  # type: ignore[method-assign]
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL and "rollback failed: OSError: disk full" in ev.message


def test_without_recorded_predictions_compares_with_a_direct_load() -> None:
    store = two_version_store(record=False)
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.PASS
    assert "no predictions recorded for v1" in ev.evidence["reference"]
    assert "none recorded" in ev.message
    assert not store.records
    ev = run_builtin(
        "infra.7",
        {"model_store": store, "canary_inputs": CANARY},
        thresholds={"record_missing": True},
    )
    assert ev.status is Status.PASS and (1, content_id(CANARY)) in store.records


def test_store_choosing_the_previous_serving_version_passes() -> None:
    store = two_version_store()
    store.save(_model(3.0))  # v3 is stored but never served
    store.models[4] = _model(10.0)
    store.promote("iris", 4)
    served_before = list(store.history)

    def history_rollback(name: str) -> int:  # back to what served before v4: v2
        store.serving = served_before[-2]
        return store.serving

    store.rollback = history_rollback  # type: ignore[method-assign]
    ev = run_builtin("infra.7", {"model_store": store, "canary_inputs": CANARY})
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["rolled_back_to"] == 2 and store.serving == 4
    assert "recorded" in ev.evidence["reference"]


def test_store_missing_methods_is_a_clear_error() -> None:
    ev = run_builtin("infra.7", {"model_store": object(), "canary_inputs": CANARY})
    assert ev.status is Status.ERROR and "lacks list(), load()" in ev.message


def test_reference_model_store(tmp_path: Path) -> None:
    store_module = pytest.importorskip("mltestscore.reference_model.store")
    from mltestscore.reference_model.config import get_config
    from mltestscore.reference_model.models import build_model

    config = get_config("tiny").replace(channels=(4, 4), hidden=8)
    store = store_module.ModelStore(tmp_path)
    images = torch.rand(
        3, 1, config.data.height, config.data.width, generator=torch.Generator().manual_seed(0)
    )

    def predict(model: Any, inputs: Any) -> list[str]:
        return list(model.predict(torch.as_tensor(inputs)))

    for seed in (1, 2):
        torch.manual_seed(seed)
        model = build_model(config)
        version = store.save(
            model,
            config,
            metrics={"cer": 0.5},
            created_at=datetime(2024, 1, seed, tzinfo=UTC),
        )
        store.promote("recognizer", version)
        store.record_predictions("recognizer", version, content_id(images), predict(model, images))
    ev = run_builtin(
        "infra.7", {"model_store": store, "canary_inputs": images, "predict_fn": predict}
    )
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["model_name"] == "recognizer" and store.serving_version() == 2
    assert ev.evidence["reference"].startswith("predictions recorded for v1")
