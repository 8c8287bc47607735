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
offers its copy after the backward (:func:`publish_backward`) and ``params_update``, the
next check, takes it (:func:`take_backward`) instead of repeating them. It is taken, not
read: ``params_update`` steps the copy, so no one else may see it afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


_SHARED: ContextVar[dict[Key, FirstPass] | None] = ContextVar("smoke_first_pass", default=None)
_BACKWARD: ContextVar[dict[Key, BackwardPass] | None] = ContextVar(
    "smoke_backward_pass", default=None
)


@contextmanager
def sharing() -> Iterator[None]:
    """Within it, :func:`train_forward` pays one pass per ``(model, batch, batch_dim, seed)``."""
    cache: dict[Key, FirstPass] = {}
    backward: dict[Key, BackwardPass] = {}
    token, token_backward = _SHARED.set(cache), _BACKWARD.set(backward)
    try:
        yield
    finally:
        _SHARED.reset(token)
        _BACKWARD.reset(token_backward)
        cache.clear()
        backward.clear()


def release() -> None:
    """Drop the shared passes (their copies and outputs), once no later check reads them."""
    for shared in (_SHARED.get(), _BACKWARD.get()):
        if shared is not None:
            shared.clear()


def publish_backward(
    model: nn.Module, batch: Any, batch_dim: int, seed: int | None, result: BackwardPass
) -> None:
    """Offer a copy after its forward and backward (``finite`` makes them)."""
    cache = _BACKWARD.get()
    if cache is not None:
        cache[_key(model, batch, batch_dim, seed)] = result


def take_backward(
    model: nn.Module, batch: Any, batch_dim: int, seed: int | None
) -> BackwardPass | None:
    """The offered copy after forward and backward, removed from the cache; None if none."""
    cache = _BACKWARD.get()
    return None if cache is None else cache.pop(_key(model, batch, batch_dim, seed), None)


def _key(model: nn.Module, batch: Any, batch_dim: int, seed: int | None) -> Key:
    return id(model), id(batch), batch_dim, seed


def publish(
    model: nn.Module, batch: Any, batch_dim: int, seed: int | None, result: FirstPass
) -> None:
    """Offer a pass made elsewhere (``forward`` makes its own, to report its failures)."""
    cache = _SHARED.get()
    if cache is not None:
        cache[_key(model, batch, batch_dim, seed)] = result


@contextmanager
def train_forward(
    model: nn.Module, batch: Any, batch_dim: int = 0, seed: int | None = 0
) -> Iterator[FirstPass]:
    """The seeded train-mode pass on ``batch``, the output a detached copy; RNGs seeded within."""
    cache = _SHARED.get()
    key = _key(model, batch, batch_dim, seed)
    shared = cache.get(key) if cache is not None else None
    if shared is not None:
        with seeded(seed), torch.no_grad():
            yield _detached(shared)
        return
    with isolated(model, seed) as work:
        work.train()
        inputs, targets, layout = prepare_batch(work, batch, batch_dim)
        output = call_model(work, inputs)  # with grad: the graph tells the final activation
        result = FirstPass.of(work, inputs, targets, layout, output)
        if cache is not None:
            cache[key] = result
        with torch.no_grad():
            yield _detached(result)


def _detached(p: FirstPass) -> FirstPass:
    output = p.output
    if isinstance(output, torch.Tensor) or type(output) in (tuple, list):
        output = map_tensors(lambda t: t.detach().clone(), output)
    # other containers (a dict subclass read by attribute, such as a Hugging Face
    # ModelOutput) are passed as they are: rebuilding them could change their type
    return dataclasses.replace(p, output=output)
