"""``typing.Protocol``s for the duck-typed inputs a team hands over.

The checks read these objects leniently (by the methods they call); the protocols
write that contract down once, for type checkers and for ``isinstance`` (each is
``@runtime_checkable``, which tests that the methods exist, not their signatures).

- :class:`ModelStore` — a versioned model store: ``list``, ``load``,
  ``serving_version``, ``promote``, ``rollback`` (infra.4, infra.6, infra.7,
  model.4, monitor.4); :class:`RecordsPredictions` adds recorded canary outputs.
  Implemented by :class:`mltestscore.reference_model.store.ModelStore` and
  :class:`mltestscore.checks.integrations.mlflow_store.MlflowModelStore`.
- :class:`StoreVersion` — one entry of ``ModelStore.list`` that carries its
  ``version`` and ``created_at`` (the checks also accept plain ints and mappings).
- :class:`Predictor`, :class:`ProbabilisticPredictor` — scikit-learn-style models;
  :data:`ModelLike` — what :func:`mltestscore.inputs.predict.predict` accepts.
- :class:`SupportsStateDict` — a model whose weights can be read and restored.
- :class:`TrainFn` — ``train_fn(seed) -> model`` (infra.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable


@runtime_checkable
class StoreVersion(Protocol):
    """A model-store version entry: its number and when it was made."""

    @property
    def version(self) -> int: ...

    @property
    def created_at(self) -> dt.datetime | str: ...


@runtime_checkable
class ModelStore(Protocol):
    """A versioned model store with a serving version, promotion and rollback.

    ``list(name)`` returns the versions of model ``name`` (:class:`StoreVersion`
    objects, ints, or mappings with ``"version"``); ``load(name, version)`` a model or a
    ``(model, metadata)`` pair; ``serving_version(name)`` the version now served
    (``None`` when none is promoted); ``promote(name, version)`` makes ``version``
    serve; ``rollback(name)`` serves the previous one and returns it. Implementations
    may give ``name`` a default (the store's only model).
    """

    def list(self, name: str) -> Sequence[Any]: ...

    def load(self, name: str, version: int) -> Any: ...

    def serving_version(self, name: str) -> int | None: ...

    def promote(self, name: str, version: int) -> None: ...

    def rollback(self, name: str) -> int: ...


@runtime_checkable
class RecordsPredictions(Protocol):
    """A store that keeps each version's outputs on named inputs (infra.7's canaries)."""

    def record_predictions(
        self, name: str, version: int, inputs_id: str, predictions: Any
    ) -> object: ...

    def recorded_predictions(self, name: str, version: int, inputs_id: str) -> Any: ...


@runtime_checkable
class Predictor(Protocol):
    """A scikit-learn-style model: ``predict(X) -> predictions``."""

    def predict(self, X: Any) -> Any: ...


@runtime_checkable
class ProbabilisticPredictor(Predictor, Protocol):
    """A classifier that also gives class probabilities: ``predict_proba(X) -> (N, C)``."""

    def predict_proba(self, X: Any) -> Any: ...


@runtime_checkable
class SupportsStateDict(Protocol):
    """A model whose weights can be read and restored (a ``torch.nn.Module``)."""

    def state_dict(self) -> Mapping[str, Any]: ...

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any: ...


@runtime_checkable
class TrainFn(Protocol):
    """``train_fn(seed) -> model``: one training run on the fast subset, seeded."""

    def __call__(self, seed: int) -> Any: ...


ModelLike: TypeAlias = Predictor | Callable[..., Any]
"""A model the predict adapter can call: an estimator, a ``torch.nn.Module`` or a callable."""

__all__ = [
    "ModelLike",
    "ModelStore",
    "Predictor",
    "ProbabilisticPredictor",
    "RecordsPredictions",
    "StoreVersion",
    "SupportsStateDict",
    "TrainFn",
]
