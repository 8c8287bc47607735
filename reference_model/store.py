"""A versioned model store on the file system, with promotion and rollback.

Implements :class:`mltestscore.inputs.protocols.ModelStore` (and ``RecordsPredictions``).

Versions ``1, 2, 3, …`` of a model live in ``<root>/<name>/<version>/``, the serving state
in ``<root>/<name>/serving.json`` (the layout, the lock and the validated reads and writes of
these files: :mod:`.store_files`). A version directory is staged under a hidden name and
renamed into place, so it appears complete or not at all; ``serving.json`` and recorded
predictions are replaced atomically.

Every read-modify-write of ``serving.json`` (:meth:`ModelStore.promote`, ``rollback``,
``roll_forward``) and the numbering of a new version (``save``) hold an exclusive lock on
``<root>/<name>/.lock`` (``fcntl.flock``; ``msvcrt.locking`` on Windows; elsewhere an
atomically created lock directory), so concurrent processes never lose an update.
``serving.json`` also keeps ``log``: every promotion, rollback and roll-forward in the order
they happened, never truncated.

Everything read back is validated: a malformed ``serving.json``, ``info.json`` or checkpoint
raises :class:`StoreError` (or :class:`~.checkpoint.CheckpointError`) naming the file, and a
version directory, ``predictions/`` folder or file that is a link leading out of the store
is refused.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import CheckpointMetadata, load_checkpoint, save_checkpoint
from .config import RecognizerConfig
from .models import LineRecognizer
from .store_files import (
    CHECKPOINT,
    LOCK,
    SAFE_NAME,
    StoreError,
    check_name,
    check_version,
    file_lock,
    inside,
    parse_info,
    read_json,
    read_state,
    write_info,
    write_state,
)
from .store_predictions import predictions_folder, read_predictions, write_predictions

__all__ = ["ModelStore", "StoreError", "VersionInfo"]


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


class ModelStore:
    """Versions ``1, 2, 3, …`` of named models under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    # -- paths -----------------------------------------------------------------------
    def _inside(self, path: Path, what: str) -> Path:
        """``path`` when it (after following links) stays inside the store; else StoreError."""
        return inside(self.root, path, what)

    def _folder(self, name: str) -> Path:
        return self._inside(self.root / check_name("model name", name), "model folder")

    def _version_dir(self, name: str, version: int) -> Path:
        folder = self._folder(name) / str(check_version(version))
        return self._inside(folder, "version directory")

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        folder = self._folder(name)
        with file_lock(folder / LOCK):
            yield

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
        folder = self._folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".staging-"))
        try:
            extra = {"metrics": metrics or {}, "created_at": created_at, **metadata}
            save_checkpoint(staging / CHECKPOINT, model, config, extra)
            with self._locked(name):  # numbering and renaming: one writer at a time
                version = (self.latest_version(name) or 0) + 1
                while (folder / str(version)).exists() or (folder / str(version)).is_symlink():
                    version += 1
                info = {"version": version, "name": name, "config_name": config.name}
                write_info(staging, info)
                staging.rename(folder / str(version))
                return version
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def names(self) -> list[str]:
        """Model names in the store."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and SAFE_NAME.match(p.name))

    def versions(self, name: str = "recognizer") -> list[int]:
        folder = self._folder(name)
        if not folder.is_dir():
            return []
        return sorted(
            int(p.name)
            for p in folder.iterdir()
            if p.is_dir() and p.name.isdigit() and int(p.name) >= 1
        )

    def latest_version(self, name: str = "recognizer") -> int | None:
        found = self.versions(name)
        return found[-1] if found else None

    def path(self, name: str = "recognizer", version: int | None = None) -> Path:
        """The directory of ``version`` (default: serving, else latest)."""
        return self._version_dir(name, self.resolve(name, version))

    def resolve(self, name: str = "recognizer", version: int | None = None) -> int:
        """``version`` checked to exist; ``None`` → the serving version, else the latest."""
        found = self.versions(name)
        if not found:
            raise StoreError(f"no versions of {name!r} in {self.root}")
        if version is None:
            serving = self.serving_version(name)
            return serving if serving is not None else found[-1]
        if check_version(version) not in found:
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
        folder = self.path(name, version)
        checkpoint = self._inside(folder / CHECKPOINT, "checkpoint")
        return load_checkpoint(checkpoint, device=device)

    def list(self, name: str = "recognizer") -> list[VersionInfo]:
        serving = self.serving_version(name)
        out = []
        for version in self.versions(name):
            folder = self._version_dir(name, version)
            path = self._inside(folder / "info.json", "version info")
            created_at, metrics, config_name, architecture = parse_info(
                read_json(path, "version info"), path
            )
            out.append(
                VersionInfo(
                    version=version,
                    created_at=created_at,
                    metrics=metrics,
                    path=folder,
                    serving=version == serving,
                    name=name,
                    config_name=config_name,
                    architecture=architecture,
                )
            )
        return out

    # -- serving ---------------------------------------------------------------------
    def _state_path(self, name: str) -> Path:
        return self._folder(name) / "serving.json"

    def _state(self, name: str) -> dict[str, Any]:
        return read_state(self.root, self._state_path(name))

    def _set_state(self, name: str, state: dict[str, Any], op: str, version: int) -> None:
        write_state(self._state_path(name), state, op, version)

    def serving_version(self, name: str = "recognizer") -> int | None:
        serving = self._state(name)["serving"]
        return int(serving) if serving is not None else None

    def log(self, name: str = "recognizer") -> builtins.list[dict[str, Any]]:
        """Every promotion, rollback and roll-forward of ``name``, oldest first."""
        return builtins.list(self._state(name)["log"])

    def promote(self, name: str, version: int) -> None:
        """Mark ``version`` as the serving version."""
        with self._locked(name):
            self.resolve(name, version)
            state = self._state(name)
            if state["serving"] != version:
                state["history"].append(version)
                state["serving"], state["undone"] = version, []
            self._set_state(name, state, "promote", version)

    def rollback(self, name: str = "recognizer") -> int:
        """Serve the version that served before the current one; returns it.

        Without an earlier promotion, the highest version below the current one serves.
        Raises :class:`StoreError` when nothing serves or there is no earlier version.
        """
        with self._locked(name):
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
            self._set_state(name, state, "rollback", previous)
            return int(previous)

    def roll_forward(self, name: str = "recognizer") -> int:
        """Undo the last :meth:`rollback`; returns the version serving again."""
        with self._locked(name):
            state = self._state(name)
            if not state["undone"]:
                raise StoreError(f"{name!r} has no rollback to undo")
            version = int(state["undone"].pop())
            self.resolve(name, version)
            state["history"].append(version)
            state["serving"] = version
            self._set_state(name, state, "roll_forward", version)
            return version

    # -- canary outputs and exports ---------------------------------------------------
    def _predictions_dir(self, name: str, version: int) -> Path:
        return predictions_folder(self.path(name, version))

    def record_predictions(
        self, name: str, version: int, inputs_id: str, predictions: Sequence[Any] | np.ndarray
    ) -> Path:
        """Keep ``version``'s outputs on the inputs called ``inputs_id`` (e.g. canaries).

        Strings are kept as JSON; numbers (e.g. raw logits) as ``.npy``, bit for bit.
        """
        if isinstance(predictions, str):
            raise TypeError("predictions must be a sequence of outputs, not one string")
        folder = self._predictions_dir(name, version)
        return write_predictions(folder, inputs_id, version, predictions)

    def recorded_predictions(
        self, name: str, version: int, inputs_id: str
    ) -> builtins.list[Any] | np.ndarray | None:
        """Outputs recorded with :meth:`record_predictions` (list or array), or ``None``."""
        return read_predictions(self.root, self._predictions_dir(name, version), inputs_id)

    def export(self, name: str = "recognizer", version: int | None = None) -> Path:
        """Export ``version`` to ONNX beside its checkpoint (once) and return the path."""
        from .export import export_model

        folder = self.path(name, version)
        target = folder / "model.onnx"
        if target.exists() or target.is_symlink():
            self._inside(target, "exported model")
        else:
            model, meta = self.load(name, version)
            data = meta.config.data
            example = torch.zeros(1, 1, data.height, data.width)  # (B, 1, H, W)
            export_model(model, target, example)
        return target
