"""Derive the checks' inputs from ``ml_lightning_module`` (+ ``ml_datamodule``) alone.

Registered as an input provider (:mod:`mltestscore.providers`) when the checks load: for
an input no fixture gives, the plugin asks it, and it answers from the team's
``LightningModule`` through :class:`~.lightning_adapter.LightningInputs` — the same
values :func:`~.lightning_fixtures.lightning_fixtures` defines as fixtures. infra.2 gets
a fresh, untrained module (the spec under the smoke suite), every other check the module
trained ``TRAIN_STEPS`` steps. lightning is imported only when a team defines
``ml_lightning_module``. One :class:`LightningInputs` per (module, datamodule) pair is
kept for the run, so the model is trained once.
"""

from __future__ import annotations

from typing import Any

from mltestscore.checks.integrations.lightning_fixtures import DERIVED, FIT_STEPS, TRAIN_STEPS
from mltestscore.providers import Lookup, register_input_provider

SEED = 0

_CACHE: dict[tuple[int, int], Any] = {}
_MODELS: dict[tuple[int, int], Any] = {}


def _inputs(lookup: Lookup) -> tuple[tuple[int, int], Any] | None:
    found, module = lookup("ml_lightning_module")
    if not found:
        return None
    _, datamodule = lookup("ml_datamodule")
    key = (id(module), id(datamodule))
    if key not in _CACHE:
        from mltestscore.checks.integrations.lightning_adapter import LightningInputs

        _CACHE[key] = (module, datamodule, LightningInputs(module, datamodule, max_steps=FIT_STEPS))
    return key, _CACHE[key][2]


def _trained(key: tuple[int, int], inputs: Any) -> Any:
    if key not in _MODELS:
        _MODELS[key] = inputs.fit(SEED, max_steps=TRAIN_STEPS)
    return _MODELS[key]


def lightning_module_inputs(test_id: str, name: str, lookup: Lookup) -> tuple[bool, Any]:
    """(found, value) for input ``name`` of check ``test_id``, from ``ml_lightning_module``."""
    if name != "model" and name not in DERIVED:
        return False, None
    derived = _inputs(lookup)
    if derived is None:
        return False, None
    key, inputs = derived
    if name == "model":
        if test_id == "infra.2":  # the spec under the smoke suite: a fresh module
            return True, DERIVED["infra2_model"](inputs, SEED)
        return True, _trained(key, inputs)
    return True, DERIVED[name](inputs, SEED)


register_input_provider(lightning_module_inputs)
