"""The baseline file: what monitoring checks compare the current run against.

One human-readable JSON file in the team's repository (default
``.mltestscore/baseline.json``, :attr:`mltestscore.context.CheckContext.baseline_path`),
reviewed and committed like code. It holds one section per check key
(``"monitor.1"``, ``"monitor.6"``, …), each with the data the check recorded and
the environment it was recorded on::

    {
      "format": "mltestscore-baseline",
      "format_version": 1,
      "monitor.6": {
        "data": {"p50_ms": 1.9, ...},
        "recorded_on": {"python": "3.11.7", "platform": "Linux-…", "machine": "x86_64",
                        "cpus": "8", "time": "2025-01-31T12:00:00+00:00",
                        "mltestscore": "0.1.0"}
      }
    }

A baseline is written **only on request** (``pytest --ml-score
--ml-score-update-baseline``, i.e. ``context.update_baseline``): a first run
without one does not record silently, because a baseline taken by accident on a
slow laptop or a broken environment would then pass every later comparison.
A check without its section raises :class:`~mltestscore.results.NotAutomated`.

Writes are atomic (temporary file + :func:`os.replace`) and serialized by a lock
file next to the baseline (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows), each a read-modify-write of one section, so pytest-xdist workers that
record different checks at the same time keep each other's sections.
A corrupt or malformed file raises :class:`BaselineError` naming the file; it is
never overwritten (a half-resolved merge conflict is someone's work).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.context import CheckContext
from mltestscore.results import NotAutomated

FORMAT = "mltestscore-baseline"
FORMAT_VERSION = 1
_HEADER_KEYS = frozenset({"format", "format_version"})
UPDATE_HINT = "record it with `pytest --ml-score --ml-score-update-baseline` and commit the file"


class BaselineError(ValueError):
    """The baseline file exists but cannot be used; the message names the file."""


@dataclass(frozen=True)
class Section:
    """One check's recorded baseline: its ``data`` and where it was ``recorded_on``."""

    key: str
    data: Mapping[str, Any]
    recorded_on: Mapping[str, Any]

    def describe(self) -> str:
        """A short 'recorded <time> (Python <v>, <machine>)' for messages."""
        env = self.recorded_on
        return (
            f"recorded {env.get('time', '?')} (Python {env.get('python', '?')}, "
            f"{env.get('machine', '?')})"
        )


def recording_environment() -> dict[str, str]:
    """The environment a section is recorded on (small; the full fingerprint is monitor.1's)."""
    from mltestscore import __version__

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": str(os.cpu_count() or "?"),
        "time": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "mltestscore": __version__,
    }


def load(path: Path) -> dict[str, Any]:
    """The whole baseline document; ``{}`` when the file does not exist.

    Raises :class:`BaselineError` (naming ``path``) for unreadable JSON, a wrong
    format marker or a section that is not ``{"data": {...}, "recorded_on": {...}}``.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BaselineError(f"cannot read baseline file {path}: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"baseline file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); fix it or delete it and {UPDATE_HINT}"
        ) from exc
    _validate(document, path)
    return dict(document)


def _validate(document: object, path: Path) -> None:
    if not isinstance(document, dict):
        raise BaselineError(
            f"baseline file {path} must hold a JSON object, got {type(document).__name__}"
        )
    if document.get("format") != FORMAT:
        raise BaselineError(
            f"baseline file {path}: key 'format' must be {FORMAT!r}, "
            f"got {document.get('format')!r}; is this an mltestscore baseline?"
        )
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise BaselineError(
            f"baseline file {path}: format_version {version!r} is not supported "
            f"(this mltestscore reads {FORMAT_VERSION}); {UPDATE_HINT}"
        )
    for key, section in document.items():
        if key in _HEADER_KEYS:
            continue
        if (
            not isinstance(section, dict)
            or not isinstance(section.get("data"), dict)
            or not isinstance(section.get("recorded_on"), dict)
        ):
            raise BaselineError(
                f"baseline file {path}: section {key!r} must be an object with 'data' and "
                f"'recorded_on' objects; fix it or delete the section and {UPDATE_HINT}"
            )


def get_section(path: Path, key: str) -> Section | None:
    """The section recorded for ``key``, or ``None`` when there is none (or no file)."""
    section = load(path).get(key)
    if section is None:
        return None
    return Section(key, section["data"], section["recorded_on"])


def put_section(path: Path, key: str, data: Mapping[str, Any]) -> Section:
    """Record ``data`` as the section ``key`` (atomic, under the lock); return it.

    ``data`` must be JSON-able with finite numbers (``NaN`` is not JSON);
    otherwise :class:`ValueError` names the key.
    """
    if key in _HEADER_KEYS:
        raise ValueError(f"{key!r} is reserved in the baseline file")
    section = {"data": dict(data), "recorded_on": recording_environment()}
    try:
        json.dumps(section, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"baseline section {key!r} is not JSON-able with finite numbers: {exc}"
        ) from exc
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        document = load(path) or {"format": FORMAT, "format_version": FORMAT_VERSION}
        document[key] = section
        _atomic_write(path, document)
    return Section(key, section["data"], section["recorded_on"])


def _atomic_write(path: Path, document: Mapping[str, Any]) -> None:
    from mltestscore.report import write_atomic

    write_atomic(path, json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (a separate file: ``path`` is replaced)."""
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def compare_or_record(
    context: CheckContext, key: str, current: Mapping[str, Any]
) -> Section | None:
    """The usual flow of a baseline check.

    On an update run (``context.update_baseline``) record ``current`` and return
    ``None`` (the check reports "recorded"); otherwise return the recorded
    section, or raise :class:`NotAutomated` when there is none.
    """
    if context.update_baseline:
        put_section(context.baseline_path, key, current)
        return None
    section = get_section(context.baseline_path, key)
    if section is None:
        raise NotAutomated(
            f"no baseline recorded for {key} in {context.baseline_path}: {UPDATE_HINT}"
        )
    return section
