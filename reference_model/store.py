"""A versioned model store on the file system, with promotion and rollback.

Layout::

    <root>/<name>/serving.json             {"serving": 2, "history": [1, 2], "undone": []}
    <root>/<name>/<version>/model.safetensors
    <root>/<name>/<version>/info.json      version, created_at, metrics, config name
    <root>/<name>/<version>/predictions/<inputs_id>.json   recorded canary outputs
    <root>/<name>/<version>/model.onnx     after :meth:`ModelStore.export`

A version directory is staged under a hidden name and renamed into place, so it appears
complete or not at all; ``serving.json`` and recorded predictions are replaced atomically.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import (
    CheckpointMetadata,
    load_checkpoint,
    save_checkpoint,
    write_atomic,
)
from .config import RecognizerConfig
from .models import LineRecognizer

__all__ = ["ModelStore", "StoreError", "VersionInfo"]

CHECKPOINT = "model.safetensors"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class StoreError(Exception):
    """A store operation cannot be done (unknown version, nothing to roll back to, …)."""


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_at: datetime
    metrics: dict[str, float]
    path: Path  # the version directory
    serving: bool
    name: str = "recognizer"
    config_name: str = ""
    architecture: str = ""


def _check_name(kind: str, value: str) -> str:
    if not _SAFE_NAME.match(value):
        raise ValueError(f"{kind} {value!r} must be letters, digits, '_', '-' or '.'")
    return value


class ModelStore:
    """Versions ``1, 2, 3, …`` of named models under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    # -- versions --------------------------------------------------------------------
    def save(
        self,
        model: LineRecognizer,
        config: RecognizerConfig,
        *,
        name: str = "recognizer",
        metrics: dict[str, float] | None = None,
        created_at: datetime | None = None,
        **metadata: Any,
    ) -> int:
        """Store a new version and return its number. Does not promote it."""
        folder = self.root / _check_name("model name", name)
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".staging-"))
        try:
            extra = {"metrics": metrics or {}, "created_at": created_at, **metadata}
            save_checkpoint(staging / CHECKPOINT, model, config, extra)
            version = (self.latest_version(name) or 0) + 1
            while True:
                info = {"version": version, "name": name, "config_name": config.name}
                self._write_info(staging, info)
                try:
                    staging.rename(folder / str(version))
                    return version
                except OSError:  # another writer took this number
                    if not (folder / str(version)).exists():
                        raise
                    version += 1
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _write_info(self, staging: Path, info: dict[str, Any]) -> None:
        from .checkpoint import read_metadata

        meta = read_metadata(staging / CHECKPOINT)
        info |= {
            "created_at": meta.created_at.isoformat(),
            "metrics": meta.metrics,
            "architecture": meta.architecture,
        }
        write_atomic(staging / "info.json", json.dumps(info, indent=2).encode())

    def names(self) -> list[str]:
        """Model names in the store."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and _SAFE_NAME.match(p.name)
        )

    def versions(self, name: str = "recognizer") -> list[int]:
        folder = self.root / _check_name("model name", name)
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())

    def latest_version(self, name: str = "recognizer") -> int | None:
        found = self.versions(name)
        return found[-1] if found else None

    def path(self, name: str = "recognizer", version: int | None = None) -> Path:
        """The directory of ``version`` (default: serving, else latest)."""
        return self.root / name / str(self.resolve(name, version))

    def resolve(self, name: str = "recognizer", version: int | None = None) -> int:
        """``version`` checked to exist; ``None`` → the serving version, else the latest."""
        found = self.versions(name)
        if not found:
            raise StoreError(f"no versions of {name!r} in {self.root}")
        if version is None:
            serving = self.serving_version(name)
            return serving if serving is not None else found[-1]
        if version not in found:
            raise StoreError(f"{name!r} has no version {version} in {self.root}; it has {found}")
        return version

    def load(
        self,
        name: str = "recognizer",
        version: int | None = None,
        *,
        device: str | torch.device = "cpu",
    ) -> tuple[LineRecognizer, CheckpointMetadata]:
        """Model and metadata of ``version`` (default: serving, else latest)."""
        resolved = self.resolve(name, version)
        return load_checkpoint(self.root / name / str(resolved) / CHECKPOINT, device=device)

    def list(self, name: str = "recognizer") -> list[VersionInfo]:
        serving = self.serving_version(name)
        out = []
        for version in self.versions(name):
            folder = self.root / name / str(version)
            try:
                info = json.loads((folder / "info.json").read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise StoreError(f"unreadable {folder / 'info.json'}: {exc}") from None
            out.append(
                VersionInfo(
                    version=version,
                    created_at=datetime.fromisoformat(info["created_at"]),
                    metrics={k: float(v) for k, v in info.get("metrics", {}).items()},
                    path=folder,
                    serving=version == serving,
                    name=name,
                    config_name=str(info.get("config_name", "")),
                    architecture=str(info.get("architecture", "")),
                )
            )
        return out

    # -- serving ---------------------------------------------------------------------
    def _state_path(self, name: str) -> Path:
        return self.root / _check_name("model name", name) / "serving.json"

    def _state(self, name: str) -> dict[str, Any]:
        path = self._state_path(name)
        if not path.exists():
            return {"serving": None, "history": [], "undone": []}
        try:
            state: dict[str, Any] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(f"unreadable serving state {path}: {exc}") from None
        return state

    def _set_state(self, name: str, state: dict[str, Any]) -> None:
        write_atomic(self._state_path(name), json.dumps(state, indent=2).encode())

    def serving_version(self, name: str = "recognizer") -> int | None:
        serving = self._state(name).get("serving")
        return int(serving) if serving is not None else None

    def promote(self, name: str, version: int) -> None:
        """Mark ``version`` as the serving version."""
        self.resolve(name, version)
        state = self._state(name)
        if state["serving"] == version:
            return
        state["history"].append(version)
        state["serving"], state["undone"] = version, []
        self._set_state(name, state)

    def rollback(self, name: str = "recognizer") -> int:
        """Serve the version that served before the current one; returns it.

        Without an earlier promotion, the highest version below the current one serves.
        Raises :class:`StoreError` when nothing serves or there is no earlier version.
        """
        state = self._state(name)
        current = state["serving"]
        if current is None:
            raise StoreError(f"{name!r} has no serving version to roll back from")
        existing = set(self.versions(name))
        history = [v for v in state["history"] if v in existing]
        while history and history[-1] == current:
            history.pop()
        if history:
            previous = history[-1]
        else:
            lower = [v for v in existing if v < current]
            if not lower:
                raise StoreError(
                    f"{name!r} cannot roll back: no version before {current} in {self.root}"
                )
            previous = max(lower)
            history.append(previous)
        state.update(serving=previous, history=history, undone=[*state["undone"], current])
        self._set_state(name, state)
        return int(previous)

    def roll_forward(self, name: str = "recognizer") -> int:
        """Undo the last :meth:`rollback`; returns the version serving again."""
        state = self._state(name)
        if not state["undone"]:
            raise StoreError(f"{name!r} has no rollback to undo")
        version = int(state["undone"].pop())
        self.resolve(name, version)
        state["history"].append(version)
        state["serving"] = version
        self._set_state(name, state)
        return version

    # -- canary outputs and exports ---------------------------------------------------
    def record_predictions(
        self, name: str, version: int, inputs_id: str, predictions: Sequence[Any] | np.ndarray
    ) -> Path:
        """Keep ``version``'s outputs on the inputs called ``inputs_id`` (e.g. canaries).

        Strings are kept as JSON; numbers (e.g. raw logits) as ``.npy``, bit for bit.
        """
        if isinstance(predictions, str):
            raise TypeError("predictions must be a sequence of outputs, not one string")
        folder = self.path(name, version) / "predictions"
        stem = _check_name("inputs_id", inputs_id)
        values = np.asarray(predictions)
        for stale in (folder / f"{stem}.json", folder / f"{stem}.npy"):
            stale.unlink(missing_ok=True)
        if values.dtype.kind in "biuf":
            buffer = io.BytesIO()
            np.save(buffer, values, allow_pickle=False)
            path = folder / f"{stem}.npy"
            write_atomic(path, buffer.getvalue())
        else:
            payload = {"inputs_id": inputs_id, "version": version, "predictions": list(predictions)}
            path = folder / f"{stem}.json"
            try:
                write_atomic(path, json.dumps(payload).encode())
            except TypeError as exc:
                raise TypeError(f"predictions must be strings or numbers: {exc}") from None
        return path

    def recorded_predictions(
        self, name: str, version: int, inputs_id: str
    ) -> builtins.list[Any] | np.ndarray | None:
        """Outputs recorded with :meth:`record_predictions` (list or array), or ``None``."""
        folder = self.path(name, version) / "predictions"
        stem = _check_name("inputs_id", inputs_id)
        if (folder / f"{stem}.npy").exists():
            array: np.ndarray = np.load(folder / f"{stem}.npy", allow_pickle=False)
            return array
        if (folder / f"{stem}.json").exists():
            recorded: builtins.list[Any] = json.loads((folder / f"{stem}.json").read_text())[
                "predictions"
            ]
            return recorded
        return None

    def export(self, name: str = "recognizer", version: int | None = None) -> Path:
        """Export ``version`` to ONNX beside its checkpoint (once) and return the path."""
        from .export import export_model

        folder = self.path(name, version)
        target = folder / "model.onnx"
        if not target.exists():
            model, meta = self.load(name, version)
            data = meta.config.data
            example = torch.zeros(1, 1, data.height, data.width)  # (B, 1, H, W)
            export_model(model, target, example)
        return target
