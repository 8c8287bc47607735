"""Every smoke check, called directly: a case where it passes, and one where it fails for the
reason it exists."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import zoo
from torch import nn

from mltestscore.checks import smoke
from mltestscore.checks.smoke import FindingStatus

# the broadcasting bugs of the zoo make torch warn, as it should
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")

PASS, WARN, FAIL, SKIP = (
    FindingStatus.PASS,
    FindingStatus.WARN,
    FindingStatus.FAIL,
    FindingStatus.SKIP,
)


def setup(name: str) -> zoo.Setup:
    return zoo.build(name)


def digits_batch(n: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    Xtr, ytr, _, _ = zoo.standardized("digits")
    return Xtr[:n], torch.tensor(ytr[:n])


def has_number(text: str) -> bool:
    return re.search(r"\d", text) is not None


# ----------------------------------------------------------------------------- forward


def test_forward_passes_on_a_working_model() -> None:
    s = setup("mlp_digits")
    f = smoke.forward(s.model, s.batch, s.loss_fn)
    assert f.status is PASS and f.metrics["output_shapes"] == [64, 10]


def test_forward_fails_when_the_model_crashes_and_names_the_shapes() -> None:
    x, y = digits_batch()
    f = smoke.forward(nn.Linear(63, 10), (x, y), nn.CrossEntropyLoss())
    assert f.status is FAIL
    assert "RuntimeError" in f.message and "[32, 64]" in f.message


@pytest.mark.parametrize(
    ("loss_fn", "words"),
    [
        (lambda o, t: F.cross_entropy(o, t).item(), "not a tensor"),
        (nn.CrossEntropyLoss(reduction="none"), "not a scalar"),
        (lambda o, t: F.cross_entropy(o.detach(), t), "does not require grad"),
    ],
)
def test_forward_fails_on_a_loss_that_cannot_be_backpropagated(loss_fn: Any, words: str) -> None:
    x, y = digits_batch()
    f = smoke.forward(zoo._mlp(64, 10), (x, y), loss_fn)
    assert f.status is FAIL and words in f.message


# ----------------------------------------------------------------------------- output_shape


@pytest.mark.parametrize("name", ["mlp_digits", "regression_diabetes", "binary_cancer"])
def test_output_shape_passes_when_outputs_line_up(name: str) -> None:
    s = setup(name)
    assert smoke.output_shape(s.model, s.batch, s.loss_fn).status is PASS


@pytest.mark.parametrize("name", ["broadcast_regression", "broadcast_custom_l1"])
def test_output_shape_catches_silent_broadcasting(name: str) -> None:
    s = setup(name)
    f = smoke.output_shape(s.model, s.batch, s.loss_fn)
    assert f.status is FAIL
    assert "[64, 1]" in f.message and "[64, 64]" in f.message and "squeeze" in f.message


def test_output_shape_only_warns_when_the_loss_reshapes_itself() -> None:
    s = setup("broadcast_custom_l1")
    f = smoke.output_shape(s.model, s.batch, lambda o, t: (o.squeeze(1) - t).abs().mean())
    assert f.status is WARN and f.metrics["pairing_change"] > 0


# ----------------------------------------------------------------------------- loss_input


@pytest.mark.parametrize("name", ["mlp_digits", "binary_cancer", "iris_two_inputs_nll"])
def test_loss_input_passes_for_the_right_kind_of_output(name: str) -> None:
    s = setup(name)
    assert smoke.loss_input(s.model, s.batch, s.loss_fn).status is PASS


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("softmax_before_ce", "before CrossEntropyLoss, which expects raw logits"),
        ("sigmoid_before_bce_logits", "pass through sigmoid (values in"),
        ("nll_on_logits", "expects log-probabilities"),
        ("plus_minus_one_labels", "[-1.00, 1.00]"),
        ("log_likelihood_sign", "remove the minus sign"),
    ],
)
def test_loss_input_names_the_wrong_input(name: str, words: str) -> None:
    s = setup(name)
    f = smoke.loss_input(s.model, s.batch, s.loss_fn)
    assert f.status is FAIL and words in f.message, f.message


def test_loss_input_catches_one_based_class_labels() -> None:
    x, y = digits_batch()
    f = smoke.loss_input(zoo._mlp(64, 10), (x, y + 1), nn.CrossEntropyLoss())
    assert f.status is FAIL and "[0, C)" in f.message


def test_loss_input_warns_about_unscaled_regression_targets() -> None:
    Xtr, ytr, _, _ = zoo.standardized("diabetes")
    y = torch.tensor(ytr[:64], dtype=torch.float32)[:, None]
    f = smoke.loss_input(zoo._mlp(10, 1), (Xtr[:64], y), nn.MSELoss())
    assert f.status is WARN and "standardize the targets" in f.message


def test_loss_input_skips_a_loss_it_cannot_recognize() -> None:
    x, y = digits_batch()
    f = smoke.loss_input(zoo._mlp(64, 10), (x, y), lambda o, t: (o.sum(1) - t).cos().mean())
    assert f.status is SKIP


# ----------------------------------------------------------------------------- initial_loss


def test_initial_loss_passes_near_ln_c() -> None:
    s = setup("mlp_digits")
    f = smoke.initial_loss(s.model, s.batch, s.loss_fn)
    assert f.status is PASS and "ln 10" in f.message
    assert f.metrics["expected_high"] == pytest.approx(np.log(10), rel=1e-4)


@pytest.mark.parametrize("name", ["pixels_0_255", "raw_cancer_features"])
def test_initial_loss_fails_far_above_chance(name: str) -> None:
    s = setup(name)
    f = smoke.initial_loss(s.model, s.batch, s.loss_fn)
    assert f.status is FAIL and "× the expected" in f.message and "initialization" in f.message


def test_initial_loss_fails_on_a_negative_loss() -> None:
    s = setup("nll_on_logits")
    assert smoke.initial_loss(s.model, s.batch, s.loss_fn).status is FAIL


def test_initial_loss_takes_an_explicit_expectation_and_skips_without_one() -> None:
    x, y = digits_batch()
    odd = lambda o, t: (o.sum(1) - t).cos().mean() + 3  # noqa: E731
    assert smoke.initial_loss(zoo._mlp(64, 10), (x, y), odd).status is SKIP
    f = smoke.initial_loss(zoo._mlp(64, 10), (x, y), odd, expected=(0.0, 0.5), fail_ratio=2.0)
    assert f.status is FAIL


# ----------------------------------------------------------------------------- finite


def test_finite_passes_on_a_healthy_model() -> None:
    s = setup("cnn_digits")
    assert smoke.finite(s.model, s.batch, s.loss_fn).status is PASS


def test_finite_names_the_module_that_produces_nan() -> None:
    s = setup("zero_std_standardize")
    f = smoke.finite(s.model, s.batch, s.loss_fn)
    assert f.status is FAIL and "`0 (Standardize)`" in f.message


def test_finite_names_the_backward_producer() -> None:
    class SqrtNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.act, self.fc2 = nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc2(torch.sqrt(self.act(self.fc1(x))))  # d sqrt(0) = inf

    f = smoke.finite(SqrtNet(), digits_batch(), nn.CrossEntropyLoss())
    assert f.status is FAIL and "backward" in f.message and "act (ReLU)" in f.message


def test_finite_blames_the_loss_for_its_own_backward() -> None:
    x, _ = digits_batch()
    rmse = lambda o, t: torch.sqrt(((o - o.detach()) ** 2).mean())  # noqa: E731 - sqrt(0)
    f = smoke.finite(zoo._mlp(64, 10), (x, torch.zeros(32, 10)), rmse)
    assert f.status is FAIL and "loss_fn" in f.message


def test_finite_names_nan_parameters() -> None:
    model = zoo._mlp(64, 10)
    with torch.no_grad():
        model[2].weight[0, 0] = float("nan")
    f = smoke.finite(model, digits_batch(), nn.CrossEntropyLoss())
    assert f.status is FAIL and "`2.weight`" in f.message


# ----------------------------------------------------------------------------- input_scaling


def test_input_scaling_passes_on_standardized_inputs() -> None:
    s = setup("mlp_digits")
    assert smoke.input_scaling(s.model, s.batch).status is PASS


@pytest.mark.parametrize("name", ["raw_cancer_features", "pixels_0_255"])
def test_input_scaling_fails_on_raw_inputs(name: str) -> None:
    s = setup(name)
    f = smoke.input_scaling(s.model, s.batch)
    assert f.status is FAIL and "not normalized" in f.message and has_number(f.message)


def test_input_scaling_accepts_raw_inputs_that_the_model_normalizes_first() -> None:
    s = setup("raw_cancer_features")
    model = nn.Sequential(nn.BatchNorm1d(30), nn.Linear(30, 1), nn.Flatten(0))
    assert smoke.input_scaling(model, s.batch).status is PASS


@pytest.mark.parametrize(("factor", "status"), [(2.0, WARN), (1e-5, FAIL)])
def test_input_scaling_judges_the_scale(factor: float, status: FindingStatus) -> None:
    x, y = digits_batch()
    assert smoke.input_scaling(zoo._mlp(64, 10), (x * factor, y)).status is status


# ----------------------------------------------------------------------------- input_dependence


def test_input_dependence_passes_when_inputs_matter() -> None:
    s = setup("mlp_digits")
    f = smoke.input_dependence(s.model, s.batch, s.loss_fn)
    assert f.status is PASS and "zeroed inputs" in f.message


def test_input_dependence_fails_when_the_input_is_masked_away() -> None:
    s = setup("inverted_mask")
    f = smoke.input_dependence(s.model, s.batch, s.loss_fn)
    assert f.status is FAIL and "inverted or all-zero mask" in f.message


def test_input_dependence_fails_when_only_the_batch_mean_matters() -> None:
    class MeanOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(64, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x.mean(0, keepdim=True)).expand(x.shape[0], 10)

    f = smoke.input_dependence(MeanOnly(), digits_batch(), nn.CrossEntropyLoss())
    assert f.status is FAIL and "a mean over the batch dimension" in f.message


def test_input_dependence_fails_when_the_model_ignores_its_input() -> None:
    s = setup("dead_relu_init")
    f = smoke.input_dependence(s.model, s.batch, s.loss_fn)
    assert f.status is FAIL and "ignores its input" in f.message


def test_input_dependence_warns_about_an_ignored_input() -> None:
    s = setup("wine_dict_label_smoothing")
    inputs = {**s.batch[0], "unused": torch.randn(64, 4)}

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = s.model

        def forward(self, chem: torch.Tensor, color: torch.Tensor, unused: torch.Tensor) -> Any:
            return self.inner(chem, color)

    f = smoke.input_dependence(Wrapper(), (inputs, s.batch[1]), s.loss_fn)
    assert f.status is WARN and "unused" in f.message


# ----------------------------------------------------------------------------- batch_independence


@pytest.mark.parametrize("name", ["mlp_digits", "cnn_digits", "gru_digits", "time_major_conv"])
def test_batch_independence_passes_for_independent_samples(name: str) -> None:
    s = setup(name)
    f = smoke.batch_independence(s.model, s.batch, **s.kwargs)
    assert f.status is PASS, f.message


@pytest.mark.parametrize(
    "name",
    ["reshape_mixes_batch", "gru_missing_batch_first", "softmax_wrong_dim", "homemade_batchnorm"],
)
def test_batch_independence_catches_mixing(name: str) -> None:
    s = setup(name)
    f = smoke.batch_independence(s.model, s.batch)
    assert f.status is FAIL and "influence each other" in f.message and has_number(f.message)


class _Shifted(nn.Module):
    """Sample i's output reads sample i + shift's input (a roll along the batch)."""

    def __init__(self, shift: int) -> None:
        super().__init__()
        self.fc, self.shift = nn.Linear(4, 3), shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(x + 0.5 * torch.roll(x, -self.shift, 0) if self.shift else x)
        return out


def _counting_grads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = torch.autograd.grad

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.autograd, "grad", counting)
    return calls


def test_batch_independence_probes_its_samples_in_one_backward_when_none_leaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting_grads(monkeypatch)
    x = torch.randn(16, 4)
    f = smoke.batch_independence(_Shifted(0), (x, torch.zeros(16)))
    assert f.status is PASS and len(calls) == 1, f.message


@pytest.mark.parametrize("shift", [1, 8])  # 8 of 16: sample 0 reads sample 8, a probed one
def test_batch_independence_names_the_pair_a_leak_joins(
    monkeypatch: pytest.MonkeyPatch, shift: int
) -> None:
    calls = _counting_grads(monkeypatch)
    x = torch.randn(16, 4)
    f = smoke.batch_independence(_Shifted(shift), (x, torch.zeros(16)))
    assert f.status is FAIL and len(calls) == 1 + 3, f.message
    i, j = f.metrics["gradient_pair"]
    assert j == (i + shift) % 16 and f"sample {i}'s output" in f.message


def test_batch_independence_probes_each_sample_of_a_small_batch_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting_grads(monkeypatch)
    f = smoke.batch_independence(_Shifted(1), (torch.randn(4, 4), torch.zeros(4)))
    assert f.status is FAIL and len(calls) == 3, f.message


class TokenModel(nn.Module):
    def __init__(self, mix: bool) -> None:
        super().__init__()
        self.emb, self.fc, self.mix = nn.Embedding(20, 8), nn.Linear(8, 3), mix

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.emb(tokens).mean(1)  # (B, 8)
        return self.fc(h - h.mean(0) if self.mix else h)


@pytest.mark.parametrize(("mix", "status"), [(False, PASS), (True, FAIL)])
def test_batch_independence_with_integer_inputs(mix: bool, status: FindingStatus) -> None:
    tokens = torch.randint(0, 20, (16, 5), generator=torch.Generator().manual_seed(0))
    f = smoke.batch_independence(TokenModel(mix), (tokens, torch.zeros(16, dtype=torch.long)))
    assert f.status is status


# ----------------------------------------------------------------------------- eval_mode


def test_eval_mode_passes_with_dropout_and_batchnorm() -> None:
    s = setup("cnn_digits")
    f = smoke.eval_mode(s.model, s.batch)
    assert f.status is PASS and "features.1" in f.message


def test_eval_mode_fails_when_dropout_stays_on() -> None:
    s = setup("functional_dropout")
    f = smoke.eval_mode(s.model, s.batch)
    assert f.status is FAIL and "self.training" in f.message


def test_eval_mode_names_modules_a_broken_train_override_leaves_in_train_mode() -> None:
    class Stuck(nn.Sequential):
        def train(self, mode: bool = True) -> Stuck:  # "freezes" BN, forgets the rest
            return self

    x, y = digits_batch()
    f = smoke.eval_mode(Stuck(nn.Linear(64, 64), nn.Dropout(0.5), nn.Linear(64, 10)), (x, y))
    assert f.status is FAIL and "stay in train mode" in f.message


def test_eval_mode_warns_when_train_differs_without_dropout_modules() -> None:
    s = setup("too_strong_augmentation")
    assert smoke.eval_mode(s.model, s.batch).status is WARN


# ----------------------------------------------------------------------------- params_update


def test_params_update_passes_when_every_parameter_learns() -> None:
    s = setup("cnn_digits")
    f = smoke.params_update(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is PASS and f.metrics["trainable"] == 10


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("detached_encoder", "`encoder.0.weight`, `encoder.0.bias` get no gradient"),
        ("dead_relu_init", "all-zero gradient"),
        ("biases_only_optimizer", "not in the optimizer"),
        ("plain_list_layers", "`blocks[0].weight`"),
        ("gradient_ascent_optimizer", "climbs the loss"),
    ],
)
def test_params_update_names_what_does_not_learn(name: str, words: str) -> None:
    s = setup(name)
    f = smoke.params_update(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is FAIL and words in f.message, f.message


def test_params_update_only_warns_about_frozen_layers_unless_all_are_frozen() -> None:
    model = zoo._mlp(64, 10)
    model[0].requires_grad_(False)
    f = smoke.params_update(model, digits_batch(), nn.CrossEntropyLoss())
    assert f.status is WARN and "`0.weight`" in f.message
    model.requires_grad_(False)
    assert smoke.params_update(model, digits_batch(), nn.CrossEntropyLoss(), optimizer=lambda p: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)).status is FAIL  # fmt: skip


def test_params_update_allow_unused_silences_named_parameters() -> None:
    s = setup("detached_encoder")
    f = smoke.params_update(s.model, s.batch, s.loss_fn, allow_unused=("encoder.",))
    assert f.status is PASS


# ----------------------------------------------------------------------------- overfit_one_batch


def test_overfit_passes_and_records_the_curve() -> None:
    s = setup("mlp_digits")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is PASS and f.metrics["diagnosis"] == "converged"
    assert f.metrics["steps"] < 300  # stopped early once the target was reached
    assert f.metrics["losses"][0] > 2 and f.metrics["losses"][-1] < 0.25


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("log_likelihood_sign", "rising"),
        ("gradient_ascent_optimizer", "rising"),
        ("lr_too_low", "plateau"),
        ("softmax_before_ce", "plateau"),
        ("unstable_handwritten_bce", "nan"),
    ],
)
def test_overfit_diagnoses_why_the_loss_does_not_fall(name: str, kind: str) -> None:
    s = setup(name)
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is FAIL and f.metrics["diagnosis"] == kind, f.message
    # a loss that falls because its sign is wrong is not called "could not overfit"
    lead = "the loss is being maximized" if name == "log_likelihood_sign" else "could not overfit"
    assert has_number(f.message) and f.message.startswith(lead), f.message


def test_overfit_high_learning_rate_explodes_or_goes_nan() -> None:
    s = setup("lr_too_high")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is FAIL and f.metrics["diagnosis"] in ("exploding", "nan", "oscillating")
    assert "learning rate" in f.message


def test_overfit_curve_is_subsampled_to_200_points() -> None:
    s = setup("lr_too_low")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, steps=450)
    assert f.metrics["steps"] == 450 and len(f.metrics["losses"]) == 200


def test_overfit_hints_at_a_squashing_activation() -> None:
    s = setup("softmax_before_ce")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert "pass through softmax" in f.message


def test_overfit_uses_the_floor_of_a_label_smoothed_loss() -> None:
    s = setup("wine_dict_label_smoothing")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is PASS and f.metrics["loss_floor"] > 0.1
    g = smoke.overfit_one_batch(
        s.model, s.batch, s.loss_fn, optimizer=s.optimizer, loss_floor=0.0, steps=100, max_steps=100
    )
    assert g.status is not PASS


# ----------------------------------------------------------------------------- data checks


def test_train_val_overlap() -> None:
    Xtr, ytr, Xva, yva = zoo.standardized("wine")
    clean = smoke.train_val_overlap((Xtr, ytr), (Xva, yva))
    assert clean.status is PASS
    one = smoke.train_val_overlap((Xtr, ytr), (torch.cat([Xva, Xtr[:1]]), np.r_[yva, ytr[:1]]))
    assert one.status is WARN and one.metrics["overlap"] == 1
    s = setup("val_inside_train")
    assert s.data is not None
    leak = smoke.train_val_overlap(s.data["train"], s.data["val"])
    assert leak.status is FAIL and "100 of 100" in leak.message


def test_memorize_passes_on_a_learnable_subset() -> None:
    s = setup("mlp_digits")
    assert s.data is not None
    f = smoke.memorize(s.model, s.data["train"], s.loss_fn, optimizer=s.optimizer)
    assert f.status is PASS and f.metrics["accuracy"] >= 0.99


def test_memorize_fails_when_labels_change_on_every_read() -> None:
    s = setup("random_label_reads")
    assert s.data is not None
    f = smoke.memorize(s.model, s.data["train"], s.loss_fn, optimizer=s.optimizer, steps=200)
    assert f.status is FAIL and "re-read every step" in f.message


def test_memorize_still_falling_at_the_step_budget_is_not_a_failure() -> None:
    # a correct model given too few steps: the verdict says so instead of failing the model
    s = setup("regression_diabetes")
    assert s.data is not None
    f = smoke.memorize(s.model, s.data["train"], s.loss_fn, steps=80, max_steps=80)
    assert f.status is WARN, f.message
    assert f.message.startswith("not enough steps to judge") and f.metrics["not_enough_steps"]
    full = smoke.memorize(s.model, s.data["train"], s.loss_fn, optimizer=s.optimizer)
    assert full.status is PASS, full.message


def test_the_memorize_budget_grows_while_the_gap_above_a_nonzero_floor_shrinks() -> None:
    from mltestscore.checks.smoke.subset_fit import improving

    # soft targets: floor 0.21; the loss fell 0.272 -> 0.263 over the last quarter, 2-3 % of
    # its value but 15 % of what is left above the floor
    points = [{"loss": v} for v in (0.69, 0.40, 0.30, 0.285, 0.278, 0.272, 0.267, 0.263)]
    assert improving(points, floor=0.2137)
    assert not improving(points)  # judged against zero it looks settled
    flat = [{"loss": v} for v in (0.69, 0.40, 0.30, 0.25, 0.2140, 0.2139, 0.2139, 0.2139)]
    assert not improving(flat, floor=0.2137)


def test_val_improves_passes_and_fails_on_shuffled_labels() -> None:
    good, bad = setup("binary_cancer"), setup("shuffled_labels")
    assert good.data is not None and bad.data is not None
    f = smoke.val_improves(good.model, good.data["train"], good.data["val"], good.loss_fn)
    assert f.status is PASS
    g = smoke.val_improves(
        bad.model, bad.data["train"], bad.data["val"], bad.loss_fn, optimizer=bad.optimizer
    )
    assert g.status is FAIL and "shuffled" in g.message and has_number(g.message)


def test_data_accepts_map_style_datasets_of_pairs() -> None:
    Xtr, ytr, _, _ = zoo.standardized("iris")
    pairs = [(Xtr[i], int(ytr[i])) for i in range(len(Xtr))]
    f = smoke.memorize(zoo._mlp(4, 3), pairs, nn.CrossEntropyLoss(), optimizer=zoo._adam(1e-2))
    assert f.status is PASS
    with pytest.raises(TypeError, match="train"):
        smoke.memorize(zoo._mlp(4, 3), {"x": 1}, nn.CrossEntropyLoss())


def test_eval_mode_with_a_dropout_submodule_attribute() -> None:
    """``self.dropout = nn.Dropout(...)`` is a module, not a rate (regression)."""
    import torch
    from torch import nn

    from mltestscore.checks import smoke

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dropout = nn.Dropout(0.3)
            self.linear = nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(self.dropout(x))

    torch.manual_seed(0)
    batch = (torch.randn(16, 4), torch.randint(0, 3, (16,)))
    finding = smoke.eval_mode(Net(), batch, nn.CrossEntropyLoss())
    assert finding.status.value == "pass", finding.message
