"""infra.7 computations: a rollback drill on the team's model store.

Roll back from the serving version to an earlier one (the store decides which:
the previous serving version or the next lower number), load what is now
serving, answer the canary inputs, compare with that version's recorded
predictions (or, when none are recorded for these inputs, with predictions of
that version loaded directly, and say so), then roll forward to the original
serving version and verify it is restored. The store is never left rolled back:
the roll-forward runs in a ``finally``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import OutputDiff, compare_outputs, content_id, rounded
from mltestscore.checks.infra_predict import PredictFn, predict_with
from mltestscore.checks.infra_store import (
    entry_summary,
    list_versions,
    load_model,
    recorded,
    require_methods,
    resolve_name,
    serving_version,
)
from mltestscore.results import CheckResult


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


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _reference(
    store: Any, drill: Drill, canary: Any, predict_fn: PredictFn | None, record_missing: bool
) -> np.ndarray:
    saved = recorded(store, drill.name, drill.target, drill.inputs_id)
    if saved is not None:
        drill.reference = f"predictions recorded for v{drill.target} on {drill.inputs_id}"
        drill.reference_recorded = True
        return np.asarray(saved)
    model, seconds = _timed(load_model, store, drill.name, drill.target)
    predictions: np.ndarray = predict_with(model, canary, predict_fn)
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
    store: Any,
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
        before = predict_with(load_model(store, name, original), canary, predict_fn)
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
        served, predict_s = _timed(predict_with, model, canary, predict_fn)
        drill.step("serve canary inputs", predict_s, rows=int(np.asarray(served).shape[0]))
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
    store: Any,
    drill: Drill,
    canary: Any,
    predict_fn: PredictFn | None,
    before: np.ndarray,
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
        drill.restored_diff = compare_outputs(
            predict_with(model, canary, predict_fn), before, atol=atol
        )
        if not drill.restored_diff.equal:
            drill.fail(
                f"restored v{original} no longer answers the canary inputs as before "
                f"the drill ({drill.restored_diff.mismatched} outputs differ)"
            )
    except Exception as exc:
        drill.fail(f"rolling forward to v{original} failed: {type(exc).__name__}: {exc}")


def check_rollback(
    store: Any,
    canary_inputs: Any,
    predict_fn: PredictFn | None,
    *,
    model_name: str,
    atol: float,
    record_missing: bool,
) -> CheckResult:
    """Run the rollback drill and judge it (see infra.7)."""
    require_methods(store, ("list", "load", "serving_version", "promote", "rollback"))
    name = resolve_name(store, model_name)
    versions = list_versions(store, name)
    original = serving_version(store, name)
    evidence: dict[str, Any] = {
        "model_name": name,
        "serving_before": original,
        "versions": [entry_summary(v, e, original) for v, e in versions][-20:],
    }
    numbers = [v for v, _ in versions]
    if len(numbers) < 2:
        return CheckResult.failed(
            f"the store holds {len(numbers)} version(s) of {name!r}: nothing to roll back to",
            evidence,
            "Keep at least the previous version in the store (never overwrite or "
            "delete the model that served before).",
        )
    if original is None:
        return CheckResult.failed(
            f"no version of {name!r} is serving, so there is nothing to roll back from",
            evidence,
            "Promote the version in production with model_store.promote(name, v).",
        )
    earlier = [v for v in numbers if v < original]
    if not earlier:
        return CheckResult.failed(
            f"serving v{original} is the oldest of {numbers}: nothing older to roll back to",
            evidence,
            "Keep the version that served before the current one in the store.",
        )
    drill = run_drill(
        store,
        name,
        original,
        numbers,
        canary_inputs,
        predict_fn,
        atol=atol,
        record_missing=record_missing,
    )
    if drill.serving_after is None:  # failed before touching the store
        drill.serving_after = serving_version(store, name)
    evidence.update(
        rolled_back_to=drill.target,
        serving_after=drill.serving_after,
        inputs_id=drill.inputs_id,
        reference=drill.reference,
        steps=drill.steps,
        rolled_back_comparison=None
        if drill.rolled_back_diff is None
        else drill.rolled_back_diff.to_dict(),
        restored_comparison=None if drill.restored_diff is None else drill.restored_diff.to_dict(),
        restored=drill.serving_after == original,
    )
    if drill.problem:
        return CheckResult.failed(
            f"rollback drill from v{original} failed: {drill.problem}",
            evidence,
            "Fix the store so the previous version can serve again; until then a bad "
            "release cannot be undone quickly.",
        )
    seconds = sum(step["seconds"] or 0.0 for step in drill.steps)
    return CheckResult.passed(
        f"rolled back v{original} → v{drill.target}, served {drill.inputs_id} matching "
        f"{'its recorded predictions' if drill.reference_recorded else 'a direct load (none recorded)'}"
        f", and rolled forward to v{original} ({seconds:.2f} s)",
        evidence,
    )
