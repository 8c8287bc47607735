"""An optional cache of training runs, for running the scoring several times in a row.

Training is deterministic (same config, seed, code versions and thread count give
the same weights), so a finished run can be reused: with ``DIGITS_APP_CACHE=DIR``
set, :func:`cached` keeps each run's checkpoint (safetensors) and its history
under ``DIR/<key>``, the key hashing everything the run depends on. Without the
variable it trains every time, as CI does for its own run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from mltestscore import __version__
from mltestscore.reference_model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mltestscore.reference_model.train import EpochLog, TrainResult

ENV = "DIGITS_APP_CACHE"


def _key(parts: Mapping[str, Any]) -> str:
    versions = {
        "mltestscore": __version__,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    text = json.dumps({**parts, **versions}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _load(folder: Path) -> TrainResult | None:
    try:
        fields = json.loads((folder / "result.json").read_text())
        model, meta = load_checkpoint(folder / "model.safetensors")
        history = [EpochLog(**entry) for entry in fields.pop("history")]
        return TrainResult(model=model.eval(), config=meta.config, history=history, **fields)
    except (OSError, ValueError, TypeError, KeyError, CheckpointError):
        return None  # missing, partial or from another version: train again


def _save(folder: Path, result: TrainResult) -> None:
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".staging-"))
    fields = {
        f.name: getattr(result, f.name)
        for f in dataclasses.fields(result)
        if f.name not in ("model", "config", "history")
    }
    fields["history"] = [dataclasses.asdict(entry) for entry in result.history]
    save_checkpoint(
        staging / "model.safetensors", result.model, result.config, {"metrics": result.metrics()}
    )
    (staging / "result.json").write_text(json.dumps(fields))
    try:
        staging.rename(folder)
    except OSError:  # another process stored the same run first
        shutil.rmtree(staging, ignore_errors=True)


def cached(parts: Mapping[str, Any], run: Callable[[], TrainResult]) -> TrainResult:
    """``run()``, or its stored result when ``DIGITS_APP_CACHE`` holds one for ``parts``."""
    root = os.environ.get(ENV)
    if not root:
        return run()
    folder = Path(root) / _key(parts)
    found = _load(folder) if folder.exists() else None
    if found is not None:
        return found
    result = run()
    folder.parent.mkdir(parents=True, exist_ok=True)
    _save(folder, result)
    return result
