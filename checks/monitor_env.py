"""monitor.1's judgement: an environment diff against the baseline, into a verdict."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from mltestscore.baseline import Section
from mltestscore.environment import LEVEL_RANK, Change, Fingerprint, diff, normalize_name
from mltestscore.results import CheckResult

FAIL_ON_RANK = {"any": 1, "patch": 1, "minor": 2, "major": 3}
MAX_ROWS = 50

NEXT_STEP = (
    "Review the listed changes (release notes of upgraded packages; rerun the model checks). "
    "If they are intended, record the new environment with `pytest --ml-score "
    "--ml-score-update-baseline` and commit the baseline file; if not, pin the versions in "
    "a lockfile and reinstall."
)


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
) -> CheckResult:
    """PASS when nothing changed; FAIL for changes at or above ``fail_on``; else WARN."""
    if fail_on not in FAIL_ON_RANK:
        raise ValueError(
            f"monitor.1 threshold fail_on must be one of {sorted(FAIL_ON_RANK)}, got {fail_on!r}"
        )
    if isinstance(ignore, str):
        ignore = [ignore]
    recorded = Fingerprint.from_dict(section.data, f"{where} section monitor.1")
    everything = diff(recorded, current)
    ignored = [c for c in everything.changes if _ignored(c, ignore)]
    changes = [c for c in everything.changes if not _ignored(c, ignore)]
    rank = FAIL_ON_RANK[fail_on]
    failing = [c for c in changes if LEVEL_RANK[c.level] >= rank]
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    evidence = {
        "baseline": dict(section.recorded_on),
        "python": current.python,
        "system": f"{current.system} {current.machine}",
        "distributions": len(current.distributions),
        "lockfiles": sorted(current.lockfiles),
        "fail_on": fail_on,
        "counts": counts,
        "failing": len(failing),
        "ignored": len(ignored),
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
    listed = "; ".join(c.describe() for c in (failing or changes)[:10])
    more = f" (+{len(failing or changes) - 10} more)" if len(failing or changes) > 10 else ""
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    if failing:
        return CheckResult.failed(
            f"{len(changes)} environment change(s) since the baseline {section.describe()} "
            f"({summary}); {len(failing)} at or above fail_on={fail_on!r}: {listed}{more}",
            evidence,
            NEXT_STEP,
        )
    return CheckResult.warned(
        f"{len(changes)} environment change(s) below fail_on={fail_on!r} since the baseline "
        f"{section.describe()} ({summary}): {listed}{more}",
        evidence,
        NEXT_STEP,
    )
