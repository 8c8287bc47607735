"""model.1: are the model spec files tracked, committed and on the default branch?

Git runs as a subprocess (``cwd`` = the project root, no prompts, C locale):
:func:`inspect_specs` computes one :class:`SpecStatus` per file, and the registered
check judges them. With ``ml_mlflow_run``, the training run's params are evidence too:
each must be declared in a spec file (:mod:`.run_params` reads the run and the files).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.checks.model.run_params import (
    ParamCheck,
    RunNotFound,
    compare_params,
    spec_declarations,
    training_run_params,
)
from mltestscore.context import CheckContext
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

GIT_TIMEOUT_S = 30


@register_builtin_check("model.1")
def model_specs_committed(
    model_spec_files: Sequence[str] | None = None,
    mlflow_run: Any = None,
    *,
    default_branch: str = "",
    ignore_params: Sequence[str] = (),
    context: CheckContext | None = None,
) -> CheckResult:
    """Model spec files are tracked in git, have no uncommitted changes, and are on the default branch.

    Inputs: ``model_spec_files`` — paths or glob patterns relative to the project
    root (model config, model code); else ``model_spec_files`` in ``[tool.mltestscore]``.
    Optional ``mlflow_run`` — the training run (an MLflow run id, read through
    ``MLFLOW_TRACKING_URI``, or an ``mlflow.entities.Run``): each of its params must be
    declared in a spec file (a key of a JSON/TOML/YAML file, a word of a code file), with
    the value the run used where a structured file gives one.
    Thresholds: ``default_branch`` — the branch the last commit touching each
    file must be on (default: ``origin/HEAD`` when the remote declares it, else ``HEAD``);
    ``ignore_params`` — run params (``*`` patterns) that need no declaration.
    Fails for a missing, untracked or modified file, a file committed only off the
    branch, a project outside a git repository, a run param no spec file declares or
    one whose value differs from the spec, or a run MLflow does not have; not automated
    without git, or with a run id and without mlflow (the extra ``mlflow``).
    """
    ctx = context or CheckContext.default()
    run_id, params = "", None
    if mlflow_run is not None:
        try:
            run_id, params = training_run_params(mlflow_run)
        except RunNotFound as exc:
            return CheckResult.failed(
                f"the training run cannot be read: {exc}",
                {"mlflow_run": str(mlflow_run)},
                "Point ml_mlflow_run at the run that trained the model (and "
                "MLFLOW_TRACKING_URI at its tracking store).",
            )
    files = (
        model_spec_files if model_spec_files is not None else ctx.options.get("model_spec_files")
    )
    if files is None:
        raise NotAutomated(
            "declare the model's spec files: ml_model_spec_files or "
            "model_spec_files = [...] in [tool.mltestscore]"
        )
    paths = expand([files] if isinstance(files, str) else list(files), ctx.root)
    if not paths:
        raise NotAutomated("model_spec_files is empty: list the model's config/code files")
    try:
        ref, statuses = inspect_specs(paths, ctx.root, default_branch)
    except GitError as exc:
        if "not installed" in str(exc):
            raise NotAutomated(str(exc)) from None
        return CheckResult.failed(
            f"model specs are not under version control: {exc}",
            {"root": str(ctx.root), "files": [str(p) for p in paths]},
            "Put the model's config and code in a git repository and commit them.",
        )
    problems = {
        "missing": [s.path for s in statuses if not s.exists],
        "untracked": [s.path for s in statuses if s.exists and not s.tracked],
        "uncommitted_changes": [s.path for s in statuses if s.tracked and not s.clean],
        "not_on_branch": [s.path for s in statuses if s.tracked and not s.on_branch],
    }
    evidence: dict[str, Any] = {
        "branch": ref,
        "files": [s.__dict__ for s in statuses[:50]],
        **{k: v for k, v in problems.items() if v},
    }
    checked: ParamCheck | None = None
    if params is not None:
        checked = compare_params(
            params,
            spec_declarations((s.path, p) for s, p in zip(statuses, paths, strict=True)),
            ignore_params,
        )
        problems["params_not_in_spec"] = checked.undeclared
        problems["params_differ_from_spec"] = checked.differ
        evidence["mlflow_run"] = {
            "run_id": run_id,
            "params": len(params),
            "declared": checked.declared[:50],
            **({"ignored": checked.ignored} if checked.ignored else {}),
            **{k: problems[k][:50] for k in ("params_not_in_spec", "params_differ_from_spec")},
        }
    found = "; ".join(f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in problems.items() if v)
    if found:
        files_ok = not any(v for k, v in problems.items() if not k.startswith("params_"))
        return CheckResult.failed(
            f"{sum(map(len, problems.values()))} model spec problem(s) — {found}",
            evidence,
            (
                f"Declare every param of training run {run_id} in a committed spec file "
                "(or train from the committed config), so the trained model can be traced "
                "to a reviewed spec; params that are not model config go in the "
                "ignore_params threshold."
            )
            if files_ok
            else "Commit the model spec files (git add + commit, reviewed and merged to "
            f"{ref}) so the trained model can be traced to a reviewed spec.",
        )
    run_note = (
        f"; the {len(checked.declared)} param(s) of training run {run_id} are declared in them"
        if checked is not None
        else ""
    )
    return CheckResult.passed(
        f"{len(statuses)} model spec file(s) tracked, clean and committed on {ref}{run_note}",
        evidence,
    )


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


def branch_to_check(repo: Path, declared: str) -> str:
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
    ref = branch_to_check(repo, branch)
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
