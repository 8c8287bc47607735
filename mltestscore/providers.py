"""Input providers: derive a check's missing ``ml_<name>`` input from another fixture.

A team that defines ``ml_lightning_module`` (and optionally ``ml_datamodule``) gets
``ml_model``, ``ml_batch``, ``ml_train_fn``, ``ml_pipeline``, … derived from it, with no
other line in its ``conftest.py``. The plugin asks the providers only for an input no
fixture gives (``ml_<test><n>_<name>`` and ``ml_<name>`` come first: explicit fixtures
win). Providers register when :mod:`mltestscore.checks` loads; core only keeps the list,
so the plugin never imports ``mltestscore.checks`` for this.

A provider is ``provider(test_id, name, lookup) -> (found, value)``, where
``lookup(fixture_name) -> (found, value)`` reads a team fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Lookup = Callable[[str], tuple[bool, Any]]
InputProvider = Callable[[str, str, Lookup], tuple[bool, Any]]

INPUT_PROVIDERS: list[InputProvider] = []


def register_input_provider(provider: InputProvider) -> InputProvider:
    """Add ``provider`` (once) to the providers the plugin asks for missing inputs."""
    if provider not in INPUT_PROVIDERS:
        INPUT_PROVIDERS.append(provider)
    return provider


def provide(test_id: str, name: str, lookup: Lookup) -> tuple[bool, Any, str | None]:
    """(found, value, provider name) from the first provider that gives ``name``."""
    for provider in INPUT_PROVIDERS:
        found, value = provider(test_id, name, lookup)
        if found:
            return True, value, getattr(provider, "__name__", repr(provider))
    return False, None, None
