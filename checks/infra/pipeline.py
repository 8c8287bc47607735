"""infra.3's mechanism: a team's ML pipeline as ordered, named stages, planned and run.

A pipeline is an ordered mapping *stage name → callable* (a ``dict``, a list of
``(name, callable)`` pairs, or :class:`Pipeline`). Stages run in order; each
stage's parameters say what it receives:

- a parameter named like an **earlier stage** receives that stage's output
  (``def evaluate(train, data)`` gets the trained model and the data);
- a parameter named ``workdir`` receives a fresh temporary directory
  (:class:`pathlib.Path`) for artifacts, removed after the run;
- one remaining required parameter receives the **previous stage's output**
  (``def load(path)`` after ``export``); the first stage takes none.

The canonical stages are ``data → train → evaluate → export → load → predict``::

    pipeline = Pipeline.of(
        data=lambda: make_splits(fast=True),
        train=lambda data: fit(data.train, seed=0),
        evaluate=lambda train, data: {"accuracy": score(train, data.test)},
        export=lambda train, workdir: save(train, workdir / "model.onnx"),
        load=lambda export: load_artifact(export),
        predict=lambda load, data: load.predict(data.test.X[:8]),
    )

:func:`plan` checks the wiring before anything runs (a stage asking for a later stage's
output, or for two unnamed values, is reported without wasting a training run);
:func:`run_stages` runs the plan, timing each stage and naming where a failing one raised.
A stage whose output a later stage needs must not return ``None``.
"""

from __future__ import annotations

import inspect
import sysconfig
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mltestscore.inputs.arrays import describe, rounded

WORKDIR = "workdir"
CANONICAL_STAGES = ("data", "train", "evaluate", "export", "load", "predict")


class PipelineWiringError(ValueError):
    """The stages cannot be connected as declared (reported before anything runs)."""


@dataclass(frozen=True)
class Pipeline:
    """Ordered named stages; build with :meth:`of` or :meth:`coerce`."""

    stages: tuple[tuple[str, Callable[..., Any]], ...]

    @classmethod
    def of(cls, **stages: Callable[..., Any]) -> Pipeline:
        """``Pipeline.of(data=..., train=..., ...)`` in keyword order."""
        return cls.coerce(stages)

    @classmethod
    def coerce(cls, value: object) -> Pipeline:
        """Accept a :class:`Pipeline`, a mapping or a sequence of ``(name, callable)`` pairs."""
        if isinstance(value, Pipeline):
            return value
        if isinstance(value, Mapping):
            pairs = list(value.items())
        elif (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in value)
        ):
            pairs = [(p[0], p[1]) for p in value]
        else:
            raise TypeError(
                "pipeline: expected an ordered mapping stage name → callable (e.g. "
                "{'data': ..., 'train': ...}), a list of (name, callable) pairs or a "
                f"mltestscore.checks.infra.pipeline.Pipeline, got {type(value).__name__}"
            )
        if not pairs:
            raise ValueError("pipeline: no stages (expected e.g. data, train, evaluate, ...)")
        seen: set[str] = set()
        for name, fn in pairs:
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"pipeline: stage names must be identifiers, got {name!r}")
            if name in seen:
                raise ValueError(f"pipeline: stage {name!r} appears twice")
            if name == WORKDIR:
                raise ValueError(f"pipeline: {WORKDIR!r} is reserved (the artifact directory)")
            if not callable(fn):
                raise TypeError(f"pipeline: stage {name!r} is {type(fn).__name__}, not callable")
            seen.add(name)
        return cls(tuple((str(n), f) for n, f in pairs))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.stages]


@dataclass(frozen=True)
class Binding:
    """What one stage receives: named earlier outputs, the previous output, the workdir."""

    name: str
    fn: Callable[..., Any]
    named: tuple[tuple[str, str], ...]  # (parameter, stage whose output it gets)
    previous: str | None  # stage whose output goes to the unnamed positional parameter
    workdir: bool


def plan(pipeline: Pipeline) -> list[Binding]:
    """Resolve every stage's inputs; raise :class:`PipelineWiringError` when impossible."""
    bindings: list[Binding] = []
    names = pipeline.names
    for index, (name, fn) in enumerate(pipeline.stages):
        earlier, later = names[:index], set(names[index:])
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):  # builtins without a signature: previous output
            bindings.append(Binding(name, fn, (), earlier[-1] if earlier else None, False))
            continue
        named: list[tuple[str, str]] = []
        unnamed: list[str] = []
        takes_var = False
        wants_workdir = False
        for p in params:
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                takes_var = True
            elif p.name == WORKDIR:
                wants_workdir = True
            elif p.name in earlier:
                named.append((p.name, p.name))
            elif p.name in later and p.default is inspect.Parameter.empty:
                when = "is this stage itself" if p.name == name else "runs later"
                raise PipelineWiringError(
                    f"stage {name!r} asks for the output of {p.name!r}, which {when}; "
                    f"stages run in the order {names}"
                )
            elif p.default is inspect.Parameter.empty:
                if p.kind is inspect.Parameter.KEYWORD_ONLY:
                    raise PipelineWiringError(
                        f"stage {name!r}: keyword-only parameter {p.name!r} matches no earlier "
                        f"stage (earlier stages: {earlier or 'none'})"
                    )
                unnamed.append(p.name)
        if len(unnamed) > 1:
            raise PipelineWiringError(
                f"stage {name!r} has {len(unnamed)} parameters {unnamed} that match no earlier "
                f"stage; only one may receive the previous stage's output (name the others "
                f"after earlier stages: {earlier or 'none'})"
            )
        wants_previous = bool(unnamed) or (takes_var and not named)
        if unnamed and not earlier:
            raise PipelineWiringError(
                f"stage {name!r} is the first stage, so nothing can fill its parameter "
                f"{unnamed[0]!r}; the first stage takes no inputs (or only {WORKDIR!r})"
            )
        previous = earlier[-1] if wants_previous and earlier else None
        bindings.append(Binding(name, fn, tuple(named), previous, wants_workdir))
    return bindings


def consumers(bindings: Sequence[Binding]) -> dict[str, list[str]]:
    """Stage → the later stages (and how) that need its output."""
    needed: dict[str, list[str]] = {b.name: [] for b in bindings}
    for b in bindings:
        for param, source in b.named:
            needed[source].append(f"{b.name!r} (parameter {param!r})")
        if b.previous is not None:
            needed[b.previous].append(f"{b.name!r} (as its input)")
    return needed


# -- running --------------------------------------------------------------------------------
@dataclass
class StageOutcome:
    """One stage's result; ``status`` is ``ok``, ``failed`` or ``not_run``."""

    name: str
    status: str = "not_run"
    seconds: float = 0.0
    output: str = ""
    error: str = ""
    where: str = ""
    warnings: list[str] = field(default_factory=list)
    output_value: Any = None  # kept for the judge (metrics, predictions); not in evidence

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "stage": self.name,
            "status": self.status,
            "seconds": rounded(self.seconds, 4),
        }
        for key in ("output", "error", "where"):
            if getattr(self, key):
                row[key] = getattr(self, key)
        if self.warnings:
            row["warnings"] = self.warnings
        return row


def _library_paths() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(str(Path(p).resolve()) for p in paths if p)


def user_frame(exc: BaseException) -> str:
    """``file:line in function`` of the deepest traceback frame in the team's code."""
    frames = traceback.extract_tb(exc.__traceback__)
    libraries = _library_paths()
    here = str(Path(__file__).resolve())
    own = [
        f
        for f in frames
        if str(Path(f.filename).resolve()) != here
        and not str(Path(f.filename).resolve()).startswith(libraries)
    ]
    frame = own[-1] if own else (frames[-1] if frames else None)
    if frame is None:
        return ""
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _warning_lines(caught: Sequence[warnings.WarningMessage], cap: int = 3) -> list[str]:
    lines: list[str] = []
    for w in caught:
        line = f"{w.category.__name__}: {w.message}".replace("\n", " ")[:160]
        if line not in lines:
            lines.append(line)
    more = len({str(w.message) for w in caught}) - len(lines[:cap])
    return lines[:cap] + ([f"… and {more} more"] if more > 0 else [])


def _call(binding: Binding, outputs: Mapping[str, Any], workdir: Path) -> Any:
    kwargs = {param: outputs[source] for param, source in binding.named}
    if binding.workdir:
        kwargs[WORKDIR] = workdir
    args = [outputs[binding.previous]] if binding.previous is not None else []
    return binding.fn(*args, **kwargs)


def run_stages(bindings: Sequence[Binding]) -> tuple[list[StageOutcome], list[dict[str, Any]]]:
    """Run the stages in order until one fails; returns outcomes and workdir artifacts."""
    outcomes = [StageOutcome(b.name) for b in bindings]
    needed = consumers(bindings)
    outputs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mltestscore-infra3-") as tmp:
        workdir = Path(tmp)
        for binding, outcome in zip(bindings, outcomes, strict=True):
            start = time.perf_counter()
            value: Any = None
            caught: list[warnings.WarningMessage] = []
            try:
                with warnings.catch_warnings(record=True) as recorded:
                    warnings.simplefilter("always")
                    caught = recorded if recorded is not None else []
                    value = _call(binding, outputs, workdir)
            except SystemExit as exc:  # a CLI entry point used as a stage
                if exc.code not in (0, None):
                    outcome.error = f"SystemExit: the stage exited with status {exc.code!r}"
            except Exception as exc:
                outcome.error, outcome.where = _one_line(exc), user_frame(exc)
            outcome.seconds = time.perf_counter() - start
            outcome.warnings = _warning_lines(caught)
            if not outcome.error and value is None and needed[binding.name]:
                users = needed[binding.name]
                verb = "needs" if len(users) == 1 else "need"
                outcome.error = f"returned None, but {', '.join(users)} {verb} its output"
            if outcome.error:
                outcome.status = "failed"
                break
            outcome.status, outcome.output, outcome.output_value = "ok", describe(value), value
            outputs[binding.name] = value
        artifacts = sorted(
            (
                {"file": str(p.relative_to(workdir)), "bytes": p.stat().st_size}
                for p in workdir.rglob("*")
                if p.is_file()
            ),
            key=lambda row: str(row["file"]),
        )[:10]
    return outcomes, artifacts
