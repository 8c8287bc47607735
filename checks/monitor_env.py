"""monitor.1's judgement: an environment diff against the baseline, into a verdict."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from pathlib import Path

from mltestscore.baseline import Section
from mltestscore.environment import (
    LEVEL_RANK,
    Change,
    Fingerprint,
    diff,
    lockfile_pins,
    normalize_name,
)
from mltestscore.results import CheckResult, NotAutomated

# The policy that turns a change into a failure. "never" (the default) only notifies:
# the rubric asks that a dependency change reaches the team, not that nothing changes.
FAIL_ON_RANK = {"never": 99, "any": 1, "patch": 1, "minor": 2, "major": 3}
FAIL_ON_CHOICES = (*FAIL_ON_RANK, "unlocked")
MAX_ROWS = 50

NEXT_STEP = (
    "Review the listed changes (release notes of upgraded packages; rerun the model checks). "
    "If they are intended, record the new environment with `pytest --ml-score "
    "--ml-score-update-baseline` and commit the baseline file; if not, pin the versions in "
    "a lockfile and reinstall."
)


def _failing(change: Change, fail_on: str, pins: Mapping[str, set[str]]) -> bool:
    """Whether ``change`` fails under the team's policy ``fail_on``."""
    if fail_on == "unlocked":
        # A package that moved to a version no lockfile pins; Python/OS/accelerator
        # changes are not lockfile matters and only notify.
        if change.what != "package" or change.after is None:
            return False
        return change.after not in pins.get(change.name, set())
    return LEVEL_RANK[change.level] >= FAIL_ON_RANK[fail_on]


def _ignored(change: Change, patterns: Sequence[str]) -> bool:
    if change.what != "package":
        return False
    return any(fnmatch.fnmatchcase(change.name, normalize_name(p)) for p in patterns)


def judge_environment(
    section: Section,
    current: Fingerprint,
    *,
    fail_on: str,
    ignore: Sequence[str],
    where: str,
    root: Path | None = None,
) -> CheckResult:
    """PASS when nothing changed; WARN (a notification) listing every change; FAIL only
    for changes the team's ``fail_on`` policy fails, naming the policy."""
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError(
            f"monitor.1 threshold fail_on must be one of {list(FAIL_ON_CHOICES)}, got {fail_on!r}"
        )
    if isinstance(ignore, str):
        ignore = [ignore]
    try:
        recorded = Fingerprint.from_dict(section.data, f"{where} section monitor.1")
    except ValueError as exc:
        raise NotAutomated(
            f"{exc}; record a new one with `pytest --ml-score --ml-score-update-baseline`"
        ) from exc
    everything = diff(recorded, current)
    ignored = [c for c in everything.changes if _ignored(c, ignore)]
    changes = [c for c in everything.changes if not _ignored(c, ignore)]
    pins = lockfile_pins(root) if fail_on == "unlocked" and root is not None else {}
    failing = [c for c in changes if _failing(c, fail_on, pins)]
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    levels: dict[str, int] = {}
    for change in changes:
        levels[change.level] = levels.get(change.level, 0) + 1
    evidence = {
        "baseline": dict(section.recorded_on),
        "python": current.python,
        "system": f"{current.system} {current.machine}",
        "accelerator": dict(current.accelerator),
        "distributions": len(current.distributions),
        "lockfiles": sorted(current.lockfiles),
        "fail_on": fail_on,
        "counts": counts,
        "levels": levels,
        "failing": len(failing),
        "ignored": len(ignored),
        "notification": bool(changes),
        "changes": [c.to_dict() for c in changes[:MAX_ROWS]],
        "changes_truncated": max(0, len(changes) - MAX_ROWS),
    }
    pinned = (
        f"lockfiles {', '.join(sorted(current.lockfiles))}"
        if current.lockfiles
        else "no lockfile at the project root (versions are not pinned)"
    )
    if not changes:
        extra = f" ({len(ignored)} ignored change(s))" if ignored else ""
        return CheckResult.passed(
            f"environment matches the baseline {section.describe()}: "
            f"{len(current.distributions)} distributions, Python {current.python}, "
            f"{pinned}{extra}",
            evidence,
        )
    shown = failing or changes
    listed = "; ".join(c.describe() for c in shown[:10])
    more = f" (+{len(shown) - 10} more)" if len(shown) > 10 else ""
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    if failing:
        policy = (
            "fail_on='unlocked' (a package moved to a version no lockfile pins)"
            if fail_on == "unlocked"
            else f"fail_on={fail_on!r} (changes at level {fail_on} or above fail)"
        )
        return CheckResult.failed(
            f"{len(changes)} environment change(s) since the baseline {section.describe()} "
            f"({summary}); {len(failing)} fail under the policy {policy}: {listed}{more}",
            evidence,
            NEXT_STEP,
        )
    return CheckResult.warned(
        f"dependency notification: {len(changes)} environment change(s) since the baseline "
        f"{section.describe()} ({summary}; policy fail_on={fail_on!r}): {listed}{more}",
        evidence,
        NEXT_STEP,
    )
