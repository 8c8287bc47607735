"""One seeded train-mode pass on the batch, shared by the checks that read it.

``forward``, ``output_shape``, ``loss_input`` and ``initial_loss`` each look at the output
of the same pass: a fresh copy of the model, seeded, in train mode, on the batch. Called on
their own, each makes that pass. Inside :func:`sharing` (``smoke.run`` opens it), the first
pass of a ``(model, batch, batch_dim, seed)`` serves the others: the copy and the forward
are paid once, and the output they read is the same tensor, bit for bit, as the one each
would have computed. Each reader gets its own detached copy of a tensor output (a loss
that writes into its input cannot change what the next reader sees), and the pass's
working copy is never trained.

``finite`` and ``params_update`` both need the same pass *and its backward*: ``finite``
offers its copy after the backward (:func:`publish`) and ``params_update``, the
next check, takes it (:func:`take_backward`) instead of repeating them. It is taken, not
read: ``params_update`` steps the copy, so no one else may see it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    """What the pass produced: the working copy, the batch on its device, the output, and
    the output's last squashing operation read from its autograd graph (``"softmax"``,
    ``"sigmoid"`` or None; readers get the output without its graph)."""

    work: nn.Module
    inputs: Any
    targets: Any
    layout: BatchLayout
    output: Any
    final_activation: str | None = None

    @classmethod
    def of(
        cls, work: nn.Module, inputs: Any, targets: Any, layout: BatchLayout, output: Any
    ) -> FirstPass:
        """The pass of an output computed with grad (its graph is read here, once)."""
        squash = (
            final_activation(output)
            if isinstance(output, torch.Tensor) and output.is_floating_point()
            else None
        )
        return cls(work, inputs, targets, layout, output, squash)


@dataclass(frozen=True)
class BackwardPass:
    """A working copy after the seeded train-mode forward and backward on the batch: its
    ``.grad`` are this batch's; ``rng`` is the RNG state right after the backward."""

    work: nn.Module
    inputs: Any
    targets: Any
    loss: torch.Tensor
    rng: RngState


@dataclass
class _Shelf:
    """The passes offered within one :func:`sharing`, by ``(model, batch, batch_dim, seed)``."""

    forward: dict[Key, FirstPass] = field(default_factory=dict)
    backward: dict[Key, BackwardPass] = field(default_factory=dict)

    def clear(self) -> None:
        self.forward.clear()
        self.backward.clear()


_SHELF: ContextVar[_Shelf | None] = ContextVar("smoke_shared_passes", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Within it, a pass one check makes serves the later checks that read it."""
    shelf = _Shelf()
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


def _key(model: nn.Module, batch: Any, batch_dim: int, seed: int | None) -> Key:
    return id(model), id(batch), batch_dim, seed


def publish(
    model: nn.Module,
    batch: Any,
    batch_dim: int,
    seed: int | None,
    result: FirstPass | BackwardPass,
) -> None:
    """Offer a pass made elsewhere: ``forward`` makes its own forward (to report its
    failures), ``finite`` its forward and backward."""
    shelf = _SHELF.get()
    if shelf is None:
        return
    key = _key(model, batch, batch_dim, seed)
    if isinstance(result, FirstPass):
        shelf.forward[key] = result
    else:
        shelf.backward[key] = result


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
        result = FirstPass.of(work, inputs, targets, layout, output)
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
