"""Import paths that 0.1's README and conftests used still give the same objects."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("mltestscore.checks.stats", "mltestscore.stats"),
        ("mltestscore.checks.schema", "mltestscore.schema"),
    ],
)
def test_old_path_reexports_every_public_name(old: str, new: str) -> None:
    old_module = importlib.import_module(old)
    new_module = importlib.import_module(new)
    assert list(old_module.__all__) == list(new_module.__all__)
    for name in new_module.__all__:
        assert getattr(old_module, name) is getattr(new_module, name), name


def test_readme_forms_still_work() -> None:
    from mltestscore.checks import stats
    from mltestscore.checks.schema import TensorSchema
    from mltestscore.schema import TensorSchema as CoreTensorSchema

    assert TensorSchema is CoreTensorSchema
    assert callable(stats.compare) and callable(stats.summarize)
