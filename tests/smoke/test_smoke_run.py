"""smoke.run: isolation (model, RNG, threads), error handling, options, reports."""

from __future__ import annotations

import json
import random
import threading
from typing import Any

import numpy as np
import pytest
import torch
import zoo
from torch import nn

from mltestscore.checks import smoke
from mltestscore.checks.smoke import FindingStatus, runner

# the broadcasting bugs of the zoo make torch warn, as it should
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")

FAST = {"overfit_one_batch": {"steps": 40}, "memorize": {"steps": 40}}


def test_run_leaves_the_callers_model_and_rng_alone() -> None:
    s = zoo.build("cnn_digits")
    s.model.train()
    s.model.features[0].weight.requires_grad_(False)
    before = {k: v.clone() for k, v in s.model.state_dict().items()}
    params = list(s.model.parameters())
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    threads = torch.get_num_threads()

    report = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, data=s.data, seed=3)

    assert report.passed, [f.message for f in report.failed]
    after = s.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN running stats too
    assert list(s.model.parameters()) == params and all(p.grad is None for p in params)
    assert not s.model.features[0].weight.requires_grad and s.model.training
    assert random.getstate() == states[0]
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), states[1], strict=True))
    assert torch.equal(torch.get_rng_state(), states[2])
    assert torch.get_num_threads() == threads


def test_run_is_reproducible_for_a_seed() -> None:
    s = zoo.build("gru_digits")
    a = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, seed=1, options=FAST)
    b = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, seed=1, options=FAST)
    assert a["overfit_one_batch"].metrics["losses"] == b["overfit_one_batch"].metrics["losses"]
    assert [f.message for f in a.findings] == [f.message for f in b.findings]


def test_a_crashing_check_becomes_an_error_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> smoke.Finding:
        raise ZeroDivisionError("something inside the check")

    monkeypatch.setitem(runner.BATCH_CHECKS, "finite", boom)
    s = zoo.build("mlp_digits")
    report = smoke.run(s.model, s.batch, s.loss_fn, checks=["finite", "eval_mode"])
    assert report.names == ["finite", "eval_mode"]
    err = report["finite"]
    assert err.status is FindingStatus.ERROR
    assert "ZeroDivisionError: something inside the check" in err.message
    assert "test_smoke_run.py" in err.message  # the frame that raised
    assert report["eval_mode"].status is FindingStatus.PASS
    assert not report.passed and report.errors == [err]  # could not judge: not a pass


def test_when_the_model_does_not_run_the_other_checks_are_skipped() -> None:
    x, y = zoo.digits_images()[:2]
    report = smoke.run(zoo._mlp(64, 10), (x[:16], y[:16]), nn.CrossEntropyLoss())
    assert report["forward"].status is FindingStatus.FAIL
    others = [f for f in report.findings if f.name != "forward"]
    assert all(f.status is FindingStatus.SKIP for f in others)
    assert not report.passed


def test_report_serializes_to_json_and_keeps_the_curve() -> None:
    s = zoo.build("lr_too_high")
    report = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["passed"] is False and data["counts"]["fail"] >= 1
    overfit = next(f for f in data["findings"] if f["name"] == "overfit_one_batch")
    assert overfit["status"] == "fail" and overfit["metrics"]["diagnosis"] in smoke.CURVE_KINDS
    assert 2 <= len(overfit["metrics"]["losses"]) <= 200
    assert "overfit_one_batch" in smoke.render_text(report)


def test_options_reach_the_checks_and_bad_options_are_refused() -> None:
    s = zoo.build("lr_too_low")
    report = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, options=FAST)
    assert report["overfit_one_batch"].metrics["steps"] == 40
    with pytest.raises(ValueError, match="unknown smoke check"):
        smoke.run(s.model, s.batch, s.loss_fn, checks=["overfit"])
    with pytest.raises(ValueError, match=r"unknown keyword\(s\) \['step'\]"):
        smoke.run(s.model, s.batch, s.loss_fn, options={"overfit_one_batch": {"step": 3}})
    with pytest.raises(ValueError, match="'test'"):
        smoke.run(s.model, s.batch, s.loss_fn, data={"train": s.batch, "test": s.batch})
    with pytest.raises(TypeError, match="batch must be a pair"):
        smoke.forward(s.model, s.batch[0], s.loss_fn)


def test_data_checks_are_skipped_without_data_and_run_with_it() -> None:
    s = zoo.build("binary_cancer")
    without = smoke.run(s.model, s.batch, s.loss_fn, checks=["memorize", "train_val_overlap"])
    assert all(f.status is FindingStatus.SKIP and "data=" in f.message for f in without.findings)
    with_data = smoke.run(
        s.model, s.batch, s.loss_fn, optimizer=s.optimizer, data=s.data,
        checks=["train_val_overlap", "memorize", "val_improves"],
    )  # fmt: skip
    assert [f.status for f in with_data.findings] == [FindingStatus.PASS] * 3


def test_numpy_batches_are_accepted() -> None:
    s = zoo.build("mlp_digits")
    batch = (s.batch[0].numpy().astype(np.float64), s.batch[1].numpy())
    report = smoke.run(s.model, batch, s.loss_fn, optimizer=s.optimizer, options=FAST)
    assert report.passed and not report.errors


def test_findings_carry_numbers_and_next_steps_when_they_fail() -> None:
    s = zoo.build("softmax_before_ce")
    report = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    for f in report.failed:
        assert any(ch.isdigit() for ch in f.message) or f.name == "loss_input"
        assert "—" in f.message  # problem — next step


def test_a_model_that_cannot_be_deep_copied_is_restored_after_each_check() -> None:
    import threading

    s = zoo.build("mlp_digits")
    s.model.lock = threading.Lock()  # type: ignore[assignment]  # deepcopy cannot copy a lock
    before = {k: v.clone() for k, v in s.model.state_dict().items()}
    report = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, options=FAST)
    assert not report.errors, [f.message for f in report.errors]
    assert all(torch.equal(before[k], v) for k, v in s.model.state_dict().items())
    assert all(p.grad is None for p in s.model.parameters())


class _CountingNet(nn.Module):
    """Counts its forward passes on the class: every working copy adds to the same count."""

    calls = 0

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.drop = nn.Dropout(0.5)  # the seeded pass must be the same pass for every reader

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        type(self).calls += 1
        out: torch.Tensor = self.fc(self.drop(x))
        return out


FIRST_PASS = ["forward", "output_shape", "loss_input", "initial_loss"]


def test_the_checks_that_read_one_forward_share_it_and_judge_as_alone() -> None:
    torch.manual_seed(0)
    model, x, y = _CountingNet(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()
    _CountingNet.calls = 0
    report = smoke.run(model, (x, y), loss, checks=FIRST_PASS)
    assert _CountingNet.calls == 1
    alone = [getattr(smoke, name)(model, (x, y), loss) for name in FIRST_PASS]
    assert _CountingNet.calls == 1 + len(FIRST_PASS)  # alone, each check makes its own pass
    assert [(f.name, f.status, f.message, f.metrics) for f in report.findings] == [
        (f.name, f.status, f.message, f.metrics) for f in alone
    ]


def test_a_loss_that_writes_into_its_input_does_not_change_what_the_next_check_reads() -> None:
    torch.manual_seed(0)
    model, x, y = _CountingNet(), torch.randn(16, 4), torch.randint(0, 3, (16,))

    def softmax_in_place(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        probs = out.softmax(-1) if out.requires_grad else out.copy_(out.softmax(-1))
        return nn.functional.nll_loss(probs.clamp_min(1e-9).log(), target)

    report = smoke.run(model, (x, y), softmax_in_place, checks=FIRST_PASS)
    alone = [getattr(smoke, name)(model, (x, y), softmax_in_place) for name in FIRST_PASS]
    assert [f.metrics for f in report.findings] == [f.metrics for f in alone]


def test_params_update_steps_the_backward_finite_made_and_judges_as_alone() -> None:
    torch.manual_seed(0)
    model, x, y = _CountingNet(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()
    sgd = lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9)  # noqa: E731
    _CountingNet.calls = 0
    report = smoke.run(model, (x, y), loss, optimizer=sgd, checks=["finite", "params_update"])
    assert _CountingNet.calls == 1
    alone = [
        smoke.finite(model, (x, y), loss),
        smoke.params_update(model, (x, y), loss, optimizer=sgd),
    ]
    assert _CountingNet.calls == 3
    assert [(f.name, f.status, f.message, f.metrics) for f in report.findings] == [
        (f.name, f.status, f.message, f.metrics) for f in alone
    ]


def test_a_check_between_finite_and_params_update_gets_a_fresh_pass() -> None:
    s = zoo.build("cnn_digits")
    report = smoke.run(s.model, s.batch, s.loss_fn, checks=["finite", "eval_mode", "params_update"])
    alone = smoke.params_update(s.model, s.batch, s.loss_fn)
    assert report.get("params_update").metrics == alone.metrics  # type: ignore[union-attr]


class _Uncopyable(_CountingNet):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()  # no deep copy: the checks work on the model itself


def test_a_model_that_cannot_be_copied_gets_its_own_pass_per_check() -> None:
    torch.manual_seed(0)
    model, x, y = _Uncopyable(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()
    report = smoke.run(model, (x, y), loss, checks=["finite", "params_update"])
    assert report.passed, [f.message for f in report.findings]
    alone = smoke.params_update(model, (x, y), loss)
    assert report.findings[1].metrics == alone.metrics


def test_finite_judges_this_batchs_gradients_not_ones_the_model_carried() -> None:
    torch.manual_seed(0)
    model, x, y = _Uncopyable(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    model.fc.weight.grad = torch.full_like(model.fc.weight, float("nan"))  # a stale NaN
    result = smoke.finite(model, (x, y), nn.CrossEntropyLoss())
    assert result.status is FindingStatus.PASS, result.message
    assert model.fc.weight.grad is None  # and the model is left without gradients


def test_overfit_goes_on_from_the_step_params_update_took_and_judges_as_alone() -> None:
    torch.manual_seed(0)
    model, x, y = _CountingNet(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()
    sgd = lambda params: torch.optim.SGD(params, lr=0.5, momentum=0.9)  # noqa: E731
    names = [*FIRST_PASS, "finite", "params_update", "input_scaling", "overfit_one_batch"]
    _CountingNet.calls = 0
    report = smoke.run(model, (x, y), loss, optimizer=sgd, checks=names)
    fit = report.get("overfit_one_batch")
    assert fit is not None
    steps = fit.metrics["steps"]
    # one forward for the first six checks (its step is overfit's first), one for
    # input_scaling, overfit's other steps and its eval-mode forward
    assert _CountingNet.calls == 1 + 1 + (steps - 1) + 1
    alone = [getattr(smoke, name)(model, (x, y), loss) for name in names[:5]]
    alone += [
        smoke.params_update(model, (x, y), loss, optimizer=sgd),
        smoke.input_scaling(model, (x, y), loss),
        smoke.overfit_one_batch(model, (x, y), loss, optimizer=sgd),
    ]

    def same(f: Any) -> tuple[Any, ...]:
        metrics = {k: v for k, v in f.metrics.items() if k != "seconds"}
        return f.name, f.status, f.message, metrics

    assert [same(f) for f in report.findings] == [same(f) for f in alone]


def test_overfit_with_its_own_optimizer_starts_afresh() -> None:
    torch.manual_seed(0)
    model, x, y = _CountingNet(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()
    adam = lambda params: torch.optim.Adam(params, lr=0.05)  # noqa: E731
    options = {"overfit_one_batch": {"optimizer": adam}}
    report = smoke.run(
        model,
        (x, y),
        loss,
        checks=["finite", "params_update", "overfit_one_batch"],
        options=options,
    )
    alone = smoke.overfit_one_batch(model, (x, y), loss, optimizer=adam)
    shared = report.get("overfit_one_batch")
    assert shared is not None and shared.metrics["losses"] == alone.metrics["losses"]
    assert shared.metrics["optimizer"] == "Adam"


def _deep_copies(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """Counts the deep copies the checks make of a model (each copy of a module tree once)."""
    from mltestscore.checks.smoke import state

    made: list[type] = []
    real = state.copy.deepcopy

    def counting(obj: Any, memo: Any = None) -> Any:
        if memo is None and isinstance(obj, nn.Module):
            made.append(type(obj))
        return real(obj, memo)

    monkeypatch.setattr(state.copy, "deepcopy", counting)
    return made


def test_one_copy_serves_every_check_and_is_restored_between_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import contextlib

    s = zoo.build("cnn_digits")  # BatchNorm: a forward moves its running statistics
    made = _deep_copies(monkeypatch)
    pooled = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, data=s.data)
    assert len(made) == 1, made  # one copy, handed from check to check
    monkeypatch.setattr(runner, "reusing_copies", contextlib.nullcontext)
    made.clear()
    fresh = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, data=s.data)
    assert len(made) > 5  # without the pool every check copies the model
    strip = lambda f: (f.name, f.status, {k: v for k, v in f.metrics.items() if k != "seconds"})  # noqa: E731
    assert [strip(f) for f in pooled.findings] == [strip(f) for f in fresh.findings]


class _Remembers(nn.Module):
    """Keeps the last batch's mean as an attribute: state a copy carries from call to call."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.last: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shift = 0.0 if self.last is None else float(self.last)
        self.last = x.detach().mean()
        out: torch.Tensor = self.fc(x) + shift
        return out


def test_a_copy_that_kept_state_across_calls_is_not_handed_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch.manual_seed(0)
    model, x, y = _Remembers(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()
    names = ["input_scaling", "input_dependence", "eval_mode"]
    made = _deep_copies(monkeypatch)
    report = smoke.run(model, (x, y), loss, checks=names)
    assert len(made) == len(names)  # each restore refused: a fresh copy per check
    alone = [getattr(smoke, n)(model, (x, y), loss) for n in names]
    assert [f.metrics for f in report.findings] == [f.metrics for f in alone]


def test_a_restored_copy_is_the_copy_deepcopy_makes() -> None:
    from mltestscore.checks.smoke import state

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    model[2].weight.requires_grad_(False)
    with state.reusing_copies():
        with state.working_copy(model) as work:
            work.train()
            work(torch.randn(16, 4)).sum().backward()  # running statistics move, grads land
            with torch.no_grad():
                work[0].weight.data.add_(1.0)  # a write no version counter sees
            work[0].bias.requires_grad_(False)
            work[2].weight.requires_grad_(True)
            work.eval()
        with state.working_copy(model) as again:
            assert again is work  # handed back, restored, handed out again
            fresh = state.copy.deepcopy(model)
            for (n, a), (_, b) in zip(
                again.state_dict(keep_vars=True).items(),
                fresh.state_dict(keep_vars=True).items(),
                strict=True,
            ):
                assert torch.equal(a, b), n
                assert a.requires_grad == b.requires_grad, n
            assert all(p.grad is None for p in again.parameters())
            assert [m.training for m in again.modules()] == [m.training for m in fresh.modules()]


class _CopiesWithoutItsHead(_CountingNet):
    """A custom ``__deepcopy__`` whose copy has fewer parameters than the original."""

    def __deepcopy__(self, memo: Any) -> nn.Module:
        twin = _CountingNet()
        twin.load_state_dict(self.state_dict())
        twin.extra = nn.Linear(1, 1)  # parameters no longer pair with the original's
        return twin


def test_a_copy_that_does_not_pair_with_the_model_is_used_once_not_an_error() -> None:
    torch.manual_seed(0)
    model, x, y = _CopiesWithoutItsHead(), torch.randn(16, 4), torch.randint(0, 3, (16,))
    report = smoke.run(model, (x, y), nn.CrossEntropyLoss(), checks=["forward", "eval_mode"])
    assert not report.errors, [f.message for f in report.errors]
