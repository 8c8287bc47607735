"""model.1: are the model spec files tracked, committed and on the default branch?

Git runs as a subprocess (``cwd`` = the project root, no prompts, C locale);
:func:`inspect_specs` computes one :class:`SpecStatus` per file and
:func:`judge_specs` turns them into a :class:`CheckResult`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mltestscore.results import CheckResult, NotAutomated

GIT_TIMEOUT_S = 30


class GitError(RuntimeError):
    """Git could not answer (missing binary, not a repository, broken repository)."""


@dataclass(frozen=True)
class SpecStatus:
    path: str  # relative to the repository root when inside it
    exists: bool
    tracked: bool
    clean: bool  # no staged, unstaged or untracked changes
    last_commit: str | None
    committed_at: str | None
    on_branch: bool  # the last commit touching it is reachable from the branch


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("git is not installed (or not on PATH): model.1 needs it")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        return subprocess.run(
            [exe, *args], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=GIT_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {exc}") from None


def repository_root(cwd: Path) -> Path:
    proc = _git(["rev-parse", "--show-toplevel"], cwd)
    if proc.returncode != 0:
        raise GitError(
            f"{cwd} is not inside a git repository ({proc.stderr.strip() or 'git rev-parse failed'})"
        )
    return Path(proc.stdout.strip())


def default_branch(repo: Path, declared: str) -> str:
    """The branch to look for commits on: declared, else origin's HEAD, else HEAD."""
    if declared:
        return declared
    proc = _git(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], repo)
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip().removeprefix("refs/remotes/")
    return "HEAD"


def expand(patterns: Iterable[str], root: Path) -> list[Path]:
    """Spec paths (relative to ``root``, globs allowed); unmatched literals kept as missing."""
    out: list[Path] = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise TypeError(f"model_spec_files: expected non-empty path strings, got {pattern!r}")
        full = pattern if os.path.isabs(pattern) else str(root / pattern)
        matches = sorted(glob.glob(full, recursive=True)) if glob.has_magic(pattern) else [full]
        out.extend(Path(m) for m in (matches or [full]))
    return list(dict.fromkeys(out))


def inspect_specs(paths: Sequence[Path], root: Path, branch: str) -> tuple[str, list[SpecStatus]]:
    """Status of each path; returns the branch actually used and the statuses."""
    repo = repository_root(root)
    ref = default_branch(repo, branch)
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo).returncode != 0:
        raise GitError(f"branch {ref!r} has no commits in {repo}")
    statuses = []
    for path in paths:
        try:
            rel = str(path.resolve().relative_to(repo.resolve()))
        except ValueError:
            statuses.append(SpecStatus(str(path), path.exists(), False, False, None, None, False))
            continue
        tracked = _git(["ls-files", "--error-unmatch", "--", rel], repo).returncode == 0
        porcelain = _git(["status", "--porcelain", "--untracked-files=all", "--", rel], repo)
        clean = porcelain.returncode == 0 and not porcelain.stdout.strip()
        log = _git(["log", "-1", "--format=%H %cI", ref, "--", rel], repo)
        parts = log.stdout.split() if log.returncode == 0 else []
        commit, when = (parts[0], parts[1]) if len(parts) >= 2 else (None, None)
        statuses.append(
            SpecStatus(rel, path.exists(), tracked, clean, commit, when, commit is not None)
        )
    return ref, statuses


def judge_specs(patterns: Sequence[str], root: Path, branch: str) -> CheckResult:
    """Compute the statuses and judge: every file exists, is tracked, clean and on the branch."""
    paths = expand(patterns, root)
    if not paths:
        raise NotAutomated("model_spec_files is empty: list the model's config/code files")
    try:
        ref, statuses = inspect_specs(paths, root, branch)
    except GitError as exc:
        if "not installed" in str(exc):
            raise NotAutomated(str(exc)) from None
        return CheckResult.failed(
            f"model specs are not under version control: {exc}",
            {"root": str(root), "files": [str(p) for p in paths]},
            "Put the model's config and code in a git repository and commit them.",
        )
    problems = {
        "missing": [s.path for s in statuses if not s.exists],
        "untracked": [s.path for s in statuses if s.exists and not s.tracked],
        "uncommitted_changes": [s.path for s in statuses if s.tracked and not s.clean],
        "not_on_branch": [s.path for s in statuses if s.tracked and not s.on_branch],
    }
    evidence = {
        "branch": ref,
        "files": [s.__dict__ for s in statuses[:50]],
        **{k: v for k, v in problems.items() if v},
    }
    found = "; ".join(f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in problems.items() if v)
    if found:
        return CheckResult.failed(
            f"{sum(map(len, problems.values()))} model spec problem(s) — {found}",
            evidence,
            "Commit the model spec files (git add + commit, reviewed and merged to "
            f"{ref}) so the trained model can be traced to a reviewed spec.",
        )
    return CheckResult.passed(
        f"{len(statuses)} model spec file(s) tracked, clean and committed on {ref}", evidence
    )
