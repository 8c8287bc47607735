"""The model store's files: the inter-process lock and validated reads of its JSON files.

Used by :mod:`.store`. Every malformed file raises :class:`StoreError` naming it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["StoreError", "file_lock", "parse_info", "parse_state", "read_json"]

LOCK_TIMEOUT_S = 60.0  # waiting longer than this for the store lock raises StoreError
MAX_JSON_BYTES = 64 * 2**20  # serving.json / info.json / recorded predictions


class StoreError(Exception):
    """A store operation cannot be done (unknown version, nothing to roll back to, a
    malformed store file, a link out of the store, …)."""


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
        moment = moment.replace(tzinfo=timezone.utc)
    metrics = raw.get("metrics", {})
    if not isinstance(metrics, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()
    ):
        raise bad("'metrics' must map metric names to numbers")
    texts = [raw.get(k, "") for k in ("config_name", "architecture")]
    if not all(isinstance(t, str) for t in texts):
        raise bad("'config_name' and 'architecture' must be strings")
    return moment, {str(k): float(v) for k, v in metrics.items()}, texts[0], texts[1]
