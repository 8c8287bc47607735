"""A training batch's model inputs (infra.2's contract findings, infra.5's fallback example).

A smoke-suite batch is ``(inputs, targets)``; ``inputs`` may be one tensor, a tuple or
list of positional inputs, or a dict of keyword inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

INPUT_KEYS = ("inputs", "input", "x", "X", "images")


def batch_inputs(batch: Any) -> Any:
    """The inputs of a batch: ``batch[0]`` of an ``(inputs, targets)`` pair.

    A list of inputs becomes a tuple (several positional inputs); a mapping batch gives
    its ``inputs``/``input``/``x``/``X``/``images`` entry; anything else is the inputs.
    """
    if isinstance(batch, Sequence) and not isinstance(batch, str) and len(batch) >= 2:
        inputs = batch[0]
        return tuple(inputs) if isinstance(inputs, list) else inputs
    if isinstance(batch, Mapping):
        for key in INPUT_KEYS:
            if key in batch:
                return batch[key]
    return batch
