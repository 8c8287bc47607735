"""model.1's run evidence: the training run's params, and where the spec files declare them.

- :func:`training_run_params`: ``(run id, {param: value})`` of an MLflow run, from a run
  id (looked up with MLflow's own tracking URI resolution, e.g. ``MLFLOW_TRACKING_URI``)
  or an ``mlflow.entities.Run``;
- :func:`spec_declarations`: what the spec files declare — the flattened keys and scalar
  values of JSON, TOML and YAML files (``model.hidden: 64``), the text of any other file;
- :func:`compare_params`: each param declared or not, and where a structured spec gives
  a value, whether the run used it.

A param ``optimizer.lr`` (or ``optimizer/lr``) matches the key ``optimizer.lr`` of a
structured file, a key ending in ``.lr``, or the word ``lr`` in a code file.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mltestscore.results import NotAutomated

MLFLOW_EXTRA = 'pip install "mltestscore[mlflow]"'
STRUCTURED = (".json", ".toml", ".yaml", ".yml")


class RunNotFound(LookupError):
    """The MLflow run named by ``ml_mlflow_run`` could not be read (message says why)."""


def training_run_params(run: Any) -> tuple[str, dict[str, str]]:
    """``(run id, params as logged)`` of ``run``: a run id or an ``mlflow.entities.Run``.

    Raises :class:`NotAutomated` for a run id without mlflow installed, ``TypeError``
    for anything else than a run, :class:`RunNotFound` when the store has no such run.
    """
    data, info = getattr(run, "data", None), getattr(run, "info", None)
    if data is not None and info is not None and isinstance(getattr(data, "params", None), Mapping):
        return str(info.run_id), {str(k): str(v) for k, v in data.params.items()}
    if not isinstance(run, str) or not run.strip():
        raise TypeError(
            f"ml_mlflow_run: expected an MLflow run id or an mlflow.entities.Run, got {run!r}"
        )
    try:
        import mlflow
    except ImportError:
        raise NotAutomated(
            f"ml_mlflow_run names the training run {run!r}, and reading its params needs "
            f"mlflow: {MLFLOW_EXTRA}"
        ) from None
    try:
        found = mlflow.MlflowClient().get_run(run.strip())
    except Exception as exc:  # MlflowException: no such run, or no store at the URI
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "not found"
        raise RunNotFound(
            f"MLflow has no run {run!r} at {mlflow.get_tracking_uri()} "
            f"({type(exc).__name__}: {first})"
        ) from None
    return str(found.info.run_id), {str(k): str(v) for k, v in found.data.params.items()}


@dataclass
class Declarations:
    """What the spec files declare: ``values[path] = [(key, value)]`` and plain ``texts``."""

    values: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def spec_declarations(files: Iterable[tuple[str, Path]]) -> Declarations:
    """Read ``(shown path, file)`` pairs; unreadable or missing files are left out."""
    found = Declarations()
    for shown, path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        parsed = _parse(path.suffix.lower(), text)
        if parsed is None:
            found.texts[shown] = text
        else:
            found.values[shown] = list(_flatten(parsed))
    return found


def _parse(suffix: str, text: str) -> Any:
    try:
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix in (".yaml", ".yml"):
            import yaml  # PyYAML comes with mlflow; without it the file is read as text

            return yaml.safe_load(text)
    except ImportError:
        return None
    except Exception:  # a malformed structured file: its words still count as declarations
        return None
    return None


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, value


@dataclass(frozen=True)
class ParamCheck:
    declared: list[str]  # "lr (configs/model.yaml)"
    undeclared: list[str]
    differ: list[str]  # "lr: run 0.01, spec 0.001 (configs/model.yaml)"
    ignored: list[str]


def compare_params(
    params: Mapping[str, str], found: Declarations, ignore: Sequence[str] = ()
) -> ParamCheck:
    """Each run param against the spec files' declarations."""
    declared, undeclared, differ, ignored = [], [], [], []
    for name, value in sorted(params.items()):
        if any(re.fullmatch(_glob(p), name) for p in ignore):
            ignored.append(name)
            continue
        matches = _structured_matches(name, found)
        where = [shown for shown, _ in matches] + _text_matches(name, found)
        if not where:
            undeclared.append(name)
            continue
        comparable = [(shown, v) for shown, v in matches if _scalar(v)]
        if comparable and not any(_same(value, v) for _, v in comparable):
            shown, spec = comparable[0]
            differ.append(f"{name}: run {value}, spec {spec!r} ({shown})")
        else:
            declared.append(f"{name} ({where[0]})")
    return ParamCheck(declared, undeclared, differ, ignored)


def _glob(pattern: str) -> str:
    return ".*".join(re.escape(part) for part in pattern.split("*"))


def _segments(name: str) -> list[str]:
    return [s for s in re.split(r"[./]", name) if s]


def _structured_matches(name: str, found: Declarations) -> list[tuple[str, Any]]:
    dotted = ".".join(_segments(name))
    last = _segments(name)[-1] if _segments(name) else name
    exact, suffix, leaf = [], [], []
    for shown, entries in found.values.items():
        for key, value in entries:
            if key == dotted:
                exact.append((shown, value))
            elif key.endswith("." + dotted):
                suffix.append((shown, value))
            elif key.rsplit(".", 1)[-1] == last:
                leaf.append((shown, value))
    return exact or suffix or leaf


def _text_matches(name: str, found: Declarations) -> list[str]:
    segments = _segments(name)
    if not segments:
        return []
    word = re.compile(rf"(?<![\w]){re.escape(segments[-1])}(?![\w])")
    return [shown for shown, text in found.texts.items() if word.search(text)]


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _same(logged: str, spec: Any) -> bool:
    """MLflow logs params as text: ``"0.001"`` is the spec's ``1e-3``, ``"True"`` its ``true``."""
    text = logged.strip()
    if spec is None:
        return text in ("", "None", "null", "none")
    if isinstance(spec, bool):
        return text.lower() == str(spec).lower()
    if isinstance(spec, (int, float)):
        try:
            number = float(text)
        except ValueError:
            return False
        return math.isclose(number, float(spec), rel_tol=1e-9, abs_tol=0.0) or number == spec
    return text == str(spec).strip()
