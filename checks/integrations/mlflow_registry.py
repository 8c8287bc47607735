"""Where an MLflow registry lives, and how the model store writes into it.

- :func:`local_tracking_uri`, :func:`artifact_location`, :func:`create_experiment`: an
  embedded SQLite tracking store and registry in a directory, artifacts beside it (no
  server), and experiments created there;
- the names the store reads back — aliases (``serving``, ``candidate``, ``previous``), the
  registered model's tags (``mltestscore.history``, ``mltestscore.undone``), a version's
  ``mltestscore.created_at`` tag and the run artifacts of its model and recorded
  predictions — and the validated parsing of each.

Used by :class:`~.mlflow_store.MlflowModelStore`, which re-exports the public names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.checks.integrations.mlflow_codecs import StoreError

__all__ = [
    "ARTIFACT_DIR",
    "CANDIDATE",
    "CREATED_TAG",
    "HISTORY_TAG",
    "PREVIOUS",
    "SERVING",
    "UNDONE_TAG",
    "artifact_location",
    "create_experiment",
    "from_payload",
    "local_tracking_uri",
    "parse_time",
    "predictions_path",
    "predictions_payload",
    "quoted",
    "version_list",
]

SERVING, CANDIDATE, PREVIOUS = "serving", "candidate", "previous"
HISTORY_TAG, UNDONE_TAG = "mltestscore.history", "mltestscore.undone"
CREATED_TAG = "mltestscore.created_at"
ARTIFACT_DIR = "model"


def local_tracking_uri(directory: str | Path) -> str:
    """``sqlite:///<directory>/mlflow.db``: an embedded tracking store and registry.

    Create experiments with ``artifact_location=artifact_location(uri)`` (as
    :class:`MlflowModelStore` does) so artifacts land in ``<directory>/artifacts``, not in
    ``./mlruns`` of the working directory.
    """
    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def artifact_location(tracking_uri: str, experiment: str) -> str | None:
    """Where an experiment's artifacts go for a local SQLite store (``None``: the server's)."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    folder = Path(tracking_uri[len("sqlite:///") :]).parent / "artifacts" / experiment
    return folder.as_uri()


def create_experiment(client: Any, tracking_uri: str, name: str) -> str:
    """The id of experiment ``name``, created (artifacts beside a local store) if missing."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(client.create_experiment(name, artifact_location(tracking_uri, name)))


def predictions_path(inputs_id: str) -> str:
    """The run artifact that holds a version's outputs on ``inputs_id``."""
    if not inputs_id.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"inputs_id {inputs_id!r} must be letters, digits, '_', '-' or '.'")
    return f"mltestscore/predictions/{inputs_id}.json"


def quoted(name: str) -> str:
    """``name`` inside a single-quoted search filter."""
    return name.replace("'", "\\'")


def version_list(raw: str | None) -> list[int]:
    """The version numbers of a history tag (a JSON list); StoreError when malformed."""
    if not raw:
        return []
    try:
        values = json.loads(raw)
    except ValueError:
        raise StoreError(f"malformed registry tag (expected a JSON list): {raw[:80]!r}") from None
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        raise StoreError(f"malformed registry tag (expected version numbers): {raw[:80]!r}")
    return list(values)


def parse_time(text: str) -> datetime:
    """An ISO date-time from a tag, UTC when it names no zone."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def predictions_payload(inputs_id: str, predictions: Sequence[Any] | np.ndarray) -> dict[str, Any]:
    """Outputs as a JSON object: numbers with their dtype and shape, others as a list."""
    values = np.asarray(predictions)
    return {
        "inputs_id": inputs_id,
        "dtype": values.dtype.str if values.dtype.kind in "biuf" else "str",
        "shape": list(values.shape),
        "predictions": values.tolist() if values.dtype.kind in "biuf" else list(predictions),
    }


def from_payload(raw: Any, where: str) -> Any:
    """The outputs of a :func:`predictions_payload` read back (list or array)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("predictions"), list):
        raise StoreError(f"malformed recorded predictions for {where}")
    if raw.get("dtype", "str") == "str":
        return list(raw["predictions"])
    return np.asarray(raw["predictions"], dtype=np.dtype(raw["dtype"])).reshape(raw["shape"])
