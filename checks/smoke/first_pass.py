"""One seeded train-mode forward on the batch, shared by the checks that only read it.

``forward``, ``output_shape``, ``loss_input`` and ``initial_loss`` each look at the output
of the same pass: a fresh copy of the model, seeded, in train mode, on the batch. Called on
their own, each makes that pass. Inside :func:`sharing` (``smoke.run`` opens it), the first
pass of a ``(model, batch, batch_dim, seed)`` serves the others: the copy and the forward
are paid once, and the output they read is the same tensor, bit for bit, as the one each
would have computed. Each reader gets its own detached copy of a tensor output (a loss
that writes into its input cannot change what the next reader sees), and the pass's
working copy is never trained.
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
from .state import isolated, seeded
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


_SHARED: ContextVar[dict[Key, FirstPass] | None] = ContextVar("smoke_first_pass", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Within it, :func:`train_forward` pays one pass per ``(model, batch, batch_dim, seed)``."""
    cache: dict[Key, FirstPass] = {}
    token = _SHARED.set(cache)
    try:
        yield
    finally:
        _SHARED.reset(token)
        cache.clear()


def release() -> None:
    """Drop the shared pass (its copy and output), once no later check reads it."""
    cache = _SHARED.get()
    if cache is not None:
        cache.clear()


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
