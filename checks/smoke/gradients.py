"""Every trainable parameter receives a non-zero gradient and changes after one step.

Also catches tensors that train but are not registered with the model (layers kept in a
plain list, a tensor created with ``requires_grad=True`` instead of ``nn.Parameter``): they
take part in the graph, but ``model.parameters()`` never hands them to the optimizer.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import ExitStack
from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .first_pass import BackwardPass, StepPass, publish, take_backward, wanted
from .loop import (
    FirstStep,
    OptimizerFactory,
    current_lr,
    describe_optimizer,
    direction_probe,
    make_optimizer,
    optimizer_step,
    step_direction,
)
from .lossinfo import LossFn
from .numerics import dense_values
from .results import Finding, finding, fmt_names
from .state import give_back, isolated, restore_rng, save_rng, seeded
from .tensors import call_model, iter_tensors, loss_value, prepare_batch


def params_update(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    optimizer: OptimizerFactory | None = None,
    batch_dim: int = 0,
    seed: int | None = 0,
    allow_unused: Collection[str] = (),
) -> Finding:
    """One forward/backward/step in train mode: gradients and updates, parameter by parameter.

    Fails on a trainable parameter with no gradient (unused or detached), an all-zero
    gradient (dead units, a multiplication by zero), no change after the step (not given to
    the optimizer, learning rate 0), or a tensor in the graph that is not a registered
    parameter. Parameters with ``requires_grad=False`` only warn (freezing is often
    intended), unless all are frozen. Names starting with an entry of ``allow_unused``
    are not reported.
    """
    shared = take_backward(model, batch, batch_dim, seed)
    handed_on = False
    with ExitStack() as stack:
        if shared is None:
            work = stack.enter_context(isolated(model, seed))
            work.train()
            inputs, targets, _ = prepare_batch(work, batch, batch_dim)
        else:  # finite's copy after the same seeded forward and backward (see .first_pass)
            stack.enter_context(seeded(None))
            stack.enter_context(torch.enable_grad())
            restore_rng(shared.rng)
            work, inputs, targets = shared.work, shared.inputs, shared.targets
        named = [
            (n, p) for n, p in work.named_parameters() if not n.startswith(tuple(allow_unused))
        ]
        # the values before the step, to tell which ones it changed: a fresh or restored copy
        # holds the model's own, so those serve (the model itself is only ever read); a
        # model that could not be copied is its own copy
        source = dict(model.named_parameters()) if work is not model else {}
        before = {n: source[n].detach() if n in source else p.detach().clone() for n, p in named}
        opt = make_optimizer(optimizer, work)
        in_opt = {id(p) for group in opt.param_groups for p in group["params"]}
        if shared is None:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(call_model(work, inputs), targets)
        else:
            loss = shared.loss
        leaves = graph_leaves(loss) if isinstance(loss, torch.Tensor) else []
        known = {id(p) for p in work.parameters()} | {id(t) for _, t in iter_tensors(inputs)}
        strays = [t for t in leaves if id(t) not in known]
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            if shared is None:
                torch.autograd.backward(loss)

            def closure() -> torch.Tensor:
                opt.zero_grad(set_to_none=True)
                again: torch.Tensor = loss_fn(call_model(work, inputs), targets)
                torch.autograd.backward(again)
                return again

            probe = direction_probe(work.parameters())
            optimizer_step(opt, closure)
            direction = step_direction(probe)
            if shared is not None:
                # the first step of overfit_one_batch's training, when it is to run
                handed_on = _hand_on(
                    model, batch, batch_dim, seed, optimizer, opt, shared, direction
                )
        else:
            direction = 0.0
        trainable = [(n, p) for n, p in named if p.requires_grad]
        nonzero = {n: p.grad is not None and _nonzero(p.grad) for n, p in trainable}
        m: dict[str, Any] = {
            "parameters": len(named),
            "trainable": len(trainable),
            "frozen": [n for n, p in named if not p.requires_grad],
            "no_gradient": [n for n, p in trainable if p.grad is None],
            "zero_gradient": [n for n, p in trainable if p.grad is not None and not nonzero[n]],
            "not_in_optimizer": [n for n, p in trainable if id(p) not in in_opt],
            "unchanged": [
                n for n, p in trainable if nonzero[n] and torch.equal(p.detach(), before[n])
            ],
            "unregistered_in_graph": sorted({_stray_name(work, t) for t in strays}),
            "plain_attributes": plain_attributes(work),
            "step_cosine": direction,
            "optimizer": describe_optimizer(opt)[0],
            "lr": describe_optimizer(opt)[1],
        }
    if shared is not None and not handed_on:
        give_back(shared.work)  # done with it: it serves the next check
    return _judge(m)


def _hand_on(
    model: nn.Module,
    batch: Any,
    batch_dim: int,
    seed: int | None,
    optimizer: OptimizerFactory | None,
    opt: torch.optim.Optimizer,
    shared: BackwardPass,
    direction: float,
) -> bool:
    """Offer the stepped copy to overfit_one_batch (:class:`.first_pass.StepPass`) when it
    runs later: its training goes on from this step. True when offered."""
    if not wanted("overfit_one_batch"):
        return False
    first = FirstStep(loss_value(shared.loss), direction > 0, shared.output, current_lr(opt))
    step = StepPass(shared.work, shared.inputs, shared.targets, optimizer, opt, first, save_rng())
    publish(model, batch, batch_dim, seed, step)
    return True


def _nonzero(grad: torch.Tensor) -> bool:
    return bool(dense_values(grad).any())


def graph_leaves(root: torch.Tensor) -> list[torch.Tensor]:
    """Leaf tensors that accumulate gradient in ``root``'s autograd graph."""
    seen: set[int] = set()
    stack = [root.grad_fn]
    leaves: list[torch.Tensor] = []
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        variable = getattr(fn, "variable", None)
        if isinstance(variable, torch.Tensor):
            leaves.append(variable)
        stack.extend(nxt for nxt, _ in fn.next_functions)
    return leaves


def plain_attributes(model: nn.Module) -> list[str]:
    """Module attributes holding tensors or modules outside PyTorch's registration:
    plain tensors, and lists/tuples/dicts of modules or tensors."""
    found = []
    for prefix, module in model.named_modules():
        for attr, value in vars(module).items():
            if attr.startswith("_") or attr == "training":
                continue
            where = f"{prefix}.{attr}" if prefix else attr
            if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                found.append(where)
            elif isinstance(value, (list, tuple, dict)):
                items = value.values() if isinstance(value, dict) else value
                if any(isinstance(v, (nn.Module, torch.Tensor)) for v in items):
                    found.append(where)
    return found


def _stray_name(model: nn.Module, tensor: torch.Tensor) -> str:
    for prefix, module in model.named_modules():
        for attr, value in vars(module).items():
            where = f"{prefix}.{attr}" if prefix else attr
            if value is tensor:
                return where
            items: Any = value.values() if isinstance(value, dict) else value
            if isinstance(value, (list, tuple, dict)):
                for i, item in enumerate(items):
                    if item is tensor:
                        return f"{where}[{i}]"
                    if isinstance(item, nn.Module):
                        for pname, p in item.named_parameters():
                            if p is tensor:
                                return f"{where}[{i}].{pname}"
    return f"a tensor of shape {list(tensor.shape)}"


def _judge(m: dict[str, Any]) -> Finding:
    problems = []
    if m["unregistered_in_graph"]:
        problems.append(
            f"{fmt_names(m['unregistered_in_graph'])} take part in the forward pass but are not "
            "registered parameters (a plain list/dict of layers, or a tensor with "
            "requires_grad instead of nn.Parameter): the optimizer never updates them — use "
            "nn.ModuleList / nn.ModuleDict / nn.Parameter"
        )
    if m["no_gradient"]:
        problems.append(
            f"{fmt_names(m['no_gradient'])} get no gradient: they are unused in the forward pass "
            "or cut from the loss (.detach(), .data, torch.no_grad, a numpy round trip) — "
            "connect them or remove them"
        )
    if m["zero_gradient"]:
        problems.append(
            f"{fmt_names(m['zero_gradient'])} get an all-zero gradient: dead units (ReLUs that "
            "never fire: check biases and init), a multiplication by zero, or a masked-out "
            "path — fix the init or the mask"
        )
    if m["not_in_optimizer"]:
        problems.append(
            f"{fmt_names(m['not_in_optimizer'])} are not in the optimizer: build it from "
            "model.parameters() after the model is complete"
        )
    elif m["unchanged"]:
        problems.append(
            f"{fmt_names(m['unchanged'])} have gradients but did not change after a step of "
            f"{m['optimizer']} (lr {m['lr']}): a learning rate of 0 or a frozen param group"
        )
    if m["step_cosine"] > 0:
        problems.append(
            f"the first {m['optimizer']} step moves the parameters along the gradient (cosine "
            f"{m['step_cosine']:+.2f}), so it climbs the loss: the loss is being maximized — "
            "check maximize=True or a hand-written update that adds the gradient"
        )
    if m["trainable"] == 0:
        problems.append(
            "no parameter is trainable (all requires_grad=False): nothing can learn — "
            "unfreeze at least the head"
        )
    if problems:
        return finding("params_update", Status.FAIL, "; ".join(problems), m)
    notes = []
    if m["frozen"]:
        notes.append(
            f"{len(m['frozen'])} parameters are frozen ({fmt_names(m['frozen'])}): if they should "
            "learn, set requires_grad=True"
        )
    if m["plain_attributes"]:
        notes.append(
            f"{fmt_names(m['plain_attributes'])} hold tensors or layers outside the module's "
            "registration: .to(device), state_dict and .eval() do not reach them — use "
            "register_buffer / nn.ModuleList"
        )
    if notes:
        return finding("params_update", Status.WARN, "; ".join(notes), m)
    return finding(
        "params_update",
        Status.PASS,
        f"all {m['trainable']} trainable parameters get a non-zero gradient and change after "
        "one step",
        m,
    )
