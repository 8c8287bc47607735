"""infra.2 — the model spec is unit tested: the smoke suite's findings, judged.

The troubleshooting (smoke) suite (:func:`mltestscore.checks.smoke.run`) is the unit test
of a torch model's spec; the model's declared contract adds findings
(:mod:`.model_contract`). Any failed finding fails the check; a crashed one makes it an
ERROR; a fit the wall-clock cap cut short leaves it INCONCLUSIVE; soft signals a WARN.
A scikit-learn estimator gets its spec test instead
(:func:`mltestscore.checks.integrations.sklearn_spec.check_sklearn_spec`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from mltestscore.checks.infra.model_contract import Finding, contract_findings
from mltestscore.inputs.arrays import is_sklearn_estimator, is_torch_module, rounded
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated, Status

if TYPE_CHECKING:  # the smoke suite imports torch: loaded only when the check runs
    from mltestscore.checks.smoke.results import SmokeReport

MAX_LIST = 20

#: The ``smoke.run`` keywords a team may pass through ``ml_smoke_options``.
SMOKE_OPTIONS = frozenset(
    {
        "train_step",
        "take_samples",
        "causal_dim",
        "batch_dim",
        "expected",
        "checks",
        "options",
        "max_seconds",
    }
)


@register_builtin_check("infra.2")
def model_specs_unit_tested(
    model: Any,
    batch: Any = None,
    loss_fn: Callable[..., Any] | None = None,
    optimizer: Any = None,
    data: Any = None,
    smoke_options: Mapping[str, Any] | None = None,
    train_data: Any = None,
    target: str | None = None,
    schema: Any = None,
    *,
    seed: int = 0,
    subset_rows: int = 200,
    proba_atol: float = 1e-6,
) -> CheckResult:
    """The model spec's unit test passes: the smoke suite, or an estimator's spec test.

    A ``torch.nn.Module``: inputs ``batch`` (one ``(inputs, targets)`` training batch) and
    ``loss_fn``; optional ``optimizer`` and ``data``, as
    :func:`mltestscore.checks.smoke.run` takes them, and ``smoke_options``: more of its
    keywords (``train_step``, ``take_samples``, ``causal_dim``, ``batch_dim``,
    ``expected``, ``checks``, ``options``, ``max_seconds``). When the model (or its
    class) carries a ``@mltestscore.model_contract``, its promises — finite outputs,
    ``output_range``, deterministic eval, input spec — are checked on the batch's inputs
    as extra findings. Fails when any finding fails; a crashed smoke check makes it an
    ERROR, a fit the wall-clock cap cut short INCONCLUSIVE, soft signals a WARN.
    Evidence: every finding (name, status, message, metrics such as the overfit loss
    curve, downsampled) and the contract.

    A scikit-learn estimator: inputs ``train_data`` (and ``target`` for a DataFrame),
    optional ``schema`` (data.1's pandera schema). On ``subset_rows`` rows (every class
    kept) a clone fits, ``predict`` is deterministic, ``predict_proba`` rows sum to 1
    within ``proba_atol``, rows cast to the schema's dtypes are accepted, and a second
    clone refits identically; a broken promise fails.

    Thresholds: ``seed`` (both), ``subset_rows`` and ``proba_atol`` (scikit-learn).
    Not automated for other models, or without the inputs their test needs.
    """
    if not is_torch_module(model):
        if is_sklearn_estimator(model) and callable(getattr(model, "fit", None)):
            from mltestscore.checks.integrations.sklearn_spec import check_sklearn_spec

            if train_data is None:
                raise NotAutomated(
                    f"the scikit-learn spec test of {type(model).__name__} fits on a subset "
                    "of the training data: define ml_train_data (and ml_target for a DataFrame)"
                )
            return check_sklearn_spec(
                model, train_data, schema, target,
                seed=seed, subset_rows=subset_rows, proba_atol=proba_atol,
            )  # fmt: skip
        raise NotAutomated(
            "infra.2 unit-tests a torch.nn.Module (the smoke suite: ml_batch, ml_loss_fn) or "
            f"a scikit-learn estimator (its spec test: ml_train_data); ml_model is a "
            f"{type(model).__name__}"
        )
    if batch is None or loss_fn is None:
        missing = [n for n, v in (("ml_batch", batch), ("ml_loss_fn", loss_fn)) if v is None]
        raise NotAutomated(
            f"the smoke suite of {type(model).__name__} needs {' and '.join(missing)}: one "
            "(inputs, targets) training batch and the loss (for a LightningModule, "
            "lightning_fixtures defines them)"
        )
    run_kwargs = dict(smoke_options or {})
    unknown = sorted(set(run_kwargs) - SMOKE_OPTIONS)
    if unknown:
        raise ValueError(
            f"ml_smoke_options: unknown key(s) {unknown}; expected some of {sorted(SMOKE_OPTIONS)}"
        )
    from mltestscore.checks import smoke  # torch: imported when the check runs

    report = smoke.run(
        model, batch, loss_fn, optimizer=optimizer, data=data, seed=seed, **run_kwargs
    )
    findings = smoke_findings(report)
    contract: dict[str, Any] | None
    try:
        contract, extra = contract_findings(model, batch)
    except Exception as exc:  # the contract's forward pass itself failed
        message = f"checking the model contract raised {type(exc).__name__}: {exc}"
        contract, extra = (
            None,
            [{"name": "contract", "status": "error", "metrics": {}, "message": message[:400]}],
        )
    findings += extra
    evidence: dict[str, Any] = {
        "findings": findings,
        "seconds": rounded(report.seconds, 3),
        "contract": contract,
    }
    failed = [f for f in findings if f["status"] == "fail"]
    errored = [f for f in findings if f["status"] == "error"]
    untimed = [  # a fit the wall-clock cap cut short: not judged, so not a pass either
        f for f in findings if f["status"] == "skip" and f["metrics"].get("not_enough_time")
    ]
    warned = [f for f in findings if f["status"] == "warn"]
    judged = len(findings) - len(failed) - len(errored) - len(untimed) - len(warned)
    counts = (
        f"{len(findings)} findings: {judged} passed or skipped, {len(warned)} warnings, "
        f"{len(untimed)} not judged, {len(errored)} crashed, {len(failed)} failed"
    )
    if failed:
        return CheckResult.failed(
            f"model unit tests failed ({counts}): {_names(failed)}",
            evidence,
            f"{failed[0]['name']}: {failed[0]['message']}",
        )
    if errored:  # a smoke check that crashed judged nothing: an outcome, never a pass
        return CheckResult(
            Status.ERROR,
            f"model unit tests crashed ({counts}): {_names(errored)}",
            evidence,
            f"{errored[0]['name']}: {errored[0]['message']}",
        )
    if untimed:
        return CheckResult.inconclusive(
            f"could not judge: {_names(untimed)} hit the wall-clock cap before its step "
            f"budget ({counts})",
            evidence,
            "Raise or drop the smoke suite's max_seconds (ml_smoke_options), or give a smaller "
            "batch: a fit cut short by the clock is not a verdict.",
        )
    if warned:
        return CheckResult.warned(
            f"model unit tests passed with signals to review ({counts}): {_names(warned)}",
            evidence,
            f"{warned[0]['name']}: {warned[0]['message']}",
        )
    return CheckResult.passed(f"model unit tests passed ({counts})", evidence)


def _names(findings: list[Finding]) -> str:
    return ", ".join(str(f["name"]) for f in findings)


def smoke_findings(report: SmokeReport) -> list[Finding]:
    """The smoke report's findings as small JSON-able rows."""
    return [
        {
            "name": f.name,
            "status": getattr(f.status, "value", str(f.status)),
            "message": f.message[:400],
            "metrics": shrink(dict(f.metrics)),
        }
        for f in report.findings
    ]


def shrink(value: Any, depth: int = 0) -> Any:
    """Keep evidence small: long lists (loss curves) are downsampled to ~20 points."""
    if isinstance(value, Mapping):
        return {str(k): shrink(v, depth + 1) for k, v in value.items()} if depth < 4 else "…"
    if isinstance(value, (list, tuple)):
        items = list(value)
        if len(items) > MAX_LIST:
            idx = np.unique(np.linspace(0, len(items) - 1, MAX_LIST).round().astype(int))
            items = [items[i] for i in idx]
        return [shrink(v, depth + 1) for v in items]
    if isinstance(value, float):
        return rounded(value)
    return value
