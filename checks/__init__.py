"""Built-in check implementations, one module per rubric section.

Importing this package registers the 28 built-in checks in
:data:`mltestscore.registry.BUILTIN_CHECKS`. The section modules are imported
explicitly here, each on its own: a section that fails to import (a broken
optional dependency, say) is recorded in :data:`LOAD_ERRORS` and its tests are
reported as errors, while the other sections still run. None of them imports
torch at module level (the smoke suite, :mod:`mltestscore.checks.smoke`, is
imported on use).
"""

from __future__ import annotations

import importlib

SECTION_MODULES = ("data", "model", "infra", "monitor")
LOAD_ERRORS: dict[str, str] = {}

for _section in SECTION_MODULES:
    try:
        importlib.import_module(f"mltestscore.checks.{_section}")
    except Exception as _exc:  # reported per test by the runner and the plugin
        LOAD_ERRORS[_section] = f"{type(_exc).__name__}: {_exc}"

# Input providers (mltestscore.providers): a LightningModule fixture alone feeds the
# checks. Importing the provider imports nothing of lightning.
try:
    importlib.import_module("mltestscore.checks.integrations.lightning_provider")
except Exception as _exc:
    LOAD_ERRORS["integrations"] = f"{type(_exc).__name__}: {_exc}"
