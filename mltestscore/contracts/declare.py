"""Declaring a contract on a model and finding it again.

``@model_contract(...)`` annotates a class or a predict function (returned
unchanged); :func:`get_contract` reads it back from the class, an instance, the
function, a bound method, a :func:`functools.partial` or a guard wrapper;
:func:`discover` lists the decorated objects of the modules named by
``[tool.mltestscore] contract_modules``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from mltestscore.contracts.spec import Contract, ContractError

T = TypeVar("T")
CONTRACT_ATTR = "__mltestscore_contract__"


def model_contract(
    input: Any = None,
    output_range: tuple[float | None, float | None] | None = None,
    finite: bool = True,
    latency_ms: float | None = None,
    deterministic_eval: bool = True,
) -> Callable[[T], T]:
    """Annotate a model class or a predict function with a :class:`Contract`.

    The object is returned unchanged; read the contract with :func:`get_contract`.
    Decorating the same class or function twice raises :class:`ContractError`
    (a subclass of a decorated class may declare its own).
    """
    contract = Contract(input, output_range, finite, latency_ms, deterministic_eval)

    def decorator(obj: T) -> T:
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj)):
            raise ContractError(
                "@model_contract decorates a model class or a predict function, got "
                f"{type(obj).__name__} {obj!r}; decorate the class, or pass "
                "contract=Contract(...) to mltestscore.guard"
            )
        target = obj.__func__ if inspect.ismethod(obj) else obj
        if CONTRACT_ATTR in vars(target):
            name = getattr(target, "__qualname__", repr(target))
            raise ContractError(
                f"{name} already has a model contract ({vars(target)[CONTRACT_ATTR]}); "
                "declare everything in one @model_contract(...)"
            )
        setattr(target, CONTRACT_ATTR, contract)
        return obj

    return decorator


def get_contract(obj: object) -> Contract | None:
    """The contract declared for ``obj`` or ``None``.

    Works on a decorated class (and its subclasses), an instance of one, a
    decorated function, a bound method (its own contract, else its object's),
    a :func:`functools.partial` and a :func:`guard` wrapper.
    """
    seen = 0
    while obj is not None and seen < 8:
        seen += 1
        found = getattr(obj if inspect.isclass(obj) else _lookup_target(obj), CONTRACT_ATTR, None)
        if isinstance(found, Contract):
            return found
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif inspect.ismethod(obj):
            obj = obj.__self__
        elif hasattr(obj, "__wrapped__") and not inspect.isclass(obj):
            obj = obj.__wrapped__
        else:
            return None
    return None


def _lookup_target(obj: object) -> object:
    """Functions and methods carry their own attribute; other objects their class's."""
    if inspect.isfunction(obj) or inspect.ismethod(obj) or isinstance(obj, functools.partial):
        return obj
    own = getattr(obj, "__dict__", {})
    if isinstance(own, dict) and CONTRACT_ATTR in own:
        return obj
    return type(obj)


def discover(module_names: Sequence[str]) -> list[tuple[str, object, Contract]]:
    """Decorated classes, functions and methods defined in the named modules.

    For the ``[tool.mltestscore] contract_modules`` setting. Returns
    ``(qualified name, object, contract)`` sorted by name; a module that cannot be
    imported raises :class:`ImportError` naming it and the setting.
    """
    if isinstance(module_names, str):
        module_names = [module_names]
    found: dict[str, tuple[str, object, Contract]] = {}
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise ImportError(
                f"[tool.mltestscore] contract_modules: cannot import {module_name!r} "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        for obj in list(vars(module).values()):
            if getattr(obj, "__module__", None) != module.__name__:
                continue  # imported from elsewhere: reported where it is defined
            candidates = [obj]
            if inspect.isclass(obj):
                candidates += [v for v in vars(obj).values() if inspect.isfunction(v)]
            for candidate in candidates:
                own = getattr(candidate, "__dict__", {})
                contract = own.get(CONTRACT_ATTR) if isinstance(own, Mapping) else None
                if isinstance(contract, Contract):
                    name = f"{module.__name__}.{candidate.__qualname__}"
                    found[name] = (name, candidate, contract)
    return [found[name] for name in sorted(found)]
