"""infra.7's mechanism: a rollback drill on the team's model store.

Roll back from the serving version to an earlier one (the store decides which:
the previous serving version or the next lower number), load what is now
serving, answer the canary inputs, compare with that version's recorded
predictions (or, when none are recorded for these inputs, with predictions of
that version loaded directly, and say so), then roll forward to the original
serving version and verify it is restored. The store is never left rolled back:
the roll-forward runs in a ``finally``. Every model answers through
:func:`mltestscore.inputs.predict.predict`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mltestscore.checks.infra.store import load_model, recorded, serving_version
from mltestscore.inputs.arrays import (
    Array,
    OutputDiff,
    compare_outputs,
    content_id,
    rounded,
    to_numpy,
)
from mltestscore.inputs.predict import PredictFn, predict
from mltestscore.inputs.protocols import ModelStore


@dataclass
class Drill:
    """What happened, step by step; ``problem`` is the first thing that went wrong."""

    name: str
    original: int
    target: int
    inputs_id: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    reference: str = ""
    reference_recorded: bool = False
    rolled_back_diff: OutputDiff | None = None
    restored_diff: OutputDiff | None = None
    serving_after: int | None = None
    problem: str = ""

    def step(self, action: str, seconds: float, **details: Any) -> None:
        self.steps.append({"step": action, "seconds": rounded(seconds, 4), **details})

    def fail(self, problem: str) -> None:
        if not self.problem:
            self.problem = problem


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _reference(
    store: ModelStore, drill: Drill, canary: Any, predict_fn: PredictFn | None, record_missing: bool
) -> Array:
    saved = recorded(store, drill.name, drill.target, drill.inputs_id)
    if saved is not None:
        drill.reference = f"predictions recorded for v{drill.target} on {drill.inputs_id}"
        drill.reference_recorded = True
        return to_numpy(saved, f"recorded predictions of v{drill.target}")
    model, seconds = _timed(load_model, store, drill.name, drill.target)
    predictions = predict(model, canary, predict_fn)
    drill.step(f"load v{drill.target} directly (no recorded predictions)", seconds)
    drill.reference = (
        f"no predictions recorded for v{drill.target} on {drill.inputs_id}: compared with "
        f"v{drill.target} loaded directly from the store"
    )
    recorder = getattr(store, "record_predictions", None)
    if record_missing and callable(recorder):
        recorder(drill.name, drill.target, drill.inputs_id, predictions)
        drill.reference += " (now recorded for the next drills)"
    return predictions


def run_drill(
    store: ModelStore,
    name: str,
    original: int,
    versions: list[int],
    canary: Any,
    predict_fn: PredictFn | None,
    *,
    atol: float,
    record_missing: bool,
) -> Drill:
    """Roll back, serve, compare, roll forward (always); ``drill.problem`` says what broke.

    The store decides which earlier version a rollback serves (the previous *serving*
    version, or the next lower number); the drill checks it is an earlier stored
    version and that it reproduces its own predictions.
    """
    drill = Drill(name, original, max(v for v in versions if v < original), content_id(canary))
    try:
        before = predict(load_model(store, name, original), canary, predict_fn)
    except Exception as exc:
        drill.fail(
            f"the serving v{original} cannot answer the canary inputs before the drill: "
            f"{type(exc).__name__}: {exc}"[:400]
        )
        return drill
    current = "rollback"
    try:
        returned, seconds = _timed(store.rollback, name)
        now = serving_version(store, name)
        drill.step(
            "rollback",
            seconds,
            returned=returned if isinstance(returned, int) else None,
            serving=now,
        )
        if now is None or now == original or now not in versions or now > original:
            drill.fail(
                f"after rollback the store serves v{now}, not one of the earlier "
                f"versions {[v for v in versions if v < original]}"
            )
            return drill
        drill.target = now
        current = f"reading v{now}'s reference predictions"
        expected = _reference(store, drill, canary, predict_fn, record_missing)
        current = f"loading the rolled-back v{now}"
        model, seconds = _timed(load_model, store, name, now)
        drill.step(f"load serving v{now}", seconds)
        current = f"serving the canary inputs with v{now}"
        served, predict_s = _timed(predict, model, canary, predict_fn)
        served = to_numpy(served, "served predictions")
        drill.step("serve canary inputs", predict_s, rows=int(served.shape[0]))
        drill.rolled_back_diff = diff = compare_outputs(served, expected, atol=atol)
        if not diff.equal:
            against = "its recorded predictions" if drill.reference_recorded else "a direct load"
            drill.fail(
                f"rolled-back v{now} answers {diff.mismatched} of {diff.compared} canary "
                f"outputs differently from {against} "
                f"({diff.note or f'max |diff| {diff.max_abs_diff}'})"
            )
    except Exception as exc:
        drill.fail(f"{current} failed: {type(exc).__name__}: {exc}"[:400])
    finally:
        _roll_forward(store, drill, canary, predict_fn, before, atol)
    return drill


def _roll_forward(
    store: ModelStore,
    drill: Drill,
    canary: Any,
    predict_fn: PredictFn | None,
    before: Array,
    atol: float,
) -> None:
    name, original = drill.name, drill.original
    try:
        forward = getattr(store, "roll_forward", None)
        if serving_version(store, name) != original and callable(forward):
            _, seconds = _timed(forward, name)  # the store's own undo, when it has one
            drill.step("roll forward", seconds, serving=serving_version(store, name))
        if serving_version(store, name) != original:
            _, seconds = _timed(store.promote, name, original)
            drill.step(f"roll forward: promote v{original}", seconds)
        drill.serving_after = serving_version(store, name)
        if drill.serving_after != original:
            drill.fail(
                f"roll-forward left the store serving v{drill.serving_after}, "
                f"not the original v{original}"
            )
            return
        model, seconds = _timed(load_model, store, name, original)
        drill.step(f"load restored v{original}", seconds)
        drill.restored_diff = compare_outputs(predict(model, canary, predict_fn), before, atol=atol)
        if not drill.restored_diff.equal:
            drill.fail(
                f"restored v{original} no longer answers the canary inputs as before "
                f"the drill ({drill.restored_diff.mismatched} outputs differ)"
            )
    except Exception as exc:
        drill.fail(f"rolling forward to v{original} failed: {type(exc).__name__}: {exc}")
