"""A ``LightningModule`` (+ ``LightningDataModule``) as the inputs the checks take.

:class:`LightningInputs` derives, from the objects a Lightning team already has:

- the smoke suite's inputs, run **through the module's own** ``training_step`` and
  ``configure_optimizers`` (:meth:`~LightningInputs.smoke_inputs`): ``train_step`` in the
  signature of :data:`mltestscore.checks.smoke.loop.TrainStep`, an optimizer factory that
  rebuilds what ``configure_optimizers`` returns over the parameters it is handed (param
  groups kept), one batch from ``train_dataloader()``, the train/val datasets, and the
  module's own loss (``self.loss_fn``/``self.criterion``) as ``loss_fn``;
- ``train_fn(seed)`` for infra.1: a short ``Trainer`` run (``max_steps``, CPU,
  deterministic, no logger/checkpoints) of a fresh module on the datamodule;
- the infra.3 pipeline ``data → train → evaluate → export → load → predict`` (export:
  safetensors weights; load: a fresh module + ``load_state_dict``: no pickle);
- ``eval_data`` (``(X, y)`` from the val/test loader) and ``example`` for model.*,
  infra.5 and monitor.5; predictions are the module's ``forward``.

How the module's ``training_step`` runs without a ``Trainer`` in the smoke suite: see
:mod:`.lightning_step`.

``module`` and ``datamodule`` are instances or zero-argument factories (a class, a
function); with an instance, ``train_fn`` trains deep copies of it as handed over.
lightning is the extra ``lightning``; it is imported only by the methods that run a
``Trainer``.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mltestscore.checks.integrations.lightning_step import (
    is_lightning_module,
    module_loss_fn,
    optimizer_factory,
    split_batch,
    training_step_adapter,
)


class LightningInputs:
    """The check inputs derived from a LightningModule and (optionally) its DataModule."""

    def __init__(
        self,
        module: Any,
        datamodule: Any = None,
        *,
        max_steps: int = 30,
        eval_rows: int = 512,
        accelerator: str = "cpu",
    ) -> None:
        self._module, self._datamodule = module, datamodule
        self.max_steps, self.eval_rows, self.accelerator = max_steps, eval_rows, accelerator
        self._dm: Any = None

    # -- fresh objects ------------------------------------------------------------------
    def new_module(self) -> Any:
        if is_lightning_module(self._module):
            return copy.deepcopy(self._module)
        module = self._module()
        if not is_lightning_module(module):
            raise TypeError(f"module factory returned {type(module).__name__}, no LightningModule")
        return module

    def new_datamodule(self) -> Any:
        if self._datamodule is None:
            raise ValueError("no LightningDataModule: define ml_datamodule (or ml_batch/ml_data)")
        dm = self._datamodule() if isinstance(self._datamodule, type) else self._datamodule
        if callable(dm) and not hasattr(dm, "train_dataloader"):
            dm = dm()
        return copy.deepcopy(dm) if dm is self._datamodule else dm

    @property
    def module(self) -> Any:
        """The module as handed over (an instance; built once from a factory)."""
        if not is_lightning_module(self._module):
            self._module = self._module()
        return self._module

    @property
    def datamodule(self) -> Any:
        """The datamodule, set up for ``fit`` once."""
        if self._dm is None:
            dm = self.new_datamodule()
            dm.prepare_data()
            dm.setup("fit")
            self._dm = dm
        return self._dm

    # -- the smoke suite ----------------------------------------------------------------
    def batch(self) -> tuple[Any, Any]:
        inputs, targets = split_batch(next(iter(self.datamodule.train_dataloader())))
        return inputs, targets

    def data(self) -> dict[str, Any]:
        return {
            "train": self.datamodule.train_dataloader().dataset,
            "val": self.datamodule.val_dataloader().dataset,
        }

    def smoke_inputs(self) -> dict[str, Any]:
        """Keyword arguments for ``smoke.run(model, batch, loss_fn, **rest)``."""
        module = self.module
        inputs: dict[str, Any] = {
            "model": module,
            "loss_fn": module_loss_fn(module),
            "optimizer": optimizer_factory(module),
            "train_step": training_step_adapter(module_loss_fn(module)),
        }
        if self._datamodule is not None:
            inputs["batch"] = self.batch()
            inputs["data"] = self.data()
        return inputs

    # -- training -------------------------------------------------------------------------
    def trainer(self, **overrides: Any) -> Any:
        import lightning

        settings: dict[str, Any] = {
            "max_steps": self.max_steps,
            "accelerator": self.accelerator,
            "devices": 1,
            "deterministic": True,
            "logger": False,
            "enable_checkpointing": False,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "num_sanity_val_steps": 0,
            "limit_val_batches": 0,
        }
        settings.update(overrides)
        return lightning.Trainer(**settings)

    def fit(self, seed: int, datamodule: Any = None, *, max_steps: int | None = None) -> Any:
        """A fresh module trained ``max_steps`` steps (default: the fast run's) with ``seed``."""
        import lightning

        steps = self.max_steps if max_steps is None else max_steps
        with _torch_settings_kept(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lightning.seed_everything(seed, workers=True, verbose=False)
            module = self.new_module()
            trainer = self.trainer(max_steps=steps)
            trainer.fit(module, datamodule=datamodule or self.new_datamodule())
        module.eval()
        return module

    def train_fn(self) -> Callable[[int], Any]:
        return self.fit

    # -- evaluation data and predictions --------------------------------------------------
    def eval_data(self) -> tuple[Any, Any]:
        """``(X, y)`` tensors from the test loader (else val), up to ``eval_rows`` rows."""
        import torch

        dm = self.datamodule
        loader = None
        try:
            dm.setup("test")
            loader = dm.test_dataloader()
        except Exception:  # no test split: the validation split
            loader = dm.val_dataloader()
        xs, ys, rows = [], [], 0
        for batch in loader:
            x, y = split_batch(batch)
            xs.append(x)
            ys.append(y)
            rows += len(y)
            if rows >= self.eval_rows:
                break
        return torch.cat(xs)[: self.eval_rows], torch.cat(ys)[: self.eval_rows]

    def example(self) -> Any:
        return self.batch()[0][:1]

    # -- the infra.3 pipeline -------------------------------------------------------------
    def pipeline(self, seed: int = 0) -> dict[str, Callable[..., Any]]:
        """``data → train → evaluate → export → load → predict`` on the fast subset."""

        def data() -> Any:
            dm = self.new_datamodule()
            dm.prepare_data()
            dm.setup("fit")
            return dm

        def train(data: Any) -> Any:
            return self.fit(seed, data)

        def evaluate(train: Any, data: Any) -> dict[str, float]:
            with _torch_settings_kept(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results = self.trainer(limit_val_batches=1.0).validate(
                    train, dataloaders=data.val_dataloader(), verbose=False
                )
            return {k: float(v) for k, v in (results[0] if results else {}).items()}

        def export(train: Any, workdir: Path) -> Path:
            from safetensors.torch import save_file

            path = Path(workdir) / "model.safetensors"
            state = {k: v.detach().cpu().contiguous() for k, v in train.state_dict().items()}
            save_file(state, str(path))
            return path

        def load(export: Path) -> Any:
            from safetensors.torch import load_file

            module = self.new_module()
            module.load_state_dict(load_file(str(export)))
            module.eval()
            return module

        def predict(load: Any, data: Any) -> Any:
            import torch

            x, _ = split_batch(next(iter(data.val_dataloader())))
            with torch.no_grad():
                return load(x).detach().cpu().numpy()

        return {
            "data": data,
            "train": train,
            "evaluate": evaluate,
            "export": export,
            "load": load,
            "predict": predict,
        }


#: Check inputs a LightningModule (+ DataModule) provides, by parameter name, for checks
#: whose own ``ml_<name>`` fixture is missing (the plugin's fallback; see :func:`derive`).
DERIVED_INPUTS = (
    "train_fn",
    "pipeline",
    "batch",
    "loss_fn",
    "optimizer",
    "data",
    "smoke_options",
    "example",
    "eval_data",
    "canary_inputs",
)


def derive(inputs: LightningInputs, name: str) -> Any:
    """The value of check input ``name`` derived from the module (``KeyError`` if none).

    ``model`` is not derived here: infra.2 wants the untrained module
    (``inputs.module``), the other checks a trained one (``inputs.fit(seed, ...)``);
    the caller decides which one a check gets.
    """
    if name == "train_fn":
        return inputs.fit
    if name == "pipeline":
        return inputs.pipeline()
    if name in ("batch", "data"):
        return inputs.batch() if name == "batch" else inputs.data()
    if name in ("loss_fn", "optimizer"):
        return inputs.smoke_inputs()[name]
    if name == "smoke_options":
        return {"train_step": inputs.smoke_inputs()["train_step"]}
    if name == "example":
        return inputs.example()
    if name in ("eval_data", "canary_inputs"):
        x, y = inputs.eval_data()
        return (x, y) if name == "eval_data" else x[:8]
    raise KeyError(f"no {name!r} derived from a LightningModule; define ml_{name}")


@contextlib.contextmanager
def _torch_settings_kept() -> Iterator[None]:
    """``Trainer(deterministic=True)`` switches torch's deterministic algorithms on for the
    whole process: the caller's setting comes back afterwards."""
    import torch

    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
