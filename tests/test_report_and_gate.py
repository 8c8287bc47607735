from __future__ import annotations

import json
from pathlib import Path

import pytest

from mltestscore.cli import main
from mltestscore.gate import decide
from mltestscore.report import ReportError, build_report, load_report, validate, write_json
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.rubric import TEST_IDS
from mltestscore.scoring import score


def full_report(points_per_section: dict[str, int]) -> dict:
    automated = {}
    for section, n in points_per_section.items():
        for i in range(1, n + 1):
            automated[f"{section}.{i}"] = [AutomatedEvidence("builtin:x", Status.PASS, "ok")]
    return build_report(score(automated))


def test_report_has_28_entries_and_validates(tmp_path: Path) -> None:
    report = full_report({"data": 3, "model": 2, "infra": 4, "monitor": 5})
    assert [t["id"] for t in report["tests"]] == list(TEST_IDS)
    for t in report["tests"]:
        assert {"id", "status", "points", "automated", "reason"} <= set(t)
    path = tmp_path / "r.json"
    write_json(report, path)
    loaded = load_report(path)
    assert loaded["score"]["final"] == 2.0
    assert loaded["score"]["sections"]["infra"]["score"] == 4.0


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json"
    path.write_text("previous")
    report = full_report({})

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        write_json(report, path)
    assert path.read_text() == "previous"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"schema": "mltestscore/report", "version": 1, "sco',
            "not valid JSON (truncated or corrupt?)",
        ),
        ('{"schema": "mltestscore/report", "version": 99}', "report version 99 is not supported"),
        ('{"schema": "other"}', "not an mltestscore report"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_report_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ReportError, match=r"r\.json") as info:
        load_report(path)
    assert message in str(info.value)


def test_schema_violation_names_the_place() -> None:
    report = full_report({})
    report["tests"][3]["points"] = 7
    with pytest.raises(ReportError, match="tests/3/points"):
        validate(report)


def test_gate_decisions() -> None:
    assert decide(2.0, {"monitor": 1.0}, fail_under=2.0).passed
    failed = decide(1.5, {"monitor": 1.0}, fail_under=2.0, section_min={"monitor": 1.5})
    assert not failed.passed
    assert "final score 1.5 is below --fail-under 2" in failed.summary
    assert "section monitor scored 1, below the minimum 1.5" in failed.summary


def test_cli_gate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    write_json(full_report({"data": 3, "model": 3, "infra": 3, "monitor": 2}), path)
    assert main(["gate", str(path), "--fail-under", "2"]) == 0
    assert main(["gate", str(path), "--fail-under", "2.5"]) == 1
    assert "below --fail-under 2.5" in capsys.readouterr().out
    assert main(["gate", str(path), "--section-min", "monitor=2.5"]) == 1
    (tmp_path / "bad.json").write_text('{"schema": "mltestscore/rep')
    assert main(["gate", str(tmp_path / "bad.json"), "--fail-under", "1"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["gate", str(tmp_path / "missing.json")]) == 2


def test_cli_gate_require_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    write_json(full_report({"infra": 4}), path)
    assert main(["gate", str(path), "--require-pass", "infra.4"]) == 0
    assert main(["gate", str(path), "--require-pass", "infra.5"]) == 1
    assert "infra.5 must be automated and passing, but is not_done" in capsys.readouterr().out
    assert main(["gate", str(path), "--require-pass", "infra.9"]) == 2


def test_cli_gate_rejects_bad_option_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["gate", "r.json", "--section-min", "ops=1"])
    assert info.value.code == 2
    assert "'ops=1'" in capsys.readouterr().err


def test_cli_explain_and_rubric(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "model.6"]) == 0
    out = capsys.readouterr().out
    assert "Model quality is sufficient on all important data slices" in out
    assert '[tool.mltestscore.manual."model.6"]' in out
    assert main(["explain", "model.8"]) == 2
    assert main(["rubric"]) == 0
    assert capsys.readouterr().out.count(".") >= 28


def test_report_json_roundtrip_is_plain_json() -> None:
    report = full_report({"data": 1})
    assert json.loads(json.dumps(report)) == report
