"""Define the standard ``ml_*`` fixtures from ``ml_lightning_module`` (+ ``ml_datamodule``).

In a team's ``conftest.py``::

    import pytest
    from mltestscore.checks.integrations.lightning_fixtures import lightning_fixtures

    @pytest.fixture(scope="session")
    def ml_lightning_module():
        return MyModule  # a LightningModule class, factory or (untrained) instance

    @pytest.fixture(scope="session")
    def ml_datamodule():
        return MyDataModule

    lightning_fixtures(globals(), pytest.fixture, train_steps=300)

This module never imports pytest: the caller hands over ``pytest.fixture``. A fixture
is defined only where the namespace has no attribute of that name yet, and a team's
own fixture defined *after* the call replaces it: explicit ``ml_*`` fixtures win.

Defined (see :class:`~.lightning_adapter.LightningInputs` for what each holds):
``ml_lightning_inputs``; ``ml_model`` (a fresh module trained ``train_steps`` steps
with ``seed``); ``ml_infra2_model`` (a fresh, untrained module: the spec under the smoke
suite), ``ml_batch``, ``ml_loss_fn``, ``ml_optimizer``, ``ml_data`` and
``ml_smoke_options`` (``{"train_step": ...}``: infra.2 runs the suite through the module's
own ``training_step``; not ``ml_train_step``, monitor.6's zero-argument timing step);
``ml_train_fn`` (infra.1); ``ml_pipeline`` (infra.3); ``ml_eval_data``, ``ml_example``
and ``ml_canary_inputs``.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from mltestscore.checks.integrations.lightning_adapter import LightningInputs

CANARY_ROWS = 8
TRAIN_STEPS = 200
FIT_STEPS = 30

# The inputs derived from a LightningInputs, by input name (``ml_<name>``), besides the
# trained ``ml_model``. The conftest helper below defines them as fixtures; the plugin's
# input provider (:mod:`.lightning_provider`) answers from the same table.
DERIVED: dict[str, Callable[[LightningInputs, int], Any]] = {
    "infra2_model": lambda inputs, seed: inputs.smoke_inputs()["model"],
    "batch": lambda inputs, seed: inputs.batch(),
    "loss_fn": lambda inputs, seed: inputs.smoke_inputs()["loss_fn"],
    "optimizer": lambda inputs, seed: inputs.smoke_inputs()["optimizer"],
    "smoke_options": lambda inputs, seed: {"train_step": inputs.smoke_inputs()["train_step"]},
    "data": lambda inputs, seed: inputs.data(),
    "train_fn": lambda inputs, seed: inputs.fit,
    "pipeline": lambda inputs, seed: inputs.pipeline(seed),
    "eval_data": lambda inputs, seed: inputs.eval_data(),
    "example": lambda inputs, seed: inputs.example(),
    "canary_inputs": lambda inputs, seed: inputs.eval_data()[0][:CANARY_ROWS],
}


def _optional(request: Any, name: str) -> Any:
    try:
        return request.getfixturevalue(name)
    except LookupError:  # pytest's FixtureLookupError: the team did not define it
        return None


def _derived_fixture(name: str, seed: int) -> Callable[[LightningInputs], Any]:
    def derived(ml_lightning_inputs: LightningInputs) -> Any:
        return DERIVED[name](ml_lightning_inputs, seed)

    derived.__name__ = f"ml_{name}"
    return derived


def lightning_fixtures(
    namespace: MutableMapping[str, Any],
    fixture: Callable[..., Any],
    *,
    scope: str = "session",
    train_steps: int = TRAIN_STEPS,
    fit_steps: int = FIT_STEPS,
    seed: int = 0,
    eval_rows: int = 512,
) -> list[str]:
    """Define the fixtures in ``namespace`` (a conftest's ``globals()``); returns their names.

    ``train_steps``: steps of the model under test (``ml_model``); ``fit_steps``: steps of
    each ``train_fn(seed)`` run (infra.1) and of the pipeline's train stage (infra.3).
    """

    def ml_lightning_inputs(request: Any) -> LightningInputs:
        module = request.getfixturevalue("ml_lightning_module")
        datamodule = _optional(request, "ml_datamodule")
        return LightningInputs(module, datamodule, max_steps=fit_steps, eval_rows=eval_rows)

    def ml_model(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.fit(seed, max_steps=train_steps)

    defined = []
    fixtures = [ml_lightning_inputs, ml_model, *(_derived_fixture(n, seed) for n in DERIVED)]
    for fn in fixtures:
        name = fn.__name__
        if name in namespace:
            continue
        namespace[name] = fixture(scope=scope, name=name)(fn)
        defined.append(name)
    return defined
