"""The model store as the infra checks read it (infra.4, infra.7), leniently.

The contract is written down once as :class:`mltestscore.inputs.protocols.ModelStore`:
``list(name)`` (versions: ints, objects with ``.version`` or mappings with
``"version"``), ``load(name, version)`` (a model, or a ``(model, metadata)`` pair as
:class:`mltestscore.reference_model.store.ModelStore` returns), ``serving_version(name)``,
``promote(name, version)`` and ``rollback(name)``; optionally ``record_predictions`` /
``recorded_predictions`` (:class:`~mltestscore.inputs.protocols.RecordsPredictions`).
Each check asks only for the methods it calls (:func:`require_methods`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from mltestscore.inputs.arrays import is_torch_module


def require_methods(store: object, methods: Sequence[str], what: str = "model_store") -> None:
    missing = [m for m in methods if not callable(getattr(store, m, None))]
    if missing:
        raise TypeError(
            f"{what} ({type(store).__name__}) lacks {', '.join(m + '()' for m in missing)}; "
            "expected the model-store protocol: list(name), load(name, version), "
            "serving_version(name), promote(name, version), rollback(name)"
        )


def resolve_name(store: Any, name: str | None) -> str:
    """The model name to use: the threshold when set, else the store's only/default name."""
    if name:
        return name
    for attr in ("default_name", "name"):
        value = getattr(store, attr, None)
        if isinstance(value, str) and value:
            return value
    names_fn = getattr(store, "names", None)
    if callable(names_fn):
        names = list(names_fn())
        if len(names) == 1:
            return str(names[0])
        raise ValueError(
            f"model_store holds {len(names)} model names {names[:10]}; set the check's "
            "model_name threshold to the one to check"
        )
    default = _default_name_parameter(store)
    if default:
        return default
    raise ValueError(
        "model_store: cannot tell which model name to use; set the check's model_name "
        'threshold (e.g. [tool.mltestscore.thresholds."infra.7"] model_name = "recognizer")'
    )


def _default_name_parameter(store: Any) -> str | None:
    """The default of ``store.list``'s ``name`` parameter (``list(name="recognizer")``)."""
    try:
        parameter = inspect.signature(store.list).parameters.get("name")
    except (TypeError, ValueError, AttributeError):
        return None
    if parameter is None or not isinstance(parameter.default, str):
        return None
    return parameter.default or None


def version_of(entry: object) -> int:
    if isinstance(entry, bool):
        raise TypeError(f"model_store.list(): bad version entry {entry!r}")
    if isinstance(entry, int):
        return entry
    if isinstance(entry, Mapping) and "version" in entry:
        return int(entry["version"])
    version = getattr(entry, "version", None)
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    raise TypeError(
        f"model_store.list(): expected version numbers or entries with a .version, got "
        f"{type(entry).__name__}"
    )


def list_versions(store: Any, name: str) -> list[tuple[int, Any]]:
    """``(version, entry)`` pairs sorted by version."""
    entries = list(store.list(name))
    return sorted(((version_of(e), e) for e in entries), key=lambda pair: pair[0])


def entry_summary(version: int, entry: object, serving: int | None) -> dict[str, Any]:
    created = (
        entry.get("created_at")
        if isinstance(entry, Mapping)
        else getattr(entry, "created_at", None)
    )
    return {
        "version": version,
        "created_at": None if created is None else str(created),
        "serving": version == serving,
    }


def serving_version(store: Any, name: str) -> int | None:
    value = store.serving_version(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"model_store.serving_version({name!r}) returned {value!r}, not an int")
    return value


def _model_like(value: object) -> bool:
    return is_torch_module(value) or hasattr(value, "predict") or callable(value)


def unwrap_loaded(loaded: object) -> object:
    """The model out of ``load()``'s result (a ``(model, metadata)`` pair or the model)."""
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 2
        and _model_like(loaded[0])
        and not _model_like(loaded[1])
    ):
        return loaded[0]
    return loaded


def load_model(store: Any, name: str, version: int) -> object:
    model = unwrap_loaded(store.load(name, version))
    if model is None:
        raise ValueError(f"model_store.load({name!r}, {version}) returned no model")
    return model


def serving_model(store: Any, model_name: str) -> tuple[object | None, str]:
    """The model the store serves now and where it came from (``(None, why)`` when none)."""
    require_methods(store, ("load", "serving_version"))
    name = resolve_name(store, model_name)
    version = serving_version(store, name)
    if version is None:
        return None, f"model store has no serving version of {name!r} yet (first deployment)"
    return load_model(store, name, version), f"model store {name!r} v{version}"


def recorded(store: Any, name: str, version: int, inputs_id: str) -> Any:
    """The predictions recorded for ``version`` on these inputs, or ``None``."""
    getter = getattr(store, "recorded_predictions", None)
    if not callable(getter):
        return None
    try:
        return getter(name, version, inputs_id)
    except (KeyError, FileNotFoundError, LookupError):
        return None
