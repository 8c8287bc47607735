"""Tensor trees and the batch dimension: the plumbing every smoke check shares.

Inputs may be one tensor, a tuple/list of tensors (the model is called ``model(*inputs)``)
or a mapping of tensors (``model(**inputs)``); targets and outputs may nest the same way.
Each tensor's batch dimension is ``batch_dim`` when its size there is the batch size, else
dimension 0 when that matches, else the tensor is treated as shared by the whole batch
(a mask, lengths of another size, …).

Some batches are not a leading tensor dimension: token ids concatenated with ``offsets``
(``nn.EmbeddingBag``), a ``PackedSequence``. Such a batch is *ragged*: the batch-aware
checks need the team's ``take_samples(inputs, index) -> inputs`` hook to select samples,
and skip with the reason without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

Batch = tuple[Any, Any]  # (inputs, targets)
#: ``take_samples(inputs, index) -> inputs``: the inputs of samples ``index`` (in that order).
TakeSamples = Callable[[Any, Sequence[int]], Any]


class RaggedBatch(ValueError):
    """The batch is not a leading tensor dimension and no ``take_samples`` hook was given."""


def map_tensors(fn: Callable[[torch.Tensor], torch.Tensor], tree: Any) -> Any:
    """Apply ``fn`` to every tensor in a nesting of tuples, lists and mappings."""
    if isinstance(tree, torch.Tensor):
        return fn(tree)
    if isinstance(tree, PackedSequence):
        return tree._replace(data=fn(tree.data))
    if isinstance(tree, Mapping):
        return {k: map_tensors(fn, v) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # namedtuple
        return type(tree)(*(map_tensors(fn, v) for v in tree))
    if isinstance(tree, (tuple, list)):
        return type(tree)(map_tensors(fn, v) for v in tree)
    return tree


def iter_tensors(tree: Any, path: str = "inputs") -> Iterator[tuple[str, torch.Tensor]]:
    """``(path, tensor)`` for every tensor in the tree, paths like ``inputs["ids"]``."""
    if isinstance(tree, torch.Tensor):
        yield path, tree
    elif isinstance(tree, PackedSequence):
        yield f"{path}.data", tree.data
    elif isinstance(tree, Mapping):
        for key, value in tree.items():
            yield from iter_tensors(value, f"{path}[{key!r}]")
    elif isinstance(tree, (tuple, list)):
        for i, value in enumerate(tree):
            yield from iter_tensors(value, f"{path}[{i}]")


def first_tensor(tree: Any) -> torch.Tensor | None:
    return next((t for _, t in iter_tensors(tree)), None)


def split_batch(batch: Any) -> Batch:
    """``(inputs, targets)`` from a batch, with a message when it is not a pair."""
    if isinstance(batch, Mapping) or not isinstance(batch, Sequence) or len(batch) != 2:
        raise TypeError(
            f"batch must be a pair (inputs, targets); got {type(batch).__name__}{_len_note(batch)}"
        )
    return batch[0], batch[1]


def _len_note(obj: Any) -> str:
    try:
        return f" of length {len(obj)}"
    except TypeError:
        return ""


def call_model(model: nn.Module, inputs: Any) -> Any:
    """``model(x)``, ``model(*inputs)`` or ``model(**inputs)`` depending on the inputs' type."""
    if isinstance(inputs, Mapping):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a stateless model)."""
    for param in model.parameters():
        return param.device
    for buffer in model.buffers():
        return buffer.device
    return torch.device("cpu")


def to_device(tree: Any, device: torch.device) -> Any:
    return map_tensors(lambda t: t.to(device), tree)


def as_tensors(tree: Any) -> Any:
    """Numpy arrays in the tree become tensors (float64 arrays become float32)."""
    if isinstance(tree, np.ndarray):
        t = torch.as_tensor(tree)
        return t.float() if t.dtype == torch.float64 else t
    if isinstance(tree, Mapping):
        return {k: as_tensors(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
        return type(tree)(as_tensors(v) for v in tree)
    return tree


@dataclass(frozen=True)
class BatchLayout:
    """Batch size and the preferred batch dimension of input tensors.

    ``taker`` is the team's ``take_samples`` hook (then ``size`` is the targets' batch
    size); ``ragged`` says why the inputs are not a leading tensor dimension (then, too,
    ``size`` comes from the targets, and selecting input samples needs ``taker``).
    """

    size: int
    dim: int = 0
    taker: TakeSamples | None = None
    ragged: str | None = None

    @property
    def can_take_inputs(self) -> bool:
        return self.taker is not None or self.ragged is None

    def take_inputs(self, inputs: Any, index: torch.Tensor) -> Any:
        """The inputs of samples ``index``: through ``taker`` when given, else by dimension."""
        if self.taker is not None:
            return self.taker(inputs, [int(i) for i in index.tolist()])
        if self.ragged is not None:
            raise RaggedBatch(self.ragged)
        return self.take(inputs, index)

    def dim_of(self, tensor: torch.Tensor) -> int | None:
        """The batch dimension of ``tensor``, or None when it has none."""
        if tensor.ndim > self.dim and tensor.shape[self.dim] == self.size:
            return self.dim
        if tensor.ndim > 0 and tensor.shape[0] == self.size:
            return 0
        return None

    def take(self, tree: Any, index: torch.Tensor) -> Any:
        """Select samples ``index`` (1-D long tensor) of every batched tensor in the tree."""

        def pick(t: torch.Tensor) -> torch.Tensor:
            d = self.dim_of(t)
            return t if d is None else t.index_select(d, index.to(t.device))

        return map_tensors(pick, tree)

    def sample(self, tree: Any, i: int) -> Any:
        return self.take(tree, torch.tensor([i]))


def infer_layout(
    inputs: Any, batch_dim: int = 0, targets: Any = None, take_samples: TakeSamples | None = None
) -> BatchLayout:
    """Batch size from the first input tensor that has a ``batch_dim`` dimension.

    With ``take_samples``, or when the inputs are ragged (see :func:`ragged_reason`), the
    batch size is the targets' leading size.
    """
    reason = ragged_reason(inputs, batch_dim, targets)
    if take_samples is not None or reason is not None:
        size = _target_size(targets)
        if size is None and take_samples is not None:
            raise ValueError(
                "with take_samples, the batch size is read from the targets, but they have "
                "no leading dimension"
            )
        if size is None:
            first = first_tensor(inputs)
            size = int(first.shape[0]) if first is not None and first.ndim else 1
        return BatchLayout(size, batch_dim, take_samples, reason)
    for path, tensor in iter_tensors(inputs):
        if tensor.ndim > batch_dim:
            return BatchLayout(int(tensor.shape[batch_dim]), batch_dim)
        if tensor.ndim == 0:
            continue
        raise ValueError(f"{path} has shape {tuple(tensor.shape)}: no batch dimension {batch_dim}")
    raise ValueError("the inputs hold no tensor with a batch dimension")


def _target_size(targets: Any) -> int | None:
    first = first_tensor(targets)
    return int(first.shape[0]) if first is not None and first.ndim >= 1 else None


def _contains_packed(tree: Any) -> bool:
    if isinstance(tree, PackedSequence):
        return True
    if isinstance(tree, Mapping):
        return any(_contains_packed(v) for v in tree.values())
    if isinstance(tree, (tuple, list)):
        return any(_contains_packed(v) for v in tree)
    return False


def ragged_reason(inputs: Any, batch_dim: int = 0, targets: Any = None) -> str | None:
    """Why the inputs' samples are not slices along a batch dimension, or None.

    A ``PackedSequence``; 1-D offsets (starting at 0, non-decreasing) into a longer 1-D
    tensor; or a leading input size that no target dimension shares.
    """
    if _contains_packed(inputs):
        return "the inputs hold a PackedSequence (samples are interleaved in its data)"
    tensors = [t for _, t in iter_tensors(inputs) if t.ndim >= 1]
    if not tensors:
        return None
    lengths = {int(t.shape[0]) for t in tensors if t.ndim == 1}
    for t in tensors:
        if t.ndim != 1 or t.is_floating_point() or t.dtype == torch.bool or t.numel() < 1:
            continue
        longer = [n for n in lengths if n > t.numel()]
        if (
            longer
            and int(t[0].item()) == 0
            and bool((t[1:] >= t[:-1]).all())
            and int(t[-1].item()) < max(longer)
        ):
            return (
                f"a 1-D index tensor of {t.numel()} offsets into a tensor of {max(longer)} "
                "elements (samples are concatenated, as for nn.EmbeddingBag)"
            )
    size_at = (
        int(tensors[0].shape[batch_dim])
        if tensors[0].ndim > batch_dim
        else int(tensors[0].shape[0])
    )
    target = first_tensor(targets)
    if target is not None and target.ndim >= 1 and size_at not in target.shape:
        return (
            f"the inputs' batch dimension has {size_at} entries but the targets have shape "
            f"{list(target.shape)} (samples concatenated along one dimension?)"
        )
    return None


def derangement(n: int) -> torch.Tensor:
    """A permutation of ``range(n)`` that moves every index (a rotation by n // 2)."""
    if n < 2:
        raise ValueError(f"need at least 2 samples to permute, got {n}")
    shift = max(1, n // 2)
    return torch.roll(torch.arange(n), shifts=shift)


def shapes(tree: Any) -> Any:
    """The shapes of the tensors in a tree, JSON-able (``[64, 10]`` for a tensor)."""
    if isinstance(tree, torch.Tensor):
        return list(tree.shape)
    if isinstance(tree, Mapping):
        return {str(k): shapes(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return [shapes(v) for v in tree]
    return type(tree).__name__


def loss_value(loss: Any) -> float:
    """A float from the loss, with a message when the loss is not a scalar tensor."""
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"loss_fn must return a tensor, got {type(loss).__name__}")
    if loss.numel() != 1:
        raise ValueError(
            f"loss_fn must return a scalar, got shape {tuple(loss.shape)}: reduce it "
            "(e.g. .mean()) before backward"
        )
    return float(loss.detach().float().item())


def max_abs_diff(a: Any, b: Any) -> float:
    """Largest absolute difference between the float tensors of two trees of equal structure."""
    worst = 0.0
    for (_, x), (_, y) in zip(iter_tensors(a), iter_tensors(b), strict=True):
        if (x.is_floating_point() or x.is_complex()) and x.numel():
            u, v = x.detach(), y.detach()
            diff = (u - v).abs()
            same = (u == v) | (torch.isnan(u) & torch.isnan(v))  # equal infs, NaN in both
            diff = torch.where(same, torch.zeros_like(diff), diff)
            diff = torch.where(torch.isnan(diff), torch.full_like(diff, float("inf")), diff)
            worst = max(worst, float(diff.max().item()))
        elif not torch.equal(x, y):
            worst = float("inf")
    return worst


def max_abs(tree: Any) -> float:
    values = [
        float(t.detach().abs().max().item())
        for _, t in iter_tensors(tree)
        if t.is_floating_point() and t.numel()
    ]
    return max(values, default=0.0)


def prepare_batch(
    model: nn.Module, batch: Any, batch_dim: int = 0, take_samples: TakeSamples | None = None
) -> tuple[Any, Any, BatchLayout]:
    """``(inputs, targets, layout)`` on the model's device; numpy arrays become tensors."""
    inputs, targets = split_batch(batch)
    device = model_device(model)
    inputs = to_device(as_tensors(inputs), device)
    targets = to_device(as_tensors(targets), device)
    return inputs, targets, infer_layout(inputs, batch_dim, targets, take_samples)
