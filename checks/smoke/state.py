"""Leave the caller's world as it was: model copies, RNG state, thread count, grad mode."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import numpy as np
import torch
from torch import nn


@contextmanager
def working_copy(model: nn.Module) -> Iterator[nn.Module]:
    """A deep copy of ``model`` to train and mutate.

    Models that cannot be deep-copied are used in place, and their parameters, buffers,
    ``requires_grad`` flags and train/eval modes are restored afterwards.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    try:
        clone = copy.deepcopy(model)
    except Exception:
        clone = None
    if clone is not None:
        yield clone
        return
    state = {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}
    flags = [(p, p.requires_grad) for p in model.parameters()]
    modes = [(m, m.training) for m in model.modules()]
    try:
        yield model
    finally:
        with torch.no_grad():
            model.load_state_dict(state)
        for p, flag in flags:
            p.requires_grad_(flag)
            p.grad = None
        for m, mode in modes:
            m.training = mode


RngState = tuple[Any, Any, Any, list[torch.Tensor] | None]


def save_rng() -> RngState:
    initialized = cast(Any, torch.cuda).is_initialized()
    cuda = torch.cuda.get_rng_state_all() if initialized else None
    return random.getstate(), np.random.get_state(), torch.get_rng_state(), cuda


def restore_rng(state: RngState) -> None:
    py, np_state, cpu, cuda = state
    random.setstate(py)
    np.random.set_state(np_state)
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state_all(cuda)


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CUDA too


@contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed python, numpy and torch (CPU and CUDA); restore their states on exit."""
    state = save_rng()
    try:
        if seed is not None:
            seed_all(seed)
        yield
    finally:
        restore_rng(state)


@contextmanager
def threads(count: int | None) -> Iterator[None]:
    """``torch.set_num_threads(count)`` for the duration, restored on exit."""
    if count is None:
        yield
        return
    if count < 1:
        raise ValueError(f"num_threads must be at least 1, got {count}")
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def isolated(model: nn.Module, seed: int | None) -> Iterator[nn.Module]:
    """A working copy of the model, with seeded RNGs and grad enabled; all undone on exit."""
    with seeded(seed), torch.enable_grad(), working_copy(model) as work:
        yield work
