"""Environment fingerprint and its diff (the evidence of monitor.1).

A :class:`Fingerprint` records what a model's behaviour depends on besides its
code: the installed distributions and their versions (``importlib.metadata``),
the Python version and implementation, the platform, and the sha256 of the
lockfiles at the project root (``uv.lock``, ``poetry.lock``, ``pdm.lock``,
``Pipfile.lock``, ``pylock*.toml``, ``requirements*.txt``). :func:`diff`
lists what changed between two fingerprints, each package change with its
level (major/minor/patch by PEP 440 release segments).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

LOCKFILE_PATTERNS: tuple[str, ...] = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "pylock*.toml",
    "requirements*.txt",
)

ChangeKind = Literal["added", "removed", "upgraded", "downgraded", "changed"]
Level = Literal["major", "minor", "patch", "other"]
LEVEL_RANK: dict[str, int] = {"patch": 1, "other": 2, "minor": 2, "major": 3}


def normalize_name(name: str) -> str:
    """PEP 503 normalized distribution name (``Foo_Bar.baz`` → ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Fingerprint:
    """What the environment was: JSON-able via :meth:`to_dict` / :meth:`from_dict`."""

    python: str
    implementation: str
    system: str  # platform.system(): Linux, Darwin, Windows
    machine: str
    platform: str = ""  # the full platform string, for information (kernel updates are not diffed)
    distributions: Mapping[str, str] = field(default_factory=dict)
    lockfiles: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["distributions"] = dict(sorted(self.distributions.items()))
        data["lockfiles"] = dict(sorted(self.lockfiles.items()))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "fingerprint") -> Fingerprint:
        """Read a stored fingerprint; :class:`ValueError` names ``where`` and the bad key."""
        try:
            dists = data["distributions"]
            locks = data.get("lockfiles", {})
            if not isinstance(dists, Mapping) or not isinstance(locks, Mapping):
                raise TypeError("'distributions' and 'lockfiles' must be objects")
            return cls(
                python=str(data["python"]),
                implementation=str(data.get("implementation", "")),
                system=str(data.get("system", "")),
                machine=str(data.get("machine", "")),
                platform=str(data.get("platform", "")),
                distributions={str(k): str(v) for k, v in dists.items()},
                lockfiles={str(k): str(v) for k, v in locks.items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"{where} is not an environment fingerprint ({type(exc).__name__}: {exc}); "
                "expected keys python, distributions (name → version), lockfiles"
            ) from exc


def installed_distributions() -> dict[str, str]:
    """Normalized name → version of every installed distribution (first on sys.path wins)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        found.setdefault(normalize_name(str(name)), str(dist.version))
    return found


def lockfile_hashes(root: Path) -> dict[str, str]:
    """sha256 of each lockfile directly under ``root`` (file name → hex digest)."""
    hashes: dict[str, str] = {}
    root = Path(root)
    for pattern in LOCKFILE_PATTERNS:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def fingerprint(root: Path | None = None) -> Fingerprint:
    """The current environment; lockfiles are looked for in ``root`` (default: cwd)."""
    return Fingerprint(
        python=platform.python_version(),
        implementation=sys.implementation.name,
        system=platform.system(),
        machine=platform.machine(),
        platform=platform.platform(),
        distributions=installed_distributions(),
        lockfiles=lockfile_hashes(Path.cwd() if root is None else root),
    )


@dataclass(frozen=True)
class Change:
    """One difference: ``name`` is a distribution, ``python``, ``platform`` or a lockfile."""

    kind: ChangeKind
    what: Literal["package", "python", "platform", "lockfile"]
    name: str
    before: str | None
    after: str | None
    level: Level

    def describe(self) -> str:
        if self.kind == "added":
            return f"{self.name} {self.after} added"
        if self.kind == "removed":
            return f"{self.name} {self.before} removed"
        if self.what == "lockfile":
            return f"{self.name} changed (sha256 {str(self.before)[:8]} → {str(self.after)[:8]})"
        return f"{self.name} {self.kind} {self.before} → {self.after} ({self.level})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def version_change(before: str, after: str) -> tuple[ChangeKind, Level]:
    """Direction and level of a version change (``other`` when not PEP 440)."""
    from packaging.version import InvalidVersion, Version

    try:
        old, new = Version(before), Version(after)
    except InvalidVersion:
        return "changed", "other"
    kind: ChangeKind = "upgraded" if new > old else "downgraded" if new < old else "changed"
    a = (*old.release, 0, 0, 0)
    b = (*new.release, 0, 0, 0)
    if (old.epoch, a[0]) != (new.epoch, b[0]):
        return kind, "major"
    if a[1] != b[1]:
        return kind, "minor"
    return kind, "patch"  # micro, pre/post/dev or local segments


@dataclass(frozen=True)
class EnvironmentDiff:
    """Changes between a baseline fingerprint and the current one."""

    changes: tuple[Change, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def of_kind(self, kind: ChangeKind) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == kind)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        return counts


def diff(before: Fingerprint, after: Fingerprint) -> EnvironmentDiff:
    """Everything that differs from ``before`` to ``after``, packages sorted by name."""
    changes: list[Change] = []
    if before.python != after.python:
        kind, level = version_change(before.python, after.python)
        changes.append(Change(kind, "python", "python", before.python, after.python, level))
    if before.implementation != after.implementation:
        changes.append(
            Change(
                "changed",
                "python",
                "python implementation",
                before.implementation,
                after.implementation,
                "major",
            )
        )
    for name in ("system", "machine"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(Change("changed", "platform", name, old, new, "major"))
    old_d, new_d = before.distributions, after.distributions
    for name in sorted(set(old_d) | set(new_d)):
        if name not in new_d:
            changes.append(Change("removed", "package", name, old_d[name], None, "major"))
        elif name not in old_d:
            changes.append(Change("added", "package", name, None, new_d[name], "major"))
        elif old_d[name] != new_d[name]:
            kind, level = version_change(old_d[name], new_d[name])
            changes.append(Change(kind, "package", name, old_d[name], new_d[name], level))
    old_l, new_l = before.lockfiles, after.lockfiles
    for name in sorted(set(old_l) | set(new_l)):
        if old_l.get(name) != new_l.get(name):
            lock_kind: ChangeKind = (
                "added" if name not in old_l else "removed" if name not in new_l else "changed"
            )
            changes.append(
                Change(lock_kind, "lockfile", name, old_l.get(name), new_l.get(name), "minor")
            )
    return EnvironmentDiff(tuple(changes))
