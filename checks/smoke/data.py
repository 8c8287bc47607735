"""Datasets for the data-level checks, and ``train_val_overlap``.

A dataset is one of: a pair ``(inputs, targets)`` of tensors/arrays (or a tuple/dict of
them as inputs) with samples along dimension 0; a ``TensorDataset`` (last tensor = targets);
or any map-style dataset (``len`` and ``[i]``) whose items are ``(input, target)`` pairs,
collated with ``default_collate``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset, default_collate

from mltestscore.results import Status

from .results import Finding, finding
from .tensors import as_tensors, iter_tensors, map_tensors


class Samples:
    """Uniform access to a dataset: its length, and collated batches of given indices."""

    def __init__(self, data: Any, name: str = "data") -> None:
        self.name = name
        self.tensors: tuple[Any, Any] | None = None
        self.dataset: Any = None
        if isinstance(data, TensorDataset):
            parts = data.tensors
            if len(parts) < 2:
                raise TypeError(f"{name}: a TensorDataset needs inputs and targets tensors")
            inputs = parts[0] if len(parts) == 2 else tuple(parts[:-1])
            self.tensors = (inputs, parts[-1])
        elif isinstance(data, (tuple, list)) and len(data) == 2 and _has_tensor(data[0]):
            self.tensors = (as_tensors(data[0]), as_tensors(data[1]))
        elif (
            hasattr(data, "__getitem__")
            and hasattr(data, "__len__")
            and not isinstance(data, Mapping)
        ):
            self.dataset = data
        else:
            raise TypeError(
                f"{name} must be an (inputs, targets) pair of tensors/arrays, a TensorDataset "
                f"or a map-style dataset of (input, target) pairs; got {type(data).__name__}"
            )
        if self.tensors is not None:
            first = next((t for _, t in iter_tensors(self.tensors[0])), None)
            if first is None or first.ndim == 0:
                raise TypeError(f"{name}: the inputs hold no tensor with a sample dimension")
            self._len = int(first.shape[0])
        else:
            self._len = len(self.dataset)

    @property
    def static(self) -> bool:
        """True for in-memory tensors: a batch read twice is the same batch."""
        return self.tensors is not None

    def __len__(self) -> int:
        return self._len

    def batch(self, indices: Sequence[int]) -> tuple[Any, Any]:
        if self.tensors is not None:
            index = torch.as_tensor(list(indices), dtype=torch.long)
            picked: tuple[Any, Any] = map_tensors(
                lambda t: t.index_select(0, index.to(t.device)), self.tensors
            )
            return picked
        items = [self.dataset[int(i)] for i in indices]
        bad = next(
            (it for it in items if not (isinstance(it, (tuple, list)) and len(it) == 2)), None
        )
        if bad is not None:
            raise TypeError(
                f"{self.name}[i] must be an (input, target) pair, got {type(bad).__name__}"
            )
        inputs, targets = default_collate(items)
        return as_tensors(inputs), as_tensors(targets)

    def fingerprints(self, limit: int, chunk: int = 1024) -> list[bytes]:
        """A hash of each sample's inputs (floats rounded to 6 decimals), first ``limit``."""
        out: list[bytes] = []
        n = min(limit, len(self))
        for start in range(0, n, chunk):
            inputs, _ = self.batch(range(start, min(n, start + chunk)))
            rows = [_rows(t) for _, t in iter_tensors(inputs) if t.ndim >= 1]
            for i in range(rows[0].shape[0] if rows else 0):
                h = hashlib.blake2b(digest_size=16)
                for r in rows:
                    h.update(r[i].tobytes())
                out.append(h.digest())
        return out


def _has_tensor(tree: Any) -> bool:
    if isinstance(tree, (torch.Tensor, np.ndarray)):
        return True
    if isinstance(tree, Mapping):
        return any(_has_tensor(v) for v in tree.values())
    if isinstance(tree, (tuple, list)):
        return any(_has_tensor(v) for v in tree)
    return False


def _rows(t: torch.Tensor) -> np.ndarray:
    flat = t.detach().cpu().reshape(t.shape[0], -1)
    if flat.is_floating_point():
        return np.round(flat.double().numpy(), 6) + 0.0  # + 0.0 folds -0.0 into 0.0
    return flat.numpy()


def train_val_overlap(
    train: Any,
    val: Any,
    *,
    max_samples: int = 200_000,
    fail_fraction: float = 0.05,
) -> Finding:
    """Validation samples whose inputs also occur in the training set (exact match after
    rounding to 6 decimals). Fails above ``fail_fraction`` of the validation set; any
    overlap below that warns (natural duplicates exist in real data)."""
    tr, va = Samples(train, "train"), Samples(val, "val")
    seen = set(tr.fingerprints(max_samples))
    keys = va.fingerprints(max_samples)
    shared = [i for i, k in enumerate(keys) if k in seen]
    m: dict[str, Any] = {
        "train_samples": min(len(tr), max_samples),
        "val_samples": len(keys),
        "overlap": len(shared),
        "overlap_fraction": len(shared) / max(1, len(keys)),
        "first_overlapping_val_indices": shared[:10],
        "truncated": len(tr) > max_samples or len(va) > max_samples,
    }
    return _judge_overlap(m, fail_fraction)


def _judge_overlap(m: dict[str, Any], fail_fraction: float) -> Finding:
    n, total, frac = m["overlap"], m["val_samples"], m["overlap_fraction"]
    if n == 0:
        return finding(
            "train_val_overlap",
            Status.PASS,
            f"none of the {total} validation samples occurs in the {m['train_samples']} "
            "training samples",
            m,
        )
    status = Status.FAIL if frac > fail_fraction else Status.WARN
    return finding(
        "train_val_overlap",
        status,
        f"{n} of {total} validation samples ({100 * frac:.1f} %) also occur in the training "
        f"set (first at val index {m['first_overlapping_val_indices'][0]}): validation scores "
        "will be optimistic — split before augmenting or oversampling, deduplicate, and split "
        "by group (writer, patient, session) where samples are related",
        m,
    )
