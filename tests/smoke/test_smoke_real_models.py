"""What real models need from the suite: step budgets with a time cap that only skips,
loss floors read from the loss, structured batches, causality, the team's training step."""

from __future__ import annotations

from typing import Any

import corpus
import pytest
import torch
import torch.nn.functional as F
import zoo
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from mltestscore.checks import smoke
from mltestscore.checks.smoke import FindingStatus
from mltestscore.checks.smoke.loop import DenseSparseAdam, make_optimizer
from mltestscore.checks.smoke.lossinfo import estimate_floor
from mltestscore.checks.smoke.tensors import ragged_reason

PASS, WARN, FAIL, SKIP = (
    FindingStatus.PASS,
    FindingStatus.WARN,
    FindingStatus.FAIL,
    FindingStatus.SKIP,
)

# ----------------------------------------------------------------------------- budgets


@pytest.mark.parametrize("check", ["overfit_one_batch", "memorize", "val_improves"])
def test_a_wall_clock_cap_skips_with_not_enough_time_and_never_fails(check: str) -> None:
    s = zoo.build("mlp_digits")
    capped = {"max_seconds": 1e-9}
    report = smoke.run(
        s.model,
        s.batch,
        s.loss_fn,
        optimizer=lambda p: torch.optim.SGD(p, lr=1e-4),  # slow enough to be cut short
        data=s.data,
        checks=[check],
        options={check: capped} if check != "val_improves" else {"val_improves": capped},
    )
    f = report[check]
    assert f.status is SKIP and "not enough time to judge" in f.message, f.message
    assert not report.passed or f.status is SKIP


def test_run_caps_every_fit_at_once() -> None:
    s = zoo.build("mlp_digits")
    fits = ["overfit_one_batch", "memorize", "val_improves"]
    report = smoke.run(
        s.model,
        s.batch,
        s.loss_fn,
        optimizer=lambda p: torch.optim.SGD(p, lr=1e-4),
        data=s.data,
        checks=fits,
        max_seconds=1e-9,
    )
    assert [report[n].status for n in fits] == [SKIP] * 3
    assert all("not enough time to judge" in report[n].message for n in fits)


def test_without_a_cap_the_same_fit_is_judged_by_steps() -> None:
    s = zoo.build("mlp_digits")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is PASS and f.metrics["stopped"] == "target"


# ----------------------------------------------------------------------------- floors


def test_a_loss_that_may_go_below_zero_has_no_floor_and_soft_targets_have_one() -> None:
    torch.manual_seed(0)
    out, y = torch.randn(32, 2), torch.randn(32)
    assert estimate_floor(corpus.gaussian_nll_loss, out, y) is None
    soft = torch.rand(32, 8)
    floor = estimate_floor(nn.BCELoss(), torch.sigmoid(torch.randn(32, 8)), soft)
    entropy = float(F.binary_cross_entropy(soft, soft))
    assert floor is not None and abs(floor - entropy) < 0.01


def test_a_negated_loss_still_reads_as_rising() -> None:
    s = zoo.build("log_likelihood_sign")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is FAIL and f.metrics["diagnosis"] == "rising" and "sign" in f.message


def test_plateau_advice_depends_on_the_learning_rate() -> None:
    flat = [2.3, 2.29, 2.3, 2.29, 2.3, 2.29] * 5
    low = smoke.diagnose_loss_curve(flat, lr=1e-5)
    high = smoke.diagnose_loss_curve(flat, lr=1.0)
    assert low.kind == high.kind == "plateau"
    assert "raise the learning rate" in low.message
    assert "raise the learning rate" not in high.message and "not low" in high.message


# ----------------------------------------------------------------------------- structures


class LastHidden(nn.Module):
    """The common ``_, (h, _) = lstm(x)``: the sequence output gets no gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def test_finite_handles_outputs_without_gradient_and_sparse_gradients() -> None:
    torch.manual_seed(0)
    batch = (torch.randn(8, 5, 8), torch.randint(0, 3, (8,)))
    assert smoke.finite(LastHidden(), batch, nn.CrossEntropyLoss()).status is PASS
    s = corpus.build("embedding_bag")
    assert smoke.finite(s.model, s.batch, s.loss_fn).status is PASS


def test_the_default_optimizer_takes_sparse_embedding_gradients() -> None:
    s = corpus.build("embedding_bag")
    assert isinstance(make_optimizer(None, s.model), DenseSparseAdam)
    f = smoke.params_update(s.model, s.batch, s.loss_fn)
    assert f.status is PASS, f.message


def test_ragged_inputs_are_recognized() -> None:
    x = torch.randn(3, 4, 2)
    packed = pack_padded_sequence(x, torch.tensor([4, 2, 1]), batch_first=True)
    assert "PackedSequence" in (ragged_reason((packed,)) or "")
    (text, offsets), y = corpus._bags(8, 0)
    assert "offsets" in (ragged_reason((text, offsets), targets=y) or "")
    assert ragged_reason(torch.randn(8, 3), targets=torch.zeros(8)) is None


def test_random_state_in_forward_is_not_blamed_on_batch_mixing() -> None:
    s = corpus.build("lstm_random_initial_state")
    report = smoke.run(s.model, s.batch, s.loss_fn, checks=["eval_mode", "batch_independence"])
    assert report["eval_mode"].status is FAIL
    assert report["batch_independence"].status is SKIP
    assert "random" in report["batch_independence"].message


# ----------------------------------------------------------------------------- causality


class Conv1dSeq(nn.Module):
    """(B, T, F) → (B, T, F) with a temporal convolution, causal (left-padded) or not."""

    def __init__(self, causal: bool) -> None:
        super().__init__()
        self.causal = causal
        self.conv = nn.Conv1d(4, 4, 3, padding=0 if causal else 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)  # (B, F, T)
        h = F.pad(h, (2, 0)) if self.causal else h
        return self.conv(h).transpose(1, 2)


@pytest.mark.parametrize(("causal", "status"), [(True, PASS), (False, FAIL)])
def test_causality_catches_a_look_ahead(causal: bool, status: FindingStatus) -> None:
    torch.manual_seed(0)
    batch = (torch.randn(4, 6, 4), torch.randn(4, 6, 4))
    f = smoke.causality(Conv1dSeq(causal), batch, nn.MSELoss(), time_dim=1)
    assert f.status is status, f.message
    if status is FAIL:
        assert "future" in f.message


def test_causality_is_skipped_unless_the_model_is_marked_causal() -> None:
    batch = (torch.randn(4, 6, 4), torch.randn(4, 6, 4))
    f = smoke.causality(Conv1dSeq(False), batch, nn.MSELoss())
    assert f.status is SKIP and "causal_dim" in f.message


# ----------------------------------------------------------------------------- train step


def test_training_step_is_skipped_without_a_step_and_fails_when_it_crashes() -> None:
    s = zoo.build("mlp_digits")
    assert smoke.training_step(s.model, s.batch, s.loss_fn).status is SKIP

    def broken(model: nn.Module, batch: Any, opt: Any, step: int) -> Any:
        raise KeyError("images")

    f = smoke.training_step(s.model, s.batch, s.loss_fn, train_step=broken)
    assert f.status is FAIL and "KeyError" in f.message
    report = smoke.run(s.model, s.batch, s.loss_fn, train_step=broken, checks=["overfit_one_batch"])
    assert report["overfit_one_batch"].status is SKIP and not report.errors


# ----------------------------------------------------------------------------- memory


def test_memory_per_batch_finds_the_largest_batch_and_the_dominant_layer() -> None:
    s = zoo.build("cnn_digits")
    roomy = smoke.memory_per_batch(s.model, s.batch, s.loss_fn, budget_mb=1000)
    assert roomy.status is PASS and roomy.metrics["largest_batch"] > 64
    assert roomy.metrics["per_sample_mb"] > 0 and roomy.metrics["top_layers_mb"]
    tight = smoke.memory_per_batch(s.model, s.batch, s.loss_fn, budget_mb=0.5)
    assert tight.status is FAIL and "runs out of memory" in tight.message
    assert "`" in tight.message  # the dominating layer is named
    if not torch.cuda.is_available():
        assert smoke.memory_per_batch(s.model, s.batch, s.loss_fn).status is SKIP


# ----------------------------------------------------------------------------- fuzzing


def test_fuzz_predict_returns_the_shrunk_input_that_breaks_predict() -> None:
    pytest.importorskip("hypothesis")
    import numpy as np

    from mltestscore.schema import TensorSchema

    schema = TensorSchema(shape=(4,), dtype="float32", min_value=0.0, max_value=1.0)

    def sigmoid_of_sum(x: Any) -> Any:
        return 1 / (1 + np.exp(-np.asarray(x).sum(1)))

    def log_first(x: Any) -> Any:
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(x)[:, 0])  # -inf at 0, which the schema allows

    ok = smoke.fuzz_predict(sigmoid_of_sum, schema, output_range=(0.0, 1.0), max_examples=20)
    assert ok.status is PASS
    bad = smoke.fuzz_predict(log_first, schema, max_examples=20)
    assert bad.status is FAIL and "NaN/Inf" in bad.message
    assert bad.metrics["shrunk_input"]["values"][0] == 0.0
