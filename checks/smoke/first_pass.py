"""One seeded train-mode pass on the batch, shared by the checks that read it.

``forward``, ``output_shape``, ``loss_input`` and ``initial_loss`` each look at the output
of the same pass: a fresh copy of the model, seeded, in train mode, on the batch. Called on
their own, each makes that pass. Inside :func:`sharing` (``smoke.run`` opens it), the first
pass of a ``(model, batch, batch_dim, seed)`` serves the others: the copy and the forward
are paid once, and the output they read is the same tensor, bit for bit, as the one each
would have computed. Each reader gets its own detached copy of a tensor output (a loss
that writes into its input cannot change what the next reader sees), and the pass's
working copy is never trained.

``finite`` needs the same pass traced (hooks on every module) and its loss: when
``finite`` is to run, ``forward`` traces its pass and offers its copy with the loss
(:class:`LossPass`), and ``finite`` runs the backward on it (:func:`take_loss`) instead of
a forward of its own. ``params_update`` needs the pass *and its backward*: ``finite`` offers
the copy after the backward and ``params_update``, the next check, takes it
(:func:`take_backward`). Each is taken, not read: ``params_update`` steps the copy, so no
one else may see it afterwards (it goes back to :func:`.state.give_back` when done).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from .lossinfo import final_activation
from .state import RngState, isolated, seeded
from .tensors import BatchLayout, call_model, map_tensors, prepare_batch

Key = tuple[int, int, int, int | None]


@dataclass(frozen=True)
class FirstPass:
    """What the pass produced: the batch on its device, the output, and
    the output's last squashing operation read from its autograd graph (``"softmax"``,
    ``"sigmoid"`` or None; readers get the output without its graph)."""

    inputs: Any
    targets: Any
    layout: BatchLayout
    output: Any
    final_activation: str | None = None

    @classmethod
    def of(cls, inputs: Any, targets: Any, layout: BatchLayout, output: Any) -> FirstPass:
        """The pass of an output computed with grad (its graph is read here, once)."""
        squash = (
            final_activation(output)
            if isinstance(output, torch.Tensor) and output.is_floating_point()
            else None
        )
        return cls(inputs, targets, layout, output, squash)


@dataclass(frozen=True)
class BackwardPass:
    """A working copy after the seeded train-mode forward and backward on the batch: its
    ``.grad`` are this batch's; ``rng`` is the RNG state right after the backward."""

    work: nn.Module
    inputs: Any
    targets: Any
    loss: torch.Tensor
    rng: RngState
    output: Any = None  # the forward's output (its graph spent)


@dataclass(frozen=True)
class StepPass:
    """A working copy after the seeded train-mode forward, backward and one step of
    ``optimizer`` (``opt``, the optimizer built from that factory) on the batch:
    ``overfit_one_batch`` continues this training instead of repeating the first step.
    ``first`` is that step as the training loop records it; ``rng`` the RNG state after
    it."""

    work: nn.Module
    inputs: Any
    targets: Any
    optimizer: Any
    opt: torch.optim.Optimizer
    first: Any  # loop.FirstStep
    rng: RngState


@dataclass(frozen=True)
class LossPass:
    """A working copy after the seeded train-mode forward, traced by
    :func:`.numerics.traced`, and the loss on its output (its graph intact): ``evidence``
    and ``trace`` are what ``finite`` reads of the forward; ``rng`` is the RNG state right
    after the loss."""

    work: nn.Module
    inputs: Any
    targets: Any
    loss: Any
    evidence: dict[str, Any]
    trace: Any
    rng: RngState
    output: Any = None


@dataclass
class _Shelf:
    """The passes offered within one :func:`sharing`, by ``(model, batch, batch_dim, seed)``;
    ``wanted``: the checks that will run."""

    wanted: frozenset[str] = frozenset()
    forward: dict[Key, FirstPass] = field(default_factory=dict)
    loss: dict[Key, LossPass] = field(default_factory=dict)
    backward: dict[Key, BackwardPass] = field(default_factory=dict)
    step: dict[Key, StepPass] = field(default_factory=dict)

    def clear(self) -> None:
        self.forward.clear()
        self.loss.clear()
        self.backward.clear()
        self.step.clear()


_SHELF: ContextVar[_Shelf | None] = ContextVar("smoke_shared_passes", default=None)


@contextmanager
def sharing(checks: Iterable[str] = ()) -> Iterator[None]:
    """Within it, a pass one check makes serves the later checks (of ``checks``, those that
    will run) that read it."""
    shelf = _Shelf(frozenset(checks))
    token = _SHELF.set(shelf)
    try:
        yield
    finally:
        _SHELF.reset(token)
        shelf.clear()


def release() -> None:
    """Drop the shared passes (their copies and outputs), once no later check reads them."""
    shelf = _SHELF.get()
    if shelf is not None:
        shelf.clear()


def wanted(check: str) -> bool:
    """Whether ``check`` runs later in this :func:`sharing` (a pass made for it is read)."""
    shelf = _SHELF.get()
    return shelf is not None and check in shelf.wanted


def _key(model: nn.Module, batch: Any, batch_dim: int, seed: int | None) -> Key:
    return id(model), id(batch), batch_dim, seed


def publish(
    model: nn.Module,
    batch: Any,
    batch_dim: int,
    seed: int | None,
    result: FirstPass | LossPass | BackwardPass | StepPass,
) -> None:
    """Offer a pass made elsewhere: ``forward`` makes its own forward (to report its
    failures) and, traced, its loss; ``finite`` the backward."""
    shelf = _SHELF.get()
    if shelf is None:
        return
    key = _key(model, batch, batch_dim, seed)
    if isinstance(result, FirstPass):
        shelf.forward[key] = result
    elif isinstance(result, LossPass):
        shelf.loss[key] = result
    elif isinstance(result, StepPass):
        shelf.step[key] = result
    else:
        shelf.backward[key] = result


def take_step(model: nn.Module, batch: Any, batch_dim: int, seed: int | None) -> StepPass | None:
    """The offered copy after one training step, removed from the shelf; None if none."""
    shelf = _SHELF.get()
    return None if shelf is None else shelf.step.pop(_key(model, batch, batch_dim, seed), None)


def take_loss(model: nn.Module, batch: Any, batch_dim: int, seed: int | None) -> LossPass | None:
    """The offered traced forward and loss, removed from the shelf; None if none."""
    shelf = _SHELF.get()
    return None if shelf is None else shelf.loss.pop(_key(model, batch, batch_dim, seed), None)


def take_backward(
    model: nn.Module, batch: Any, batch_dim: int, seed: int | None
) -> BackwardPass | None:
    """The offered copy after forward and backward, removed from the shelf; None if none."""
    shelf = _SHELF.get()
    return None if shelf is None else shelf.backward.pop(_key(model, batch, batch_dim, seed), None)


@contextmanager
def train_forward(
    model: nn.Module, batch: Any, batch_dim: int = 0, seed: int | None = 0
) -> Iterator[FirstPass]:
    """The seeded train-mode pass on ``batch``, the output a detached copy; RNGs seeded within."""
    shelf = _SHELF.get()
    key = _key(model, batch, batch_dim, seed)
    shared = shelf.forward.get(key) if shelf is not None else None
    if shared is not None:
        with seeded(seed), torch.no_grad():
            yield _detached(shared)
        return
    with isolated(model, seed) as work:
        work.train()
        inputs, targets, layout = prepare_batch(work, batch, batch_dim)
        output = call_model(work, inputs)  # with grad: the graph tells the final activation
        result = FirstPass.of(inputs, targets, layout, output)
        if shelf is not None:
            shelf.forward[key] = result
        with torch.no_grad():
            yield _detached(result)


def _detached(p: FirstPass) -> FirstPass:
    output = p.output
    if isinstance(output, torch.Tensor) or type(output) in (tuple, list):
        output = map_tensors(lambda t: t.detach().clone(), output)
    # other containers (a dict subclass read by attribute, such as a Hugging Face
    # ModelOutput) are passed as they are: rebuilding them could change their type
    return replace(p, output=output)
