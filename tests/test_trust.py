"""Regression tests for ISSUE 11, "Trust the score and the gate": one per case, named for it."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.cli import main
from mltestscore.gate import decide
from mltestscore.manual import parse_manual
from mltestscore.registry import spec_for, threshold_problems
from mltestscore.report import ReportError, build_report, dumps, loads, validate, write_atomic
from mltestscore.results import AutomatedEvidence, CheckResult, Status, json_safe
from mltestscore.runner import run_check
from mltestscore.scoring import TestStatus, score
from mltestscore.settings import KNOWN_KEYS, parse_score, parse_section_min, settings_from_table

TODAY = dt.date(2026, 11, 22)
MANUAL = {"document": "https://wiki.example/x", "reviewer": "Ada", "reviewed": dt.date(2026, 10, 1)}


def table_settings(tmp_path: Path, table: dict[str, Any]) -> Any:
    return settings_from_table(table, root=tmp_path, file="pyproject.toml")


def keys(settings: Any) -> dict[str, Any]:
    return {p.key.removeprefix("tool.mltestscore."): p for p in settings.problems}


# -- Points without verification ----------------------------------------------------


def test_check_calling_sys_exit_scores_zero_not_its_manual_half_point(tmp_path: Path) -> None:
    def check_exits() -> None:
        sys.exit(3)

    evidence = run_check(spec_for("model.2", check_exits, builtin=False), {})
    assert evidence.status is Status.ERROR
    assert "SystemExit" in evidence.message
    manual, _ = parse_manual({"model.2": MANUAL}, file="f", root=tmp_path)
    card = score({"model.2": [evidence]}, manual, today=TODAY)
    assert card.test("model.2").points == 0
    assert card.test("model.2").status == TestStatus.ERROR


@pytest.mark.parametrize("exc", [GeneratorExit, SystemExit, type("Custom", (BaseException,), {})])
def test_check_raising_any_base_exception_is_an_error_outcome(exc: type[BaseException]) -> None:
    def check_raises() -> None:
        raise exc()

    assert run_check(spec_for("model.2", check_raises, builtin=False), {}).status is Status.ERROR


def test_keyboard_interrupt_in_a_check_still_interrupts() -> None:
    def check_interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_check(spec_for("model.2", check_interrupted, builtin=False), {})


@pytest.mark.parametrize(
    "document",
    ["/etc/passwd", "../../../etc/passwd", "docs/../../outside.md", "~/notes.md", "x" * 5000],
)
def test_manual_document_outside_the_repository_earns_nothing(
    tmp_path: Path, document: str
) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "outside.md").write_text("x")
    entries, problems = parse_manual(
        {"data.6": {**MANUAL, "document": document}}, file="f", root=tmp_path / "repo"
    )
    assert entries == {}
    assert problems[0].key.endswith('"data.6".document')
    assert "expected a path in the repository or an http(s) URL" in problems[0].message


def test_manual_document_symlink_leading_outside_earns_nothing(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "secret").write_text("x")
    (tmp_path / "repo/doc.md").symlink_to(tmp_path / "secret")
    entries, problems = parse_manual(
        {"data.6": {**MANUAL, "document": "doc.md"}}, file="f", root=tmp_path / "repo"
    )
    assert entries == {} and "outside the repository" in problems[0].message


@pytest.mark.parametrize("document", ["https://", "ftp://wiki/x", "file:///etc/passwd"])
def test_manual_document_url_must_be_http_with_a_host(tmp_path: Path, document: str) -> None:
    entries, _ = parse_manual({"data.6": {**MANUAL, "document": document}}, file="f", root=tmp_path)
    assert entries == {}


def test_manual_document_inside_the_repository_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/a.md").write_text("x")
    entries, problems = parse_manual(
        {"data.6": {**MANUAL, "document": "docs/a.md"}}, file="f", root=tmp_path
    )
    assert problems == [] and entries["data.6"].document == "docs/a.md"


# -- A gate that turns off ------------------------------------------------------------


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "-1", "1e400"])
def test_fail_under_nan_on_the_command_line_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_score(text)
    with pytest.raises(ValueError):
        parse_section_min(f"monitor={text}")


@pytest.mark.parametrize("value", [math.nan, math.inf, -1, -0.5])
def test_fail_under_nan_or_negative_in_toml_is_a_blocking_problem(
    tmp_path: Path, value: float
) -> None:
    settings = table_settings(tmp_path, {"fail_under": value, "section_min": {"data": value}})
    found = keys(settings)
    assert settings.fail_under is None and settings.section_min == {}
    assert found["fail_under"].blocking and found["section_min.data"].blocking
    assert settings.blocking_problems


def test_fail_under_string_in_toml_is_a_blocking_problem(tmp_path: Path) -> None:
    settings = table_settings(tmp_path, {"fail_under": "high"})
    assert keys(settings)["fail_under"].blocking
    assert "expected a number, got 'high'" in keys(settings)["fail_under"].message


def test_gate_cli_fail_under_nan_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    path.write_text(dumps(build_report(score({}))))
    with pytest.raises(SystemExit) as exc:
        main(["gate", str(path), "--fail-under", "nan"])
    assert exc.value.code == 2
    assert "'nan'" in capsys.readouterr().err


def test_report_with_nan_final_is_unreadable_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = dumps(build_report(score({}))).replace('"final": 0.0', '"final": NaN')
    assert "NaN" in text
    path = tmp_path / "r.json"
    path.write_text(text)
    assert main(["gate", str(path), "--fail-under", "0"]) == 2
    assert "NaN is not a JSON number" in capsys.readouterr().err


def test_gate_decision_fails_a_non_finite_score() -> None:
    assert not decide(math.nan, {"data": 1.0}, fail_under=0).passed
    assert not decide(1.0, {"data": math.nan}, section_min={"data": 0}).passed
    for bad in (math.nan, math.inf, -1.0):
        with pytest.raises(ValueError):
            decide(1.0, {}, fail_under=bad)
        with pytest.raises(ValueError):
            decide(1.0, {"data": 1.0}, section_min={"data": bad})


def test_gate_passed_line_says_what_it_checked() -> None:
    decision = decide(5.0, {"monitor": 5.0}, fail_under=3, section_min={"monitor": 1.5})
    assert decision.summary == "ML Test Score gate passed: score 5 \u2265 3; monitor 5 \u2265 1.5"


# -- Runs that end without a report ---------------------------------------------------


def test_expires_days_3000000_is_a_problem_not_an_overflow(tmp_path: Path) -> None:
    entries, problems = parse_manual(
        {"data.6": {**MANUAL, "expires_days": 3_000_000}}, file="f", root=tmp_path
    )
    assert entries == {} and "from 1 to" in problems[0].message


def test_reviewed_9999_06_01_is_in_the_future_not_an_overflow(tmp_path: Path) -> None:
    entries, problems = parse_manual(
        {"data.6": {**MANUAL, "reviewed": dt.date(9999, 6, 1)}}, file="f", root=tmp_path
    )
    assert problems == []
    card = score({}, entries, today=TODAY)
    assert card.test("data.6").points == 0 and "in the future" in card.test("data.6").reason
    validate(build_report(card))


def test_report_5_is_a_problem_not_a_type_error(tmp_path: Path) -> None:
    settings = table_settings(tmp_path, {"report": 5})
    assert "report" in keys(settings) and settings.reports == ()


def test_document_of_5000_characters_is_a_problem_not_an_os_error(tmp_path: Path) -> None:
    settings = table_settings(tmp_path, {"manual": {"data.6": {**MANUAL, "document": "d" * 5000}}})
    assert settings.manual == {}
    assert 'manual."data.6".document' in keys(settings)


def _check_min_size(slices: object, *, min_size: int = 20, min_metric: float | None = None) -> bool:
    return True


def test_min_size_string_threshold_is_a_config_problem_naming_the_key() -> None:
    spec = spec_for("model.6", _check_min_size, builtin=False)
    problems = threshold_problems(spec, {"min_size": "20"})
    assert problems and problems[0][0] == "min_size"
    assert "finite number" in problems[0][1] and "'20'" in problems[0][1]
    assert threshold_problems(spec, {"min_metric": math.nan})
    assert threshold_problems(spec, {"min_metric": 0.5, "min_size": 10}) == []
    assert threshold_problems(spec, {"min_metric": None}) == []
    evidence = run_check(spec, {"slices": {}}, thresholds={"min_size": "20"})
    assert evidence.status is Status.ERROR
    assert 'thresholds."model.6".min_size' in evidence.message


def test_min_size_string_threshold_for_the_builtin_model6() -> None:
    import mltestscore.checks  # noqa: F401
    from mltestscore.registry import BUILTIN_CHECKS

    problems = threshold_problems(BUILTIN_CHECKS["model.6"], {"min_size": "20", "min_sise": 3})
    assert {name for name, _ in problems} == {"min_size", "min_sise"}
    assert "did you mean 'min_size'" in dict(problems)["min_sise"]


def test_numpy_and_set_evidence_is_plain_json() -> None:
    np = pytest.importorskip("numpy")
    evidence = AutomatedEvidence(
        "check:x",
        Status.PASS,
        "ok",
        {"a": np.arange(3), "s": {2, 1}, "f": np.float32(1.5), "i": np.int64(7), 3: (1, 2)},
    )
    assert evidence.evidence == {"a": [0, 1, 2], "s": [1, 2], "f": 1.5, "i": 7, "3": [1, 2]}
    assert (
        json.loads(json.dumps(evidence.to_dict(), allow_nan=False))["evidence"] == evidence.evidence
    )


def test_nan_and_infinity_in_evidence_become_null_with_a_note() -> None:
    result = CheckResult.passed("ok", {"loss": [1.0, math.nan], "gap": math.inf})
    evidence = AutomatedEvidence("check:x", result.status, result.message, result.evidence)
    assert evidence.evidence["loss"] == [1.0, None] and evidence.evidence["gap"] is None
    assert evidence.evidence["non_finite_replaced"] == ["loss[1]", "gap"]
    report = build_report(score({"model.6": [evidence]}))
    text = dumps(report)
    assert ": NaN" not in text and ": Infinity" not in text
    validate(json.loads(text))


def test_error_analysis_nan_is_written_as_null_and_noted() -> None:
    clean, replaced = json_safe({"errors": {"train": math.nan}})
    assert clean == {"errors": {"train": None}} and replaced == ["errors.train"]


def test_deeply_nested_evidence_does_not_crash() -> None:
    value: Any = []
    for _ in range(5000):
        value = [value]
    clean, _ = json_safe({"deep": value})
    json.dumps(clean)


@pytest.mark.parametrize("command", ["gate", "report"])
def test_gate_on_random_bytes_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(os.urandom(2000) + b"\xff\xfe")
    args = [command, str(path)] + (["-o", str(tmp_path / "o.md")] if command == "report" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", ["gate", "report"])
def test_gate_on_100000_deep_json_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    args = [command, str(path)] + (["-o", str(tmp_path / "o.md")] if command == "report" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nested too deeply" in err


def test_loads_refuses_infinity() -> None:
    with pytest.raises(ReportError, match="Infinity is not a JSON number"):
        loads('{"x": Infinity}')
    with pytest.raises(ReportError, match="too large"):
        loads('{"x": 1e400}')


def test_write_atomic_never_changes_the_process_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(mask: int) -> int:
        raise AssertionError("os.umask called: it races other threads creating files")

    old = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", forbidden)
        write_atomic(tmp_path / "r.json", "{}")
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_incomplete_report_fails_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = build_report(score({}), complete=False, incomplete_reason="interrupted")
    assert report["complete"] is False and report["incomplete_reason"] == "interrupted"
    validate(report)
    path = tmp_path / "r.json"
    path.write_text(dumps(report))
    assert main(["gate", str(path), "--fail-under", "0"]) == 1
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out and "did not complete (interrupted)" in out
    assert not decide(7.0, {}, fail_under=0, complete=False).passed


def test_old_report_without_complete_is_read_as_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = build_report(score({}))
    del report["complete"], report["incomplete_reason"]
    path = tmp_path / "r.json"
    path.write_text(dumps(report))
    assert main(["gate", str(path), "--fail-under", "0"]) == 0


# -- Property: any settings table → a valid, renderable report and a pure gate --------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_manual_entry = st.fixed_dictionaries(
    {},
    optional={
        "document": st.one_of(st.just("https://wiki.example/x"), st.text(max_size=40)),
        "reviewer": _values,
        "reviewed": st.one_of(st.dates(), _values),
        "expires_days": st.one_of(st.integers(), _values),
    },
)
_tables = st.dictionaries(
    st.one_of(st.sampled_from(sorted(KNOWN_KEYS)), st.text(max_size=12)),
    _values,
    max_size=6,
).flatmap(
    lambda base: st.fixed_dictionaries(
        {},
        optional={
            "manual": st.dictionaries(
                st.sampled_from(["data.6", "model.1", "monitor.4", "x.9"]),
                _manual_entry,
                max_size=3,
            ),
            "fail_under": st.one_of(st.floats(), _values),
            "section_min": st.dictionaries(st.sampled_from(["data", "model", "ops"]), _values),
        },
    ).map(lambda extra: {**base, **extra})
)
_statuses = st.sampled_from(list(Status))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=_tables,
    statuses=st.dictionaries(
        st.sampled_from(["data.1", "model.6", "infra.1", "monitor.7"]), _statuses
    ),
)
def test_any_settings_table_scores_reports_validates_and_renders(
    tmp_path_factory: pytest.TempPathFactory, table: dict[str, Any], statuses: dict[str, Status]
) -> None:
    from mltestscore.reports import render_report

    root = tmp_path_factory.getbasetemp()
    s = settings_from_table(table, root=root, file="pyproject.toml")
    automated = {
        k: [AutomatedEvidence("builtin:" + k, v, "m", {"x": math.nan, "y": {1, 2}})]
        for k, v in statuses.items()
    }
    card = score(automated, s.manual, manual_problems=s.manual_problems, scale=s.scale, today=TODAY)
    gate = decide(card.final, card.sections, fail_under=s.fail_under, section_min=s.section_min)
    assert all(math.isfinite(v) and v >= 0 for v in s.section_min.values())
    assert s.fail_under is None or (math.isfinite(s.fail_under) and s.fail_under >= 0)
    expected = (s.fail_under is None or card.final >= s.fail_under) and all(
        card.sections[k] >= v for k, v in s.section_min.items()
    )
    assert gate.passed == expected
    report = build_report(card, problems=s.problems, gate=gate)
    text = dumps(report)
    validate(loads(text))
    for suffix in (".md", ".svg", ".html"):
        assert render_report(report, suffix)


def test_error_analysis_with_nan_stays_valid_and_says_so() -> None:
    from mltestscore.report import safe_error_analysis

    section = safe_error_analysis({"errors": {"train": math.nan, "val": 0.1}, "notes": "n"})
    assert section is not None
    assert section["errors"]["train"] is None
    assert "Not finite, written as null: errors.train" in section["notes"]
