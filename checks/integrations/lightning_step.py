"""The smoke suite run through a LightningModule's own ``training_step``.

- :func:`training_step_adapter`: ``train_step(model, (inputs, targets), optimizer, step)``
  (:data:`mltestscore.checks.smoke.loop.TrainStep`) running ``model.training_step``:
  automatic optimization as Lightning's loop does it (``zero_grad``, step, ``backward``,
  ``on_before_optimizer_step`` (where clipping lives), ``optimizer.step``), manual optimization as written (``self.optimizers()`` returns the
  optimizer the check handed over, ``self.manual_backward(loss)`` is ``loss.backward()``,
  ``self.lr_schedulers()`` is ``None``, ``self.log`` records nothing). The first step of
  each run is compared with the module's loss on the same batch: a flipped sign or
  parameters cut off by a ``.detach()`` raise :class:`StepCutOff`.
- :func:`optimizer_factory`: what ``configure_optimizers`` builds, over the parameters of
  the copy a check works on (param groups kept).
- :func:`module_loss_fn`: the module's own loss (``self.loss_fn``, ``self.criterion``, …).
- :func:`smoke_defaults`: the three together, for ``smoke.run`` on a LightningModule.

No lightning import: a LightningModule is recognised by its methods.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

LOSS_ATTRIBUTES = ("loss_fn", "criterion", "loss_func", "loss_function")


def is_lightning_module(value: object) -> bool:
    """True for a ``LightningModule`` instance (by its methods: no lightning import)."""
    return (
        not isinstance(value, type)
        and all(
            callable(getattr(value, m, None))
            for m in ("training_step", "configure_optimizers", "parameters")
        )
        and hasattr(value, "automatic_optimization")
    )


def first_optimizer(configured: Any) -> Any:
    """The optimizer out of whatever ``configure_optimizers`` returned."""
    import torch

    if isinstance(configured, torch.optim.Optimizer):
        return configured
    if isinstance(configured, Mapping) and "optimizer" in configured:
        return first_optimizer(configured["optimizer"])
    if isinstance(configured, (list, tuple)) and configured:
        return first_optimizer(configured[0])
    raise TypeError(
        "configure_optimizers() returned no optimizer the checks can use "
        f"({type(configured).__name__}); return an optimizer, a list of them, "
        '(optimizers, schedulers) or {"optimizer": ..., "lr_scheduler": ...}'
    )


def optimizer_factory(module: Any) -> Callable[[Iterable[Any]], Any]:
    """``params -> optimizer``: what ``module.configure_optimizers()`` builds, over ``params``.

    ``params`` are the parameters of a copy of ``module``, in the same order (the smoke
    suite hands over ``copy.parameters()``); each param group keeps its settings.
    """
    try:
        optimizer = first_optimizer(module.configure_optimizers())
    except TypeError:
        raise
    except Exception as exc:
        raise ValueError(
            f"configure_optimizers() failed outside a Trainer ({type(exc).__name__}: {exc}); "
            "define ml_optimizer (params -> optimizer) instead"
        ) from exc
    positions = {id(p): i for i, p in enumerate(module.parameters())}
    groups = []
    for group in optimizer.param_groups:
        settings = {k: v for k, v in group.items() if k not in ("params", "initial_lr")}
        groups.append((settings, [positions[id(p)] for p in group["params"]]))
    kind = type(optimizer)
    accepted = inspect.signature(kind).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    # defaults the constructor does not take (AdamW's decoupled_weight_decay) stay in groups
    defaults = {k: v for k, v in optimizer.defaults.items() if takes_any or k in accepted}

    def factory(params: Iterable[Any]) -> Any:
        handed = list(params)
        rebuilt = [{**s, "params": [handed[i] for i in index]} for s, index in groups]
        return kind(rebuilt, **defaults)

    return factory


def _bind(module: Any, optimizer: Any, seen: list[Any]) -> None:
    """Stand-ins, on this instance, for what a Trainer gives a LightningModule."""

    def backward(loss: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(loss)
        loss.backward(*args, **kwargs)

    object.__setattr__(module, "optimizers", lambda use_pl_optimizer=True: optimizer)
    object.__setattr__(module, "manual_backward", backward)
    object.__setattr__(module, "lr_schedulers", lambda: None)
    object.__setattr__(module, "log", lambda *args, **kwargs: None)
    object.__setattr__(module, "log_dict", lambda *args, **kwargs: None)


class StepCutOff(Exception):
    """The module's ``training_step`` does not train what its loss depends on (message says how)."""


def training_step_adapter(
    loss_fn: Callable[[Any, Any], Any] | None = None,
) -> Callable[[Any, tuple[Any, Any], Any, int], Any]:
    """``train_step(model, batch, optimizer, step) -> loss`` running ``model.training_step``.

    Automatic optimization: ``zero_grad``, ``training_step``, ``backward``,
    ``on_before_optimizer_step``, ``step``,
    as Lightning's loop does. Manual optimization: ``training_step`` alone (it calls
    ``self.optimizers()``, ``manual_backward`` and ``step`` itself).

    With ``loss_fn`` (the module's loss), the first step of each run is compared with it
    on the same batch: a step whose loss is the negative of ``loss_fn``'s (a flipped sign)
    or that hands the optimizer no gradient for parameters ``loss_fn``'s loss depends on
    (a ``.detach()`` or ``no_grad`` inside ``training_step``) raises :class:`StepCutOff`,
    which the smoke suite reports as the failing ``training_step`` finding.
    """

    def train_step(model: Any, batch: tuple[Any, Any], optimizer: Any, step: int) -> Any:
        seen: list[Any] = []
        _bind(model, optimizer, seen)
        if loss_fn is None or step != 0:
            return _one_step(model, batch, optimizer, step, seen)
        return _verified_step(model, batch, optimizer, loss_fn, seen)

    return train_step


def _one_step(
    model: Any, batch: tuple[Any, Any], optimizer: Any, step: int, seen: list[Any]
) -> Any:
    if not model.automatic_optimization:
        out = model.training_step(batch, step)
        return _loss(out) if out is not None else (seen[-1] if seen else out)
    optimizer.zero_grad()
    loss = _loss(model.training_step(batch, step))
    if loss is None:  # Lightning skips the step when training_step returns None
        return 0.0
    loss.backward()
    hook = getattr(model, "on_before_optimizer_step", None)
    if callable(hook):  # the team's clipping and gradient logging live here
        hook(optimizer)
    optimizer.step()
    return loss


def _verified_step(
    model: Any, batch: tuple[Any, Any], optimizer: Any, loss_fn: Callable[..., Any], seen: list[Any]
) -> Any:
    import torch

    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    rng = torch.get_rng_state()
    was_training = model.training
    model.train()
    ref_loss = loss_fn(model(batch[0]), batch[1])
    grads = torch.autograd.grad(ref_loss, [p for _, p in params], allow_unused=True)
    torch.set_rng_state(rng)
    with torch.no_grad():
        for n, b in model.named_buffers():
            b.copy_(buffers[n])
    model.train(was_training)
    handed: list[Any] = []
    hook = optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: handed.append(
            [None if p.grad is None else p.grad.detach().clone() for _, p in params]
        )
    )
    try:
        loss = _one_step(model, batch, optimizer, 0, seen)
    finally:
        hook.remove()
    value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss or 0.0)
    reference = float(ref_loss.detach())
    if reference and value and value / reference < 0 and abs(value / reference + 1) < 0.2:
        raise StepCutOff(
            f"training_step returns {value:.4g} where its loss function gives {reference:.4g} "
            "on the same batch: the sign is flipped, so the optimizer climbs the loss"
        )
    if handed:
        cut = [
            name
            for (name, _), ref, got in zip(params, grads, handed[0], strict=True)
            if ref is not None
            and float(ref.abs().sum()) > 0
            and (got is None or float(got.abs().sum()) <= 1e-12 * float(ref.abs().sum()))
        ]
        if cut:
            raise StepCutOff(
                f"training_step hands the optimizer no gradient for {len(cut)} of "
                f"{len(params)} parameter tensors its loss depends on ({', '.join(cut[:4])}): "
                "a .detach() or torch.no_grad() inside training_step cuts them off"
            )
    return loss


def _loss(out: Any) -> Any:
    return out["loss"] if isinstance(out, Mapping) else out


def module_loss_fn(module: Any) -> Callable[[Any, Any], Any]:
    """The module's own loss, ``self.loss_fn`` (or ``criterion``, …) as ``loss_fn(out, y)``."""
    for name in LOSS_ATTRIBUTES:
        fn = getattr(module, name, None)
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    raise ValueError(
        f"{type(module).__name__} has no loss attribute ({', '.join(LOSS_ATTRIBUTES)}): set "
        "self.loss_fn = <the loss training_step uses>, or define ml_loss_fn"
    )


def split_batch(batch: Any) -> tuple[Any, Any]:
    """``(inputs, targets)`` from a loader's batch (a pair, or a mapping with x/y keys)."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, Mapping):
        for xs, ys in (("x", "y"), ("inputs", "targets"), ("image", "label")):
            if xs in batch and ys in batch:
                return batch[xs], batch[ys]
    raise TypeError(
        f"a batch of {type(batch).__name__} is not an (inputs, targets) pair; define "
        "ml_batch (and ml_train_step) for this datamodule"
    )


def smoke_defaults(
    module: Any, loss_fn: Any = None, optimizer: Any = None, train_step: Any = None
) -> tuple[Any, Any, Any]:
    """``(loss_fn, optimizer, train_step)`` for ``smoke.run`` on a LightningModule: what
    the caller passed, else the module's loss, ``configure_optimizers`` and
    ``training_step`` (the hook for ``smoke.run`` to accept a LightningModule directly)."""
    loss = loss_fn if loss_fn is not None else module_loss_fn(module)
    return (
        loss,
        optimizer if optimizer is not None else optimizer_factory(module),
        train_step if train_step is not None else training_step_adapter(loss),
    )
