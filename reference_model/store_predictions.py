"""Recorded predictions: a version's outputs on named inputs (canaries), kept in the store.

``<root>/<name>/<version>/predictions/<inputs_id>.npy`` for numbers (raw logits, bit for
bit), ``.json`` for anything else; replaced atomically, read back validated. Used by
:meth:`.store.ModelStore.record_predictions` and ``recorded_predictions``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import write_atomic
from .store_files import StoreError, check_name, inside, read_json

__all__ = ["predictions_folder", "read_predictions", "write_predictions"]


def predictions_folder(version_dir: Path) -> Path:
    """``<version>/predictions``, refused when it is a link or not a directory."""
    folder = version_dir / "predictions"
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise StoreError(
            f"predictions folder {folder} is a link or not a directory; refused "
            "(recorded outputs must live inside the store)"
        )
    return folder


def write_predictions(
    folder: Path, inputs_id: str, version: int, predictions: Sequence[Any] | np.ndarray
) -> Path:
    """Write outputs into ``folder``: numbers as ``<inputs_id>.npy``, others as JSON."""
    stem = check_name("inputs_id", inputs_id)
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


def read_predictions(root: Path, folder: Path, inputs_id: str) -> list[Any] | np.ndarray | None:
    """Outputs written by :func:`write_predictions` (list or array), or ``None``."""
    stem = check_name("inputs_id", inputs_id)
    npy, js = folder / f"{stem}.npy", folder / f"{stem}.json"
    if npy.exists():
        inside(root, npy, "recorded predictions")
        try:
            array: np.ndarray = np.load(npy, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise StoreError(f"unreadable recorded predictions {npy}: {exc}") from None
        return array
    if js.exists():
        inside(root, js, "recorded predictions")
        raw = read_json(js, "recorded predictions")
        if not isinstance(raw, dict) or not isinstance(raw.get("predictions"), list):
            raise StoreError(
                f"malformed recorded predictions {js}: expected an object with a 'predictions' list"
            )
        recorded: list[Any] = raw["predictions"]
        return recorded
    return None
