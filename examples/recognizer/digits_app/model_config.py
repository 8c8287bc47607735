"""The model spec: ``config.toml`` read into the reference recognizer's configuration.

The TOML names a preset of :mod:`mltestscore.reference_model.config` and overrides
its model, training and data settings. Unknown keys are an error (a typo in a
reviewed spec must not be silently ignored). Training has no wall-clock budget
here: a fixed number of steps keeps the trained model the same on a fast and on
a loaded machine (infra.1, monitor.7).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.reference_model.config import RecognizerConfig, get_config

SPEC = Path(__file__).with_name("config.toml")
MODEL_KEYS = {"channels", "hidden", "dropout"}
TRAINING_KEYS = {"batch_size", "lr", "weight_decay", "max_epochs", "patience"}
DATA_KEYS = {"seed", "train_size", "val_size", "test_size", "max_length", "noise"}


@dataclass(frozen=True)
class AppConfig:
    """The recognizer configuration and the training seed of one release."""

    recognizer: RecognizerConfig
    seed: int
    source: str

    @property
    def name(self) -> str:
        return self.recognizer.name


def _table(document: dict[str, Any], key: str, allowed: set[str], where: Path) -> dict[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        raise ValueError(f"{where}: [{key}] must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) in [{key}]: {', '.join(unknown)}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}


def load_config(path: Path = SPEC) -> AppConfig:
    """Read the spec at ``path`` into an :class:`AppConfig`."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    unknown = sorted(set(document) - {"preset", "seed", "model", "training", "data"})
    if unknown:
        raise ValueError(f"{path}: unknown top-level key(s): {', '.join(unknown)}")
    base = get_config(str(document.get("preset", "tiny")))
    changes = _table(document, "model", MODEL_KEYS, path)
    changes |= _table(document, "training", TRAINING_KEYS, path)
    data = _table(document, "data", DATA_KEYS, path)
    config = base.replace(name=f"digits-{base.name}", max_seconds=None, data=data, **changes)
    return AppConfig(config, int(document.get("seed", 0)), str(path))
