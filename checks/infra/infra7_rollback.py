"""infra.7 — serving models can be rolled back: run the drill on the store, judge it.

The drill (roll back, serve the canary inputs, compare, roll forward) is the mechanism of
:mod:`.drill`; the store is read through :mod:`.store`. Here the preconditions (two
versions, one serving, an older one) and the drill's outcome are judged.
"""

from __future__ import annotations

from typing import Any

from mltestscore.checks.infra.drill import run_drill
from mltestscore.checks.infra.store import (
    entry_summary,
    list_versions,
    require_methods,
    resolve_name,
    serving_version,
)
from mltestscore.inputs.predict import PredictFn
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult


@register_builtin_check("infra.7")
def serving_model_can_be_rolled_back(
    model_store: Any,
    canary_inputs: Any,
    predict_fn: PredictFn | None = None,
    *,
    model_name: str = "",
    atol: float = 1e-6,
    record_missing: bool = False,
) -> CheckResult:
    """Rolling back to the previous version loads, serves and reproduces its predictions.

    Inputs: ``model_store`` (``list``, ``load``, ``serving_version``, ``promote``,
    ``rollback``; optionally ``recorded_predictions``/``record_predictions``),
    ``canary_inputs``; optional ``predict_fn(model, inputs)``. The drill rolls back
    from the serving version N to an earlier one (N−1, or the version that served
    before N, as the store decides), loads what now serves, answers the canary
    inputs and compares with that version's recorded predictions for these inputs
    (or, when none are recorded, with it loaded directly — said in the evidence),
    then rolls forward (``roll_forward`` when the store has it, else ``promote``)
    and verifies N is restored and answers as before; the roll-forward always runs. Fails with
    fewer than two versions, when nothing serves, or when any step fails.
    Thresholds: ``model_name`` (default: the store's only name), ``atol`` for
    numeric predictions, ``record_missing`` records N−1's predictions when absent.
    """
    require_methods(model_store, ("list", "load", "serving_version", "promote", "rollback"))
    name = resolve_name(model_store, model_name)
    versions = list_versions(model_store, name)
    original = serving_version(model_store, name)
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
    if not [v for v in numbers if v < original]:
        return CheckResult.failed(
            f"serving v{original} is the oldest of {numbers}: nothing older to roll back to",
            evidence,
            "Keep the version that served before the current one in the store.",
        )
    drill = run_drill(
        model_store,
        name,
        original,
        numbers,
        canary_inputs,
        predict_fn,
        atol=atol,
        record_missing=record_missing,
    )
    if drill.serving_after is None:  # failed before touching the store
        drill.serving_after = serving_version(model_store, name)
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
    against = "its recorded predictions" if drill.reference_recorded else "a direct load"
    return CheckResult.passed(
        f"rolled back v{original} → v{drill.target}, served {drill.inputs_id} matching "
        f"{against}{'' if drill.reference_recorded else ' (none recorded)'}"
        f", and rolled forward to v{original} ({seconds:.2f} s)",
        evidence,
    )
