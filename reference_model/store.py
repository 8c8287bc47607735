"""A versioned model store on the file system, with promotion and rollback.

Layout::

    <root>/<name>/serving.json             {"serving": 2, "history": [1, 2], "undone": []}
    <root>/<name>/<version>/model.safetensors
    <root>/<name>/<version>/info.json      version, created_at, metrics, config name
    <root>/<name>/<version>/predictions/<inputs_id>.json   recorded canary outputs
    <root>/<name>/<version>/model.onnx     after :meth:`ModelStore.export`

A version directory is staged under a hidden name and renamed into place, so it appears
complete or not at all; ``serving.json`` and recorded predictions are replaced atomically.

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
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
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
from .store_files import StoreError, file_lock, parse_info, parse_state, read_json

__all__ = ["ModelStore", "StoreError", "VersionInfo"]

CHECKPOINT = "model.safetensors"
LOCK = ".lock"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


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
    if not isinstance(value, str) or not _SAFE_NAME.match(value):
        raise ValueError(f"{kind} {value!r} must be letters, digits, '_', '-' or '.'")
    return value


def _check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StoreError(f"a version is an integer >= 1, got {version!r}")
    return version


class ModelStore:
    """Versions ``1, 2, 3, …`` of named models under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    # -- paths -----------------------------------------------------------------------
    def _inside(self, path: Path, what: str) -> Path:
        """``path`` when it (after following links) stays inside the store; else StoreError."""
        root = self.root.resolve()
        target = path.resolve()
        if target != root and root not in target.parents:
            raise StoreError(
                f"{what} {path} is a link leading out of the store (to {target}); refused"
            )
        return path

    def _folder(self, name: str) -> Path:
        return self._inside(self.root / _check_name("model name", name), "model folder")

    def _version_dir(self, name: str, version: int) -> Path:
        folder = self._folder(name) / str(_check_version(version))
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
                self._write_info(staging, info)
                staging.rename(folder / str(version))
                return version
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
        if _check_version(version) not in found:
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
        path = self._state_path(name)
        if not path.exists() and not path.is_symlink():
            return {"serving": None, "history": [], "undone": [], "log": []}
        self._inside(path, "serving state")
        return parse_state(read_json(path, "serving state"), path)

    def _set_state(self, name: str, state: dict[str, Any], op: str, version: int) -> None:
        entry = {
            "op": op,
            "version": version,
            "at": datetime.now(timezone.utc).isoformat(),
            "pid": os.getpid(),
        }
        state["log"] = [*state.get("log", []), entry]
        write_atomic(self._state_path(name), json.dumps(state, indent=1).encode())

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
        folder = self.path(name, version) / "predictions"
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise StoreError(
                f"predictions folder {folder} is a link or not a directory; refused "
                "(recorded outputs must live inside the store)"
            )
        return folder

    def record_predictions(
        self, name: str, version: int, inputs_id: str, predictions: Sequence[Any] | np.ndarray
    ) -> Path:
        """Keep ``version``'s outputs on the inputs called ``inputs_id`` (e.g. canaries).

        Strings are kept as JSON; numbers (e.g. raw logits) as ``.npy``, bit for bit.
        """
        if isinstance(predictions, str):
            raise TypeError("predictions must be a sequence of outputs, not one string")
        folder = self._predictions_dir(name, version)
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
        folder = self._predictions_dir(name, version)
        stem = _check_name("inputs_id", inputs_id)
        npy, js = folder / f"{stem}.npy", folder / f"{stem}.json"
        if npy.exists():
            self._inside(npy, "recorded predictions")
            try:
                array: np.ndarray = np.load(npy, allow_pickle=False)
            except (OSError, ValueError, EOFError) as exc:
                raise StoreError(f"unreadable recorded predictions {npy}: {exc}") from None
            return array
        if js.exists():
            self._inside(js, "recorded predictions")
            raw = read_json(js, "recorded predictions")
            if not isinstance(raw, dict) or not isinstance(raw.get("predictions"), list):
                raise StoreError(
                    f"malformed recorded predictions {js}: expected an object with a "
                    "'predictions' list"
                )
            recorded: builtins.list[Any] = raw["predictions"]
            return recorded
        return None

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
