"""The model store's files: names and paths inside the store, the inter-process lock,
and validated reads and writes of its JSON files (recorded predictions:
:mod:`.store_predictions`).

Layout::

    <root>/<name>/.lock                    the lock of every read-modify-write
    <root>/<name>/serving.json             {"serving": 2, "history": [1, 2], "undone": []}
    <root>/<name>/<version>/model.safetensors
    <root>/<name>/<version>/info.json      version, created_at, metrics, config name
    <root>/<name>/<version>/predictions/<inputs_id>.json   recorded canary outputs
    <root>/<name>/<version>/model.onnx     after :meth:`.store.ModelStore.export`

Used by :mod:`.store`, which holds the versioning API. Every malformed file raises
:class:`StoreError` naming it; a path that a link leads out of the store is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .checkpoint import read_metadata, write_atomic

__all__ = [
    "CHECKPOINT",
    "LOCK",
    "SAFE_NAME",
    "StoreError",
    "check_name",
    "check_version",
    "file_lock",
    "inside",
    "parse_info",
    "parse_state",
    "read_json",
    "read_state",
    "write_info",
    "write_state",
]

LOCK_TIMEOUT_S = 60.0  # waiting longer than this for the store lock raises StoreError
MAX_JSON_BYTES = 64 * 2**20  # serving.json / info.json / recorded predictions
CHECKPOINT = "model.safetensors"
LOCK = ".lock"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class StoreError(Exception):
    """A store operation cannot be done (unknown version, nothing to roll back to, a
    malformed store file, a link out of the store, …)."""


# -- names and paths -------------------------------------------------------------------
def check_name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not SAFE_NAME.match(value):
        raise ValueError(f"{kind} {value!r} must be letters, digits, '_', '-' or '.'")
    return value


def check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StoreError(f"a version is an integer >= 1, got {version!r}")
    return version


def inside(root: Path, path: Path, what: str) -> Path:
    """``path`` when it (after following links) stays inside ``root``; else StoreError."""
    resolved_root = root.resolve()
    target = path.resolve()
    if target != resolved_root and resolved_root not in target.parents:
        raise StoreError(f"{what} {path} is a link leading out of the store (to {target}); refused")
    return path


# -- locking ---------------------------------------------------------------------------
@contextlib.contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive inter-process lock on ``path`` for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows and exotic platforms
        with _portable_lock(path, timeout):
            yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"could not lock {path} within {timeout:g} s: another process holds it"
                    ) from None
                time.sleep(0.001)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _portable_lock(path: Path, timeout: float) -> Iterator[None]:  # pragma: no cover
    """``msvcrt.locking`` on Windows, else a lock directory created atomically."""
    deadline = time.monotonic() + timeout
    if sys.platform == "win32":
        import msvcrt

        with open(path, "a+b") as handle:
            while True:
                try:
                    handle.seek(0)
                    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise StoreError(f"could not lock {path} within {timeout:g} s") from None
                    time.sleep(0.005)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    marker = path.with_name(path.name + ".d")
    while True:
        try:
            marker.mkdir()
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise StoreError(
                    f"could not lock {path} within {timeout:g} s (remove {marker} if no "
                    "process is using the store)"
                ) from None
            time.sleep(0.005)
    try:
        yield
    finally:
        marker.rmdir()


# -- validated reads -------------------------------------------------------------------
def read_json(path: Path, what: str) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise StoreError(f"{what} {path} is {size:,} bytes; at most {MAX_JSON_BYTES:,} read")
        return json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise StoreError(f"unreadable {what} {path}: {exc}") from None


def _int_list(value: object, path: Path, key: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        raise StoreError(
            f"malformed serving state {path}: {key!r} must be a list of version numbers, "
            f"got {str(value)[:100]}"
        )
    return list(value)


def parse_state(raw: object, path: Path) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise StoreError(
            f"malformed serving state {path}: expected a JSON object, got {type(raw).__name__}"
        )
    serving = raw.get("serving")
    if serving is not None and (
        isinstance(serving, bool) or not isinstance(serving, int) or serving < 1
    ):
        raise StoreError(
            f"malformed serving state {path}: 'serving' must be a version number or null, "
            f"got {serving!r}"
        )
    log = raw.get("log", [])
    if not isinstance(log, list) or not all(isinstance(e, dict) for e in log):
        raise StoreError(f"malformed serving state {path}: 'log' must be a list of objects")
    return {
        "serving": serving,
        "history": _int_list(raw.get("history", []), path, "history"),
        "undone": _int_list(raw.get("undone", []), path, "undone"),
        "log": log,
    }


def parse_info(raw: object, path: Path) -> tuple[datetime, dict[str, float], str, str]:
    def bad(detail: str) -> StoreError:
        return StoreError(f"malformed version info {path}: {detail}")

    if not isinstance(raw, dict):
        raise bad(f"expected a JSON object, got {type(raw).__name__}")
    created = raw.get("created_at")
    if not isinstance(created, str):
        raise bad(f"'created_at' must be an ISO date-time string, got {created!r}")
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        raise bad(f"'created_at' is not an ISO date-time: {created[:60]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    metrics = raw.get("metrics", {})
    if not isinstance(metrics, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()
    ):
        raise bad("'metrics' must map metric names to numbers")
    texts = [raw.get(k, "") for k in ("config_name", "architecture")]
    if not all(isinstance(t, str) for t in texts):
        raise bad("'config_name' and 'architecture' must be strings")
    return moment, {str(k): float(v) for k, v in metrics.items()}, texts[0], texts[1]


# -- version info and serving state ------------------------------------------------------
def write_info(staging: Path, info: dict[str, Any]) -> None:
    """``info.json`` of a staged version: ``info`` and its checkpoint's metadata."""
    meta = read_metadata(staging / CHECKPOINT)
    info |= {
        "created_at": meta.created_at.isoformat(),
        "metrics": meta.metrics,
        "architecture": meta.architecture,
    }
    write_atomic(staging / "info.json", json.dumps(info, indent=2).encode())


def read_state(root: Path, path: Path) -> dict[str, Any]:
    """The serving state in ``path`` (empty when there is none yet)."""
    if not path.exists() and not path.is_symlink():
        return {"serving": None, "history": [], "undone": [], "log": []}
    inside(root, path, "serving state")
    return parse_state(read_json(path, "serving state"), path)


def write_state(path: Path, state: dict[str, Any], op: str, version: int) -> None:
    """Replace ``path`` with ``state``, ``op`` of ``version`` appended to its log."""
    entry = {
        "op": op,
        "version": version,
        "at": datetime.now(UTC).isoformat(),
        "pid": os.getpid(),
    }
    state["log"] = [*state.get("log", []), entry]
    write_atomic(path, json.dumps(state, indent=1).encode())
