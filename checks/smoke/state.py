"""Leave the caller's world as it was: model copies, RNG state, thread count, grad mode."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch
from torch import nn


@contextmanager
def working_copy(model: nn.Module) -> Iterator[nn.Module]:
    """A deep copy of ``model`` to train and mutate.

    Inside :func:`reusing_copies`, a copy a check handed back is restored in place and
    serves the next check instead of a new deep copy (:class:`_Spare`). Models that cannot
    be deep-copied are used in place, and their parameters, buffers, ``requires_grad``
    flags and train/eval modes are restored afterwards.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    pool = _POOL.get()
    spare = pool.spares.pop(id(model), None) if pool is not None else None
    if pool is not None and spare is not None and spare.original is model:
        yield from _lend(spare, pool)
        return
    try:
        clone = copy.deepcopy(model)
    except Exception:
        clone = None
    if clone is not None:
        spare = _spare(model, clone) if pool is not None else None
        if pool is None or spare is None:
            yield clone
        else:
            yield from _lend(spare, pool)
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


@dataclass
class _Spare:
    """A deep copy of ``original`` and what it looked like when made, so that a check can
    hand it back and the next one can have it as if freshly copied (:meth:`restore`)."""

    original: nn.Module
    copy: nn.Module
    # (tensor of the copy, the original's tensor, storage, shape, requires_grad)
    tensors: list[tuple[torch.Tensor, torch.Tensor, int, torch.Size, bool]]
    grads: list[tuple[torch.Tensor, torch.Tensor | None]]
    modes: list[tuple[nn.Module, bool]]
    marks: list[dict[str, Any]]
    kept: bool = False

    @classmethod
    def of(cls, original: nn.Module, clone: nn.Module) -> _Spare:
        pairs, seen = [], set()
        for t, o in zip(_tensors(clone), _tensors(original), strict=True):
            if id(t) not in seen:  # a tied weight once
                seen.add(id(t))
                pairs.append((t, o))
        return cls(
            original,
            clone,
            [(t, o, t.data_ptr(), t.shape, t.requires_grad) for t, o in pairs],
            [(p, None if p.grad is None else p.grad.detach().clone()) for p in clone.parameters()],
            [(m, m.training) for m in clone.modules()],
            [_mark_module(m) for m in clone.modules()],
        )

    def restore(self) -> bool:
        """Put the copy back as the deep copy made it: every parameter and buffer copied
        again from the original (in place: weights a check trained, running statistics a
        forward moved — kernels and ``.data`` writes do not always bump a tensor's version,
        so none is trusted), gradients, ``requires_grad`` flags and modes reset. False when
        that would not be faithful: a tensor replaced or reshaped, or any other attribute
        of a module reassigned or a container in one changed (a model that keeps state
        across calls)."""
        mods = list(self.copy.modules())
        if len(mods) != len(self.marks) or any(
            _mark_module(m) != mark for m, mark in zip(mods, self.marks, strict=True)
        ):
            return False
        if any(t.data_ptr() != ptr or t.shape != shape for t, _, ptr, shape, _ in self.tensors):
            return False
        with torch.no_grad():
            for t, orig, _, _, flag in self.tensors:
                t.copy_(orig)
                if t.requires_grad != flag and t.is_leaf:
                    t.requires_grad_(flag)
        for p, grad in self.grads:
            p.grad = None if grad is None else grad.clone()
        for m, mode in self.modes:
            m.training = mode
        return True


def _spare(original: nn.Module, clone: nn.Module) -> _Spare | None:
    """The copy as a spare, or None when it cannot be one (its parameters and buffers do
    not pair with the original's, as a custom ``__deepcopy__`` may leave them): it is then
    used once, as a plain deep copy."""
    try:
        return _Spare.of(original, clone)
    except Exception:
        return None


def _tensors(model: nn.Module) -> list[torch.Tensor]:
    return [
        *(p for _, p in model.named_parameters(remove_duplicate=False)),
        *(b for _, b in model.named_buffers(remove_duplicate=False)),
    ]


def _mark(value: Any) -> Any:
    """What tells a reassigned or changed module attribute: plain values by value, tensors
    by identity and version, containers by the identities of their items."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        return id(value), value._version
    if isinstance(value, Mapping):
        return id(value), tuple((k, id(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return id(value), tuple(id(v) for v in value)
    return id(value)


def _mark_module(module: nn.Module) -> dict[str, Any]:
    return {k: _mark(v) for k, v in vars(module).items() if k != "training"}


@dataclass
class _Pool:
    spares: dict[int, _Spare] = field(default_factory=dict)  # by id(original): ready
    lent: dict[int, _Spare] = field(default_factory=dict)  # by id(copy): in a check now
    kept: dict[int, _Spare] = field(default_factory=dict)  # by id(copy): passed on (keep)


_POOL: ContextVar[_Pool | None] = ContextVar("smoke_copy_pool", default=None)


@contextmanager
def reusing_copies() -> Iterator[None]:
    """Within it, :func:`working_copy` hands out one restored copy per model, check after
    check, instead of a new deep copy each time (``smoke.run`` opens it)."""
    token = _POOL.set(_Pool())
    try:
        yield
    finally:
        _POOL.reset(token)


def _lend(spare: _Spare, pool: _Pool) -> Iterator[nn.Module]:
    pool.lent[id(spare.copy)] = spare
    clean = False
    try:
        yield spare.copy
        clean = True
    finally:
        pool.lent.pop(id(spare.copy), None)
        if spare.kept:
            pool.kept[id(spare.copy)] = spare
        elif clean:
            _shelve(spare, pool)


def _shelve(spare: _Spare, pool: _Pool) -> None:
    """One spare per model, restored; a copy that cannot be restored is dropped."""
    if id(spare.original) not in pool.spares and spare.restore():
        pool.spares[id(spare.original)] = spare


def keep(work: nn.Module) -> None:
    """The copy ``work`` outlives its check (a later check takes it): not handed back when
    its check ends, only through :func:`give_back`."""
    pool = _POOL.get()
    spare = pool.lent.get(id(work)) if pool is not None else None
    if spare is not None:
        spare.kept = True


def give_back(work: nn.Module) -> None:
    """A copy passed on with :func:`keep` is done with: restored, it serves the next check."""
    pool = _POOL.get()
    spare = pool.kept.pop(id(work), None) if pool is not None else None
    if pool is not None and spare is not None:
        spare.kept = False
        _shelve(spare, pool)


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
