"""monitor.1 — dependency changes result in notification.

The environment fingerprint (:mod:`mltestscore.environment`: distributions, Python,
platform, lockfiles, accelerator) is diffed against the ``monitor.1`` section of the
baseline file; every change is a notification (WARN), and only the team's ``fail_on``
policy turns changes into a failure.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

from mltestscore.baseline import UPDATE_HINT, BaselineError, compare_or_record
from mltestscore.context import CheckContext
from mltestscore.environment import (
    LEVEL_RANK,
    Change,
    Fingerprint,
    diff,
    fingerprint,
    lockfile_pins,
    normalize_name,
)
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

# The policy that turns a change into a failure. "never" (the default) only notifies:
# the rubric asks that a dependency change reaches the team, not that nothing changes.
FAIL_ON_RANK = {"never": 99, "any": 1, "patch": 1, "minor": 2, "major": 3}
FAIL_ON_CHOICES = (*FAIL_ON_RANK, "unlocked")
MAX_ROWS = 50
RECORD_AGAIN = "record a new one with `pytest --ml-score --ml-score-update-baseline`"

NEXT_STEP = (
    "Review the listed changes (release notes of upgraded packages; rerun the model checks). "
    "If they are intended, record the new environment with `pytest --ml-score "
    "--ml-score-update-baseline` and commit the baseline file; if not, pin the versions in "
    "a lockfile and reinstall."
)


@register_builtin_check("monitor.1")
def dependency_changes(
    context: CheckContext | None = None, *, fail_on: str = "never", ignore: Sequence[str] = ()
) -> CheckResult:
    """Dependency changes result in notification: the environment is compared with the baseline.

    Needs no input: the fingerprint is the installed distributions and their
    versions, Python, the OS and machine, the sha256 of the lockfiles at the
    project root (uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock*.toml,
    requirements*.txt) and, where torch is installed, its CUDA/cuDNN versions,
    the NVIDIA driver and the device names. It is compared with the ``monitor.1``
    section of the baseline file (``.mltestscore/baseline.json``, recorded with
    ``pytest --ml-score --ml-score-update-baseline`` and committed).

    Earning the point means the mechanism works: every change (added, removed,
    upgraded/downgraded with its level, lockfile, Python, platform, accelerator)
    is surfaced as a WARN-level notification in the terminal summary and the
    reports, and the test passes. It fails only under a policy the team declares.

    Thresholds: ``fail_on`` — ``"never"`` (default: notify only), ``"major"``,
    ``"minor"``, ``"patch"``/``"any"`` (changes at that level or above fail;
    added/removed packages and OS changes count as major, lockfile changes as
    minor), or ``"unlocked"`` (a package that moved to a version no lockfile at
    the project root pins); ``ignore`` — distribution name patterns (fnmatch)
    left out, e.g. installer tooling or the team's own package.

    No baseline, or an unreadable one: not automated, with the command that records
    it. A run that records the baseline compares nothing: it could not judge.
    """
    context = context or CheckContext.default()
    current = fingerprint(context.root)
    try:
        section = compare_or_record(context, "monitor.1", current.to_dict())
    except BaselineError as exc:
        raise NotAutomated(f"{exc}; {RECORD_AGAIN}") from exc
    if section is None:
        return CheckResult.inconclusive(
            f"recorded the environment in {context.baseline_path}: "
            f"{len(current.distributions)} distributions, Python {current.python}, "
            f"lockfiles {sorted(current.lockfiles) or 'none'}; nothing compared in a run that "
            "records the baseline",
            {"recorded": True, "distributions": len(current.distributions),
             "python": current.python, "lockfiles": sorted(current.lockfiles)},
            f"Commit {context.baseline_path} and run again without the flag ({UPDATE_HINT} "
            "only when the environment changes on purpose).",
        )  # fmt: skip

    # Judge: PASS when nothing changed; WARN (a notification) listing every change; FAIL
    # only for the changes the team's fail_on policy fails, naming the policy.
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError(
            f"monitor.1 threshold fail_on must be one of {list(FAIL_ON_CHOICES)}, got {fail_on!r}"
        )
    patterns = [ignore] if isinstance(ignore, str) else list(ignore)
    try:
        recorded = Fingerprint.from_dict(section.data, f"{context.baseline_path} section monitor.1")
    except ValueError as exc:
        raise NotAutomated(f"{exc}; {RECORD_AGAIN}") from exc
    everything = diff(recorded, current).changes
    ignored = [c for c in everything if _ignored(c, patterns)]
    changes = [c for c in everything if not _ignored(c, patterns)]
    pins = lockfile_pins(context.root) if fail_on == "unlocked" else {}
    failing = [c for c in changes if _failing(c, fail_on, pins)]
    counts: dict[str, int] = {}
    levels: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
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
    if not changes:
        pinned = (
            f"lockfiles {', '.join(sorted(current.lockfiles))}"
            if current.lockfiles
            else "no lockfile at the project root (versions are not pinned)"
        )
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
