from __future__ import annotations

import pytest

import mltestscore.checks  # noqa: F401
from mltestscore.registry import BUILTIN_CHECKS, register_builtin_check, spec_for
from mltestscore.rubric import RUBRIC, SECTIONS, TEST_IDS, UnknownTestId, get


def test_28_tests_7_per_section() -> None:
    assert len(RUBRIC) == 28
    for section in SECTIONS:
        ids = [t.id for t in RUBRIC if t.section == section]
        assert ids == [f"{section}.{n}" for n in range(1, 8)]


def test_paper_titles_spot_check() -> None:
    assert get("monitor.3").title == "Training and serving are not skewed"
    assert get("infra.1").title == "Training is reproducible"
    assert get("data.1").title == "Feature expectations are captured in a schema"


def test_every_entry_says_how_to_earn_it() -> None:
    for test in RUBRIC:
        assert test.asks.endswith("?"), test.id
        assert test.automated and test.manual, test.id


def test_unknown_id_message() -> None:
    with pytest.raises(UnknownTestId, match=r"unknown ML Test Score id 'model\.8'"):
        get("model.8")


def test_registry_has_one_documented_builtin_check_per_id() -> None:
    assert sorted(BUILTIN_CHECKS) == sorted(TEST_IDS)
    for test_id, spec in BUILTIN_CHECKS.items():
        assert spec.test_id == test_id
        assert spec.doc, f"{spec.name} has no docstring"
        assert spec.builtin


def test_duplicate_builtin_registration_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from mltestscore import registry

    monkeypatch.setattr(registry, "BUILTIN_CHECKS", {})

    def first() -> None:
        """First."""

    register_builtin_check("data.1")(first)
    assert registry.BUILTIN_CHECKS["data.1"].func is first
    with pytest.raises(ValueError, match="already registered"):
        register_builtin_check("data.1")(lambda: None)


def test_signature_convention() -> None:
    def check(model, data, slices=None, *, floor=0.9, context=None):  # type: ignore[no-untyped-def]
        """Doc."""

    spec = spec_for("model.6", check, builtin=False)
    assert spec.inputs == ("model", "data")
    assert spec.optional_inputs == ("slices",)
    assert spec.thresholds == {"floor": 0.9}
    assert spec.wants_context
    assert spec.fixtures == ("ml_model", "ml_data")


def test_threshold_without_default_is_rejected() -> None:
    def check(model, *, floor):  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(TypeError, match="threshold 'floor' needs a default"):
        spec_for("model.6", check, builtin=False)


def test_section_that_fails_to_load_becomes_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    import mltestscore.checks as checks
    from mltestscore import registry
    from mltestscore.results import Status
    from mltestscore.runner import builtin_specs, run_builtin

    kept = {k: v for k, v in registry.BUILTIN_CHECKS.items() if not k.startswith("data.")}
    monkeypatch.setattr(registry, "BUILTIN_CHECKS", kept)
    monkeypatch.setitem(checks.LOAD_ERRORS, "data", "ImportError: numpy too old")
    specs = builtin_specs()
    assert len(specs) == 28
    evidence = run_builtin("data.3", {})
    assert evidence.status is Status.ERROR
    assert (
        "built-in data checks could not be loaded: ImportError: numpy too old" in evidence.message
    )


def test_could_not_judge_is_documented_for_every_test() -> None:
    from mltestscore.cli import explain_text
    from mltestscore.rubric import COULD_NOT_JUDGE, RUBRIC_BY_ID, could_not_judge

    assert set(COULD_NOT_JUDGE) <= set(RUBRIC_BY_ID)
    for test_id in RUBRIC_BY_ID:
        assert could_not_judge(test_id)
    assert "records the environment baseline" in explain_text("monitor.1")
