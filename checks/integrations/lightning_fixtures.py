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


def _optional(request: Any, name: str) -> Any:
    try:
        return request.getfixturevalue(name)
    except LookupError:  # pytest's FixtureLookupError: the team did not define it
        return None


def lightning_fixtures(
    namespace: MutableMapping[str, Any],
    fixture: Callable[..., Any],
    *,
    scope: str = "session",
    train_steps: int = 200,
    fit_steps: int = 30,
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

    def ml_infra2_model(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.smoke_inputs()["model"]

    def ml_batch(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.batch()

    def ml_loss_fn(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.smoke_inputs()["loss_fn"]

    def ml_optimizer(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.smoke_inputs()["optimizer"]

    def ml_smoke_options(ml_lightning_inputs: LightningInputs) -> Any:
        return {"train_step": ml_lightning_inputs.smoke_inputs()["train_step"]}

    def ml_data(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.data()

    def ml_train_fn(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.fit

    def ml_pipeline(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.pipeline(seed)

    def ml_eval_data(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.eval_data()

    def ml_example(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.example()

    def ml_canary_inputs(ml_lightning_inputs: LightningInputs) -> Any:
        return ml_lightning_inputs.eval_data()[0][:CANARY_ROWS]

    defined = []
    for fn in (
        ml_lightning_inputs, ml_model, ml_infra2_model, ml_batch, ml_loss_fn, ml_optimizer,
        ml_smoke_options, ml_data, ml_train_fn, ml_pipeline, ml_eval_data, ml_example,
        ml_canary_inputs,
    ):  # fmt: skip
        name = fn.__name__
        if name in namespace:
            continue
        namespace[name] = fixture(scope=scope, name=name)(fn)
        defined.append(name)
    return defined
