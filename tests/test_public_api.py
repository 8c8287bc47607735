"""The public API as users import it: real objects (not lazy ``Any``), one status vocabulary,
and names that pytest does not mistake for test classes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import mltestscore
from mltestscore import contracts, runner, scoring
from mltestscore.results import AutomatedEvidence, CheckResult, Status, TestStatus

ROOT = Path(__file__).resolve().parents[1]


def test_public_functions_are_imported_directly() -> None:
    assert mltestscore.score is scoring.score
    assert mltestscore.run_check is runner.run_check
    assert mltestscore.run_builtin is runner.run_builtin
    assert mltestscore.model_contract is contracts.model_contract
    assert mltestscore.guard is contracts.guard
    assert "__getattr__" not in vars(mltestscore)
    assert all(hasattr(mltestscore, name) for name in mltestscore.__all__)


def test_reference_model_lazy_names_are_the_type_checking_imports() -> None:
    """The lazy loader (torch costs ~1 s) and the imports type checkers read name the same
    objects in the same modules."""
    tree = ast.parse((ROOT / "reference_model" / "__init__.py").read_text())
    typed: dict[str, str] = {}
    lazy: dict[str, str] = {}
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.level == 1
                typed.update({a.name: str(imp.module) for a in imp.names})
        elif isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "_WHERE":
            lazy = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            names = ast.literal_eval(node.value)
    assert typed == lazy
    assert sorted(names) == sorted(lazy)


def test_test_status_values_and_serialization_are_plain_strings() -> None:
    assert [s.value for s in TestStatus] == [
        "automated",
        "failed",
        "error",
        "manual",
        "unjudged",
        "not_done",
    ]
    assert scoring.TestStatus is TestStatus
    for status in (*TestStatus, *Status):
        assert status == status.value and f"{status}" == status.value == str(status)
        assert json.dumps({status: [status]}) == json.dumps({status.value: [status.value]})
        assert {status.value: 1}[status] == 1


def test_skip_is_neither_evidence_nor_a_pass() -> None:
    assert not Status.SKIP.is_evidence and not Status.SKIP.counts_as_pass
    assert [s for s in Status if s.is_evidence] == [
        Status.PASS,
        Status.WARN,
        Status.FAIL,
        Status.ERROR,
    ]
    # As rubric evidence a skip is "not automated": reports keep their vocabulary.
    skipped = AutomatedEvidence("check:x", Status.SKIP, "does not apply")
    assert skipped.status is Status.NOT_AUTOMATED
    assert AutomatedEvidence.from_dict({"source": "s", "status": "skip"}).status is (
        Status.NOT_AUTOMATED
    )
    card = scoring.score({"data.1": [skipped]})
    assert card.test("data.1").status is TestStatus.NOT_DONE
    assert CheckResult(Status.SKIP, "n/a").to_dict()["status"] == "skip"


def test_scored_status_is_the_enum_and_the_report_holds_its_value() -> None:
    from mltestscore.report import build_report, dumps

    passed = AutomatedEvidence("check:x", Status.PASS, "ok")
    card = scoring.score({"data.1": [passed]})
    assert card.test("data.1").status is TestStatus.AUTOMATED
    report = build_report(card)
    data_1 = next(t for t in report["tests"] if t["id"] == "data.1")
    assert type(data_1["status"]) is str and data_1["status"] == "automated"
    assert '"status": "automated"' in dumps(report)


def test_importing_test_named_classes_warns_nothing(pytester: pytest.Pytester) -> None:
    """``TestScore`` & co. start with "Test": imported into a test module, pytest would try
    to collect them and warn (PytestCollectionWarning) unless they say ``__test__ = False``."""
    pytester.makepyfile(
        test_imports="""
        from mltestscore import TestStatus
        from mltestscore.reports.diff import TestChange
        from mltestscore.scoring import TestScore

        def test_names():
            assert TestScore and TestStatus and TestChange
        """
    )
    result = pytester.runpytest("-W", "error::pytest.PytestCollectionWarning")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*PytestCollectionWarning*")
    result.stdout.no_fnmatch_line("*cannot collect*")


def test_the_collection_warning_test_catches_a_test_named_class(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_imports="""
        import dataclasses

        @dataclasses.dataclass
        class TestLike:
            x: int = 0

        def test_names():
            assert TestLike
        """
    )
    result = pytester.runpytest("-W", "error::pytest.PytestCollectionWarning")
    assert result.ret != 0
