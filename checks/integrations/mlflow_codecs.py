"""How a registered version's files become a model: the codecs of the MLflow store.

- :class:`TorchWeights`: the state dict as ``model.safetensors`` (no pickle), loaded into a
  module the team builds (``build(version_params) -> nn.Module``): loading a version runs
  no code from the registry;
- :class:`MlflowFlavor`: ``mlflow.<flavor>.save_model``/``load_model``. MLflow's
  sklearn/pytorch/pyfunc flavours *unpickle*: loading a version executes whatever the
  registry holds, so it is only as safe as write access to the registry. It must be asked
  for with ``trust_registry=True``.

A codec is any object with ``save(model, directory)`` and ``load(directory, params)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


class StoreError(Exception):
    """A registry operation cannot be done (unknown version, nothing to roll back to, …)."""


class TorchWeights:
    """Safetensors weights in, a module built by the team out: no pickle either way."""

    def __init__(self, build: Callable[[Mapping[str, str]], Any]) -> None:
        self.build = build

    def save(self, model: Any, directory: Path) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(directory / "model.safetensors"))

    def load(self, directory: Path, params: Mapping[str, str]) -> Any:
        from safetensors.torch import load_file

        model = self.build(params)
        model.load_state_dict(load_file(str(directory / "model.safetensors")))
        model.eval()
        return model


class MlflowFlavor:
    """``mlflow.<flavor>.save_model``/``load_model``: unpickles, see the module docstring."""

    def __init__(self, flavor: str = "sklearn", *, trust_registry: bool = False) -> None:
        if not trust_registry:
            raise StoreError(
                f"mlflow.{flavor}.load_model unpickles the registry's files: loading a version "
                "runs code from the registry. Pass trust_registry=True only when writing to "
                "the registry is as restricted as writing to your code; else use TorchWeights"
            )
        self.flavor = flavor

    def _module(self) -> Any:
        import importlib

        return importlib.import_module(f"mlflow.{self.flavor}")

    def save(self, model: Any, directory: Path) -> None:
        self._module().save_model(model, str(directory / "flavor"))

    def load(self, directory: Path, params: Mapping[str, str]) -> Any:
        return self._module().load_model(str(directory / "flavor"))
