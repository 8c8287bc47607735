"""``ml_lightning_module`` (+ ``ml_datamodule``) alone automate infra.1/2/3/5 and monitor.5."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("lightning")
pytest.importorskip("safetensors")

from test_lightning_integration import run_ml_score, score_with_helper

from mltestscore.providers import INPUT_PROVIDERS, provide

AUTOMATED = ("infra.1", "infra.2", "infra.3", "infra.5", "monitor.5")


def score_with_two_fixtures(pytester: pytest.Pytester, module: str, extra: str = "") -> Any:
    """The project of ``score_with_helper`` without the ``lightning_fixtures`` call."""
    return score_with_helper(pytester, module, helper_call="", extra=extra)


def test_two_fixtures_are_enough(pytester: pytest.Pytester) -> None:
    result, tests = score_with_two_fixtures(pytester, "Classifier")
    for test_id in AUTOMATED:
        assert tests[test_id]["status"] == "automated", (test_id, result.stdout.str()[-3000:])
    assert "the team's training step" in json.dumps(tests["infra.2"])


def test_a_planted_training_step_bug_fails_infra_2(pytester: pytest.Pytester) -> None:
    _, tests = score_with_two_fixtures(pytester, "DetachedHead")
    assert tests["infra.2"]["status"] == "failed"
    assert ".detach()" in json.dumps(tests["infra.2"])


def test_explicit_fixtures_win(pytester: pytest.Pytester) -> None:
    extra = """
        @pytest.fixture(scope="session")
        def ml_example():
            raise RuntimeError("the team's own ml_example was used")
    """
    _, tests = score_with_two_fixtures(pytester, "Classifier", extra)
    assert tests["infra.5"]["status"] == "error"
    assert "the team's own ml_example was used" in json.dumps(tests["infra.5"])


def test_without_a_lightning_module_nothing_is_derived() -> None:
    import mltestscore.checks  # noqa: F401  (registers the provider)

    assert INPUT_PROVIDERS
    assert provide("infra.1", "train_fn", lambda name: (False, None)) == (False, None, None)


def _score_boring(pytester: pytest.Pytester, datamodule: str) -> Any:
    """Lightning's own ``BoringModel`` (third-party code: unlabelled batches, no loss
    attribute) given as the only two fixtures."""
    pytester.makeconftest(
        f"""
        import pytest
        from lightning.pytorch.demos.boring_classes import BoringDataModule, BoringModel

        @pytest.fixture(scope="session")
        def ml_lightning_module():
            return BoringModel()

        @pytest.fixture(scope="session")
        def ml_datamodule():
            {datamodule}
        """
    )
    return run_ml_score(pytester)


def test_inputs_a_provider_cannot_derive_are_not_automated_with_its_reason(
    pytester: pytest.Pytester,
) -> None:
    result, tests = _score_boring(pytester, "return BoringDataModule()")
    errors = {test_id: t for test_id, t in tests.items() if t["status"] == "error"}
    assert not errors, (errors, result.stdout.str()[-3000:])
    said = json.dumps(tests)
    assert "could not be derived" in said
    assert "is not an (inputs, targets) pair" in said  # the provider's own reason
    for test_id in ("data.2", "model.4", "infra.2"):
        assert tests[test_id]["status"] != "automated", test_id


def test_a_team_fixture_that_raises_under_a_provider_is_still_an_error(
    pytester: pytest.Pytester,
) -> None:
    _, tests = _score_boring(pytester, 'raise RuntimeError("the datamodule needs a data dir")')
    said = json.dumps([t for t in tests.values() if t["status"] == "error"])
    assert "the datamodule needs a data dir" in said
