"""The MLflow model registry as a ``model_store`` (infra.4, infra.6, infra.7, model.4, monitor.4).

:class:`MlflowModelStore` speaks the model-store protocol
(:class:`mltestscore.inputs.protocols.ModelStore`) over a registered model: ``list`` (versions with
``created_at`` and the source run's metrics), ``load``, ``serving_version``, ``promote``,
``rollback`` and ``roll_forward``, plus ``record_predictions``/``recorded_predictions``
(JSON artifacts of the version's run). The serving version is the alias ``serving``
(``candidate`` and ``previous`` are kept too); promotion and rollback move aliases and
append to the registered model's ``mltestscore.history`` tag, so the registry UI shows
what serves and every promotion is in its tags. Read-modify-write of that tag is not
atomic across processes: promote from one release job at a time.

**What a load trusts.** A version's files are read through a *codec*:

- :class:`TorchWeights` (the default for torch models): the state dict as
  ``model.safetensors`` (no pickle), loaded into a module the team builds
  (``build(version_params) -> nn.Module``): loading a version runs no code from the
  registry;
- :class:`MlflowFlavor`: ``mlflow.<flavor>.load_model``. MLflow's sklearn/pytorch/pyfunc
  flavours *unpickle*: loading a version executes whatever the registry holds, so it is
  only as safe as write access to the registry. It must be asked for with
  ``trust_registry=True``.

The embedded default (:func:`local_tracking_uri`) is a SQLite file in a directory, with
artifacts beside it: no server. A remote server is any ``http://`` tracking URI. Those
helpers, and the aliases, tags and artifact paths the store writes and reads back, are in
:mod:`.mlflow_registry` (re-exported here).
"""

from __future__ import annotations

import builtins
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.checks.integrations.mlflow_codecs import MlflowFlavor, StoreError, TorchWeights
from mltestscore.checks.integrations.mlflow_registry import (
    ARTIFACT_DIR,
    CANDIDATE,
    CREATED_TAG,
    HISTORY_TAG,
    PREVIOUS,
    SERVING,
    UNDONE_TAG,
    artifact_location,
    create_experiment,
    from_payload,
    local_tracking_uri,
    parse_time,
    predictions_path,
    predictions_payload,
    quoted,
    version_list,
)

__all__ = [
    "MlflowFlavor",
    "MlflowModelStore",
    "RegistryVersion",
    "StoreError",
    "TorchWeights",
    "artifact_location",
    "create_experiment",
    "local_tracking_uri",
]


@dataclass(frozen=True)
class RegistryVersion:
    """One registered version, as ``list()`` returns it."""

    version: int
    created_at: datetime
    metrics: dict[str, float]
    params: dict[str, str]
    run_id: str
    aliases: tuple[str, ...]
    serving: bool
    name: str
    tags: dict[str, str] = field(default_factory=dict)


class MlflowModelStore:
    """A registered model (or several) in an MLflow registry, as a model store."""

    def __init__(
        self,
        tracking_uri: str,
        name: str = "model",
        *,
        codec: TorchWeights | MlflowFlavor | Any,
        experiment: str = "mltestscore-models",
        registry_uri: str | None = None,
    ) -> None:
        from mlflow import MlflowClient

        self.tracking_uri = tracking_uri
        self.default_name = name
        self.codec = codec
        self.experiment = experiment
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)

    def __repr__(self) -> str:
        return f"MlflowModelStore({self.tracking_uri!r}, {self.default_name!r})"

    # -- writing versions ---------------------------------------------------------------
    def _experiment_id(self) -> str:
        return create_experiment(self.client, self.tracking_uri, self.experiment)

    def register(
        self,
        model: Any,
        *,
        name: str | None = None,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        created_at: datetime | None = None,
        run_id: str | None = None,
    ) -> int:
        """Save ``model`` through the codec into a run's artifacts and register it.

        ``run_id``: the training run (default: a new run holding ``metrics``/``params``).
        ``created_at`` overrides the registry's timestamp (tag ``mltestscore.created_at``),
        for histories imported from elsewhere. Returns the new version number.
        """
        name = name or self.default_name
        if run_id is None:
            run_id = self.client.create_run(self._experiment_id()).info.run_id
            for key, value in (params or {}).items():
                self.client.log_param(run_id, key, value)
            for key, number in (metrics or {}).items():
                self.client.log_metric(run_id, key, float(number))
            self.client.set_terminated(run_id)
        with tempfile.TemporaryDirectory(prefix="mltestscore-mlflow-") as tmp:
            folder = Path(tmp) / ARTIFACT_DIR
            folder.mkdir()
            self.codec.save(model, folder)
            self.client.log_artifacts(run_id, str(folder), ARTIFACT_DIR)
        try:
            self.client.get_registered_model(name)
        except Exception:  # RESOURCE_DOES_NOT_EXIST
            self.client.create_registered_model(name)
        source = f"{self.client.get_run(run_id).info.artifact_uri}/{ARTIFACT_DIR}"
        tags = {CREATED_TAG: created_at.isoformat()} if created_at is not None else None
        version = self.client.create_model_version(name, source, run_id=run_id, tags=tags)
        return int(version.version)

    # -- the protocol -------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(m.name for m in self.client.search_registered_models())

    def versions(self, name: str | None = None) -> list[int]:
        name = name or self.default_name
        found = self.client.search_model_versions(f"name='{quoted(name)}'")
        return sorted(int(v.version) for v in found)

    def list(self, name: str | None = None) -> list[RegistryVersion]:
        name = name or self.default_name
        serving = self.serving_version(name)
        aliases = dict(self.client.get_registered_model(name).aliases or {})
        out = []
        for mv in self.client.search_model_versions(f"name='{quoted(name)}'"):
            run = self.client.get_run(mv.run_id) if mv.run_id else None
            tags = dict(mv.tags or {})
            created = (
                parse_time(tags[CREATED_TAG])
                if CREATED_TAG in tags
                else datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC)
            )
            out.append(
                RegistryVersion(
                    version=int(mv.version),
                    created_at=created,
                    metrics=dict(run.data.metrics) if run else {},
                    params=dict(run.data.params) if run else {},
                    run_id=mv.run_id or "",
                    aliases=tuple(
                        sorted(a for a, v in aliases.items() if int(v) == int(mv.version))
                    ),
                    serving=int(mv.version) == serving,
                    name=name,
                    tags=tags,
                )
            )
        return sorted(out, key=lambda v: v.version)

    def _version(self, name: str, version: int) -> Any:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise StoreError(f"a version is an integer >= 1, got {version!r}")
        try:
            return self.client.get_model_version(name, str(version))
        except Exception as exc:
            raise StoreError(f"{name!r} has no version {version} in the registry: {exc}") from None

    def load(self, name: str | None = None, version: int | None = None) -> Any:
        """The model of ``version`` (default: serving, else latest), through the codec."""
        name = name or self.default_name
        if version is None:
            found = self.versions(name)
            if not found:
                raise StoreError(f"no versions of {name!r} in the registry")
            version = self.serving_version(name) or found[-1]
        mv = self._version(name, version)
        params = dict(self.client.get_run(mv.run_id).data.params) if mv.run_id else {}
        with tempfile.TemporaryDirectory(prefix="mltestscore-mlflow-") as tmp:
            local = self.client.download_artifacts(mv.run_id, ARTIFACT_DIR, tmp)
            return self.codec.load(Path(local), params)

    def _alias(self, name: str, alias: str) -> int | None:
        try:
            return int(self.client.get_model_version_by_alias(name, alias).version)
        except Exception:  # no such alias (or no such model)
            return None

    def serving_version(self, name: str | None = None) -> int | None:
        return self._alias(name or self.default_name, SERVING)

    def candidate_version(self, name: str | None = None) -> int | None:
        return self._alias(name or self.default_name, CANDIDATE)

    def set_candidate(self, name: str, version: int) -> None:
        self._version(name, version)
        self.client.set_registered_model_alias(name, CANDIDATE, str(version))

    def _state(self, name: str) -> tuple[builtins.list[int], builtins.list[int]]:
        tags = self.client.get_registered_model(name).tags or {}
        return version_list(tags.get(HISTORY_TAG)), version_list(tags.get(UNDONE_TAG))

    def _serve(
        self, name: str, version: int, history: builtins.list[int], undone: builtins.list[int]
    ) -> None:
        current = self.serving_version(name)
        self.client.set_registered_model_alias(name, SERVING, str(version))
        if current is not None and current != version:
            self.client.set_registered_model_alias(name, PREVIOUS, str(current))
        self.client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history[-200:]))
        self.client.set_registered_model_tag(name, UNDONE_TAG, json.dumps(undone[-200:]))

    def promote(self, name: str, version: int) -> None:
        """Serve ``version`` (alias ``serving``; the version it replaces becomes ``previous``)."""
        self._version(name, version)
        history, undone = self._state(name)
        if self.serving_version(name) != version:
            history, undone = [*history, version], []
        self._serve(name, version, history, undone)
        if self.candidate_version(name) == version:
            self.client.delete_registered_model_alias(name, CANDIDATE)

    def rollback(self, name: str | None = None) -> int:
        """Serve the version that served before the current one; returns it."""
        name = name or self.default_name
        current = self.serving_version(name)
        if current is None:
            raise StoreError(f"{name!r} has no serving version to roll back from")
        existing = set(self.versions(name))
        history, undone = self._state(name)
        history = [v for v in history if v in existing]
        while history and history[-1] == current:
            history.pop()
        if not history:
            lower = [v for v in existing if v < current]
            if not lower:
                raise StoreError(f"{name!r} cannot roll back: no version before {current}")
            history.append(max(lower))
        previous = history[-1]
        self._serve(name, previous, history, [*undone, current])
        return previous

    def roll_forward(self, name: str | None = None) -> int:
        """Undo the last :meth:`rollback`; returns the version serving again."""
        name = name or self.default_name
        history, undone = self._state(name)
        if not undone:
            raise StoreError(f"{name!r} has no rollback to undo")
        version = undone.pop()
        self._version(name, version)
        self._serve(name, version, [*history, version], undone)
        return version

    # -- recorded canary outputs (JSON artifacts of the version's run) -----------------------
    def record_predictions(
        self, name: str, version: int, inputs_id: str, predictions: Sequence[Any] | np.ndarray
    ) -> None:
        payload = predictions_payload(inputs_id, predictions)
        run_id = self._version(name, version).run_id
        self.client.log_text(run_id, json.dumps(payload), predictions_path(inputs_id))

    def recorded_predictions(self, name: str, version: int, inputs_id: str) -> Any:
        run_id = self._version(name, version).run_id
        with tempfile.TemporaryDirectory(prefix="mltestscore-mlflow-") as tmp:
            try:
                local = self.client.download_artifacts(run_id, predictions_path(inputs_id), tmp)
            except Exception:  # nothing recorded for these inputs
                return None
            raw = json.loads(Path(local).read_text(encoding="utf-8"))
        return from_payload(raw, f"{name!r} v{version}")
