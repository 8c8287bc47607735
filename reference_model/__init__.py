"""The reference handwriting recognizer (needs the ``torch`` extra).

Digit lines composed from scikit-learn's real handwritten digit scans (``data``), a CNN + CTC
model for CPUs (``lines_cnn``) and a CNN + Transformer model for GPUs (``transformer``),
presets (``config``), a training loop (``train``), character error rate (``metrics``), safe
checkpoints (``checkpoint``), a versioned model store (``store``), ONNX export (``export``),
a predictor (``predictor``) and a command line (``cli``). See docs/recognizer.md.

Names load lazily, so ``import mltestscore.reference_model.export`` in a serving process
does not import torch::

    from mltestscore.reference_model import CONFIGS, ModelStore, Recognizer, train

Importing every module here up front costs about 1.1 s (torch: 39 ms -> 1128 ms for the
interpreter to start and import this package), hence the lazy ``__getattr__``; type
checkers see the real names through the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from .config import CONFIGS, RecognizerConfig, get_config
    from .data import DigitLinesConfig, LineDataset, make_splits, render_line, render_lines
    from .export import export_model, load_exported
    from .metrics import character_error_rate
    from .models import build_model
    from .predictor import Recognizer
    from .store import ModelStore, StoreError, VersionInfo
    from .train import TrainResult, train

__all__ = [
    "CONFIGS",
    "CheckpointError",
    "DigitLinesConfig",
    "LineDataset",
    "ModelStore",
    "Recognizer",
    "RecognizerConfig",
    "StoreError",
    "TrainResult",
    "VersionInfo",
    "build_model",
    "character_error_rate",
    "export_model",
    "get_config",
    "load_checkpoint",
    "load_exported",
    "make_splits",
    "render_line",
    "render_lines",
    "save_checkpoint",
    "train",
]

_WHERE = {
    "CONFIGS": "config",
    "RecognizerConfig": "config",
    "get_config": "config",
    "DigitLinesConfig": "data",
    "LineDataset": "data",
    "make_splits": "data",
    "render_line": "data",
    "render_lines": "data",
    "build_model": "models",
    "TrainResult": "train",
    "train": "train",
    "character_error_rate": "metrics",
    "CheckpointError": "checkpoint",
    "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "ModelStore": "store",
    "StoreError": "store",
    "VersionInfo": "store",
    "export_model": "export",
    "load_exported": "export",
    "Recognizer": "predictor",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
