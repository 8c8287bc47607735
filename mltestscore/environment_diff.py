"""What changed between two environment fingerprints (the diff of monitor.1).

:func:`diff` compares two fingerprints (:class:`~mltestscore.environment.Fingerprint`):
the Python version and implementation, the platform, every installed distribution (added,
removed, upgraded or downgraded, with its level: major/minor/patch by PEP 440 release
segments, :func:`version_change`), the accelerator facts both runs recorded, and the
lockfiles' hashes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mltestscore.environment import Fingerprint

__all__ = [
    "LEVEL_RANK",
    "Change",
    "ChangeKind",
    "EnvironmentDiff",
    "Level",
    "diff",
    "version_change",
]

ChangeKind = Literal["added", "removed", "upgraded", "downgraded", "changed"]
Level = Literal["major", "minor", "patch", "other"]
LEVEL_RANK: dict[str, int] = {"patch": 1, "other": 2, "minor": 2, "major": 3}


@dataclass(frozen=True)
class Change:
    """One difference: ``name`` is a distribution, ``python``, ``platform`` or a lockfile."""

    kind: ChangeKind
    what: Literal["package", "python", "platform", "lockfile", "accelerator"]
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
    # Accelerator facts are compared only where both runs recorded them (older baselines
    # have none): a CUDA/cuDNN version by its release segments, a driver or device as text.
    old_a, new_a = before.accelerator, after.accelerator
    for name in sorted(set(old_a) & set(new_a)):
        if old_a[name] != new_a[name]:
            if name in ("torch_cuda", "cudnn", "driver"):
                kind, level = version_change(old_a[name], new_a[name])
            else:
                kind, level = "changed", "major"
            changes.append(Change(kind, "accelerator", name, old_a[name], new_a[name], level))
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
