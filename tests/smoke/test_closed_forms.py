"""The closed-form loss floors and constant baselines agree with the numerical search they
replace, and step aside for every use they do not cover."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mltestscore.checks.smoke.closed_forms import known_constant, known_floor
from mltestscore.checks.smoke.lossfloor import attainable_minimum
from mltestscore.checks.smoke.subset_fit import constant_baseline, fit_constant

N, C = 48, 5


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(3)


def _labels(n: int = N) -> torch.Tensor:
    return torch.randint(0, C, (n,), generator=_gen())


def _soft(n: int = N) -> torch.Tensor:
    return torch.softmax(torch.randn(n, C, generator=_gen()), 1)


def _binary(n: int = N) -> torch.Tensor:
    return torch.randint(0, 2, (n, 3), generator=_gen()).float()


def _probs(n: int = N) -> torch.Tensor:
    return torch.rand(n, 3, generator=_gen())


def _values(n: int = N) -> torch.Tensor:
    return torch.randn(n, 2, generator=_gen()) * 3 + 1


def _ignored() -> torch.Tensor:
    y = _labels()
    y[::4] = -100
    return y


# (name, loss, output shape, targets)
COVERED: list[
    tuple[str, Callable[..., torch.Tensor], tuple[int, ...], Callable[[], torch.Tensor]]
] = [
    ("ce", nn.CrossEntropyLoss(), (N, C), _labels),
    ("ce_smoothing", nn.CrossEntropyLoss(label_smoothing=0.1), (N, C), _labels),
    ("ce_ignore_smoothing", nn.CrossEntropyLoss(label_smoothing=0.2), (N, C), _ignored),
    ("ce_soft_targets", nn.CrossEntropyLoss(), (N, C), _soft),
    ("ce_sum", nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1), (N, C), _labels),
    ("F.cross_entropy", F.cross_entropy, (N, C), _labels),
    ("partial_smoothing", functools.partial(F.cross_entropy, label_smoothing=0.3), (N, C), _labels),
    ("bce_logits", nn.BCEWithLogitsLoss(), (N, 3), _binary),
    ("bce_logits_soft", nn.BCEWithLogitsLoss(), (N, 3), _probs),
    ("bce_soft", nn.BCELoss(), (N, 3), _probs),
    ("mse", nn.MSELoss(), (N, 2), _values),
    ("l1", nn.L1Loss(), (N, 2), _values),
    ("huber", nn.HuberLoss(), (N, 2), _values),
]


@pytest.mark.parametrize("name,loss,shape,targets", COVERED, ids=[c[0] for c in COVERED])
def test_closed_form_floor_matches_the_numerical_search(
    name: str, loss: Any, shape: tuple[int, ...], targets: Callable[[], torch.Tensor]
) -> None:
    y = targets()
    out = torch.zeros(shape)
    if name == "bce_soft":
        out = torch.full(shape, 0.5)
    exact = known_floor(loss, out, y)
    assert exact is not None
    searched = attainable_minimum(loss, out, y, steps=3000)
    assert searched is not None
    scale = max(1.0, abs(exact))
    assert exact <= searched + 1e-5 * scale  # nothing found below the floor (float32 sums)
    # the search's own accuracy: Adam on free outputs hovers around an L1 kink
    slack = 0.02 * float(loss(out, y)) if name == "l1" else 5e-3 * scale
    assert searched - exact <= slack, (exact, searched)
    if name.startswith(("ce_smoothing", "partial")):
        assert exact > 0.1  # label smoothing: a floor well above zero


@pytest.mark.parametrize(
    "name,loss,targets",
    [
        ("ce", nn.CrossEntropyLoss(), _labels),
        ("ce_smoothing", nn.CrossEntropyLoss(label_smoothing=0.1), _labels),
        ("bce_logits", nn.BCEWithLogitsLoss(), _binary),
        ("mse", nn.MSELoss(), _values),
        ("l1", nn.L1Loss(), _values),
    ],
)
def test_closed_form_constant_matches_the_numerical_fit(
    name: str, loss: Any, targets: Callable[..., torch.Tensor]
) -> None:
    y, y_val = targets(N), targets(N)[torch.randperm(N, generator=_gen())][: N // 2]
    width = C if name.startswith("ce") else y.shape[1]
    out, val_out = torch.zeros(N, width), torch.zeros(N // 2, width)
    exact = known_constant(loss, out, y, val_out, y_val)
    assert exact is not None
    fitted = fit_constant(loss, out, y, val_out, y_val, steps=3000)
    assert abs(fitted - exact) <= 1e-2 * max(1.0, abs(exact)), (exact, fitted)
    assert constant_baseline(loss, out, y, val_out, y_val) == exact


def _weighted_smoothing(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out, y) * 2


NOT_COVERED: list[tuple[str, Any, torch.Tensor, torch.Tensor]] = [
    ("custom callable", _weighted_smoothing, torch.zeros(N, C), _labels()),
    ("lambda", lambda o, t: F.mse_loss(o, t), torch.zeros(N, 2), _values()),
    (
        "weights with smoothing",
        nn.CrossEntropyLoss(weight=torch.ones(C), label_smoothing=0.1),
        torch.zeros(N, C),
        _labels(),
    ),
    (
        "pos_weight",
        nn.BCEWithLogitsLoss(pos_weight=torch.ones(3) * 2),
        torch.zeros(N, 3),
        _binary(),
    ),
    # (N, 1) outputs against (N,) targets broadcast to (N, N): the floor is the variance
    ("broadcasting", nn.MSELoss(), torch.zeros(N, 1), torch.randn(N, generator=_gen())),
    ("reduction none", nn.MSELoss(reduction="none"), torch.zeros(N, 2), _values()),
    ("huber delta", functools.partial(F.huber_loss, delta=0.5), torch.zeros(N, 2), _values()),
    ("labels out of range", nn.CrossEntropyLoss(), torch.zeros(N, C), _labels() + C),
    ("tuple output", nn.MSELoss(), (torch.zeros(N, 2),), _values()),  # type: ignore[list-item]
]


@pytest.mark.parametrize("name,loss,out,y", NOT_COVERED, ids=[c[0] for c in NOT_COVERED])
def test_uses_the_closed_forms_do_not_cover_fall_back(
    name: str, loss: Any, out: Any, y: torch.Tensor
) -> None:
    assert known_floor(loss, out, y) is None


def test_nll_on_free_outputs_is_unbounded_below_as_the_search_finds() -> None:
    y, log_probs = _labels(), torch.log_softmax(torch.randn(N, C, generator=_gen()), 1)
    assert known_floor(nn.NLLLoss(), log_probs, y) == -math.inf
    assert attainable_minimum(nn.NLLLoss(), log_probs, y) == -math.inf


def test_broadcasting_keeps_its_true_floor_through_the_search() -> None:
    y = torch.randn(N, generator=_gen())
    from mltestscore.checks.smoke.lossinfo import estimate_floor

    floor = estimate_floor(nn.MSELoss(), torch.zeros(N, 1), y)
    assert floor is not None
    assert math.isclose(floor, float(y.var(unbiased=False)), rel_tol=1e-2)


def test_one_constant_output_drives_only_a_negated_likelihood_to_minus_infinity() -> None:
    from mltestscore.checks.smoke.lossfloor import unbounded_for_a_constant

    y = torch.randn(N, generator=_gen())
    out = torch.randn(N, 2, generator=_gen()) * 0.1  # (mean, log-variance)

    def gaussian_nll(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return F.gaussian_nll_loss(o[:, 0], t, o[:, 1].exp())

    # per sample it goes below zero (to its variance clamp); for a constant it is bounded
    assert (attainable_minimum(gaussian_nll, out, y) or 0.0) < 0
    assert not unbounded_for_a_constant(gaussian_nll, out, y)
    assert unbounded_for_a_constant(lambda o, t: -gaussian_nll(o, t), out, y)
    assert not unbounded_for_a_constant(nn.MSELoss(), torch.zeros(N), y)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_searches_adam_is_torchs_adam_bit_for_bit(dtype: torch.dtype) -> None:
    from mltestscore.checks.smoke.lossfloor import OutputAdam

    torch.manual_seed(0)
    start = [torch.randn(8, 3, dtype=dtype), torch.randn(5, dtype=dtype)]
    target = torch.randn(8, 3, dtype=dtype)

    def loss_of(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.gaussian_nll_loss(a, target, b.exp().mean().expand_as(a)) + (a**3).mean()

    ours = [t.clone().requires_grad_(True) for t in start]
    theirs = [t.clone().requires_grad_(True) for t in start]
    mine, reference = OutputAdam(ours, lr=0.07), torch.optim.Adam(theirs, lr=0.07)
    for _ in range(200):
        mine.step(loss_of(*ours))
        reference.zero_grad()
        loss_of(*theirs).backward()
        reference.step()
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_the_searches_adam_leaves_an_output_the_loss_does_not_reach_alone() -> None:
    from mltestscore.checks.smoke.lossfloor import OutputAdam

    used, unused = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    opt = OutputAdam([used, unused], lr=0.1)
    opt.step((used**2).sum())
    assert not torch.equal(used, torch.ones(3)) and torch.equal(unused, torch.ones(3))
