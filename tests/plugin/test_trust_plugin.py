"""ISSUE 11 regressions through pytest: every run ends with a truthful report or exit 4."""

from __future__ import annotations

import json

import pytest

TEAM = """
import sys
import pytest
import mltestscore

@pytest.mark.ml_score("infra.1")
def test_ok():
    pass

@mltestscore.check("model.2")
def check_exits():
    sys.exit(3)
"""

MANUAL = """
[tool.mltestscore.manual."model.2"]
document = "https://wiki.example/corr"
reviewer = "Ada"
reviewed = REVIEWED
"""


def load(pytester: pytest.Pytester, path: str = "reports/ml-score.json") -> dict:
    return json.loads((pytester.path / path).read_text())


def by_id(report: dict) -> dict:
    return {t["id"]: t for t in report["tests"]}


@pytest.fixture
def team(pytester: pytest.Pytester) -> pytest.Pytester:
    import datetime as dt

    reviewed = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    pytester.makepyprojecttoml(MANUAL.replace("REVIEWED", reviewed))
    pytester.makepyfile(test_team=TEAM)
    return pytester


def test_team_check_calling_sys_exit_scores_zero_despite_manual(team: pytest.Pytester) -> None:
    result = team.runpytest("--ml-score")
    result.stdout.fnmatch_lines(["*check raised SystemExit: 3*"])
    entry = by_id(load(team))["model.2"]
    assert entry["status"] == "error" and entry["points"] == 0


def test_inconclusive_check_is_skipped_as_could_not_judge(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x="""
        import mltestscore
        @mltestscore.check("monitor.7")
        def check_drift():
            return mltestscore.CheckResult.inconclusive("baseline just recorded")
        """
    )
    result = pytester.runpytest("--ml-score", "-rs")
    result.stdout.fnmatch_lines(["*could not judge: baseline just recorded*"])
    entry = by_id(load(pytester))["monitor.7"]
    assert entry["status"] == "unjudged" and entry["points"] == 0


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("fail_under = nan", "fail_under"),
        ("fail_under = -1", "fail_under"),
        ('fail_under = "high"', "fail_under"),
        ("section_min = {monitor = -0.5}", "section_min.monitor"),
        ("section_min = {monitor = inf}", "section_min.monitor"),
    ],
)
def test_fail_under_nan_negative_or_text_in_toml_exits_4(
    pytester: pytest.Pytester, toml: str, key: str
) -> None:
    pytester.makepyprojecttoml(f"[tool.mltestscore]\n{toml}\n")
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"tool.mltestscore.{key}" in result.stderr.str()


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_fail_under_nan_on_the_command_line_exits_4(pytester: pytest.Pytester, value: str) -> None:
    result = pytester.runpytest("--ml-score", f"--ml-score-fail-under={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"'{value}'" in result.stderr.str()


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("report = 5", "report"),
        (
            '[tool.mltestscore.manual."data.6"]\ndocument = "https://w.example/x"\nreviewer = "A"\n'
            "reviewed = 2026-01-01\nexpires_days = 3000000",
            "expires_days",
        ),
        (
            '[tool.mltestscore.manual."data.6"]\ndocument = "https://w.example/x"\nreviewer = "A"\n'
            "reviewed = 9999-06-01",
            None,
        ),
        (
            '[tool.mltestscore.manual."data.6"]\ndocument = "' + "d" * 5000 + '"\nreviewer = "A"\n'
            "reviewed = 2026-01-01",
            "document",
        ),
        (
            '[tool.mltestscore.manual."data.6"]\ndocument = "/etc/passwd"\nreviewer = "A"\n'
            "reviewed = 2026-01-01",
            "document",
        ),
    ],
    ids=["report_5", "expires_days_3000000", "reviewed_9999_06_01", "document_5000", "etc_passwd"],
)
def test_bad_values_after_every_test_passed_still_write_the_report(
    pytester: pytest.Pytester, toml: str, key: str | None
) -> None:
    header = "" if toml.startswith("[") else "[tool.mltestscore]\n"
    pytester.makepyprojecttoml(header + toml + "\n")
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = load(pytester)
    assert by_id(report)["data.6"]["points"] == 0
    if key:
        assert any(p["key"].endswith(key) for p in report["config_problems"])


def test_min_size_string_threshold_exits_4_naming_the_key(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.mltestscore.thresholds."model.6"]\nmin_size = "20"\n')
    pytester.makeconftest(
        """
        import pytest
        @pytest.fixture
        def ml_slices():
            return {"a": [0, 1]}
        """
    )
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        ['*configuration error*tool.mltestscore.thresholds."model.6".min_size*']
    )
    report = load(pytester)
    assert "TypeError" not in json.dumps(report)
    assert any(p["key"].endswith("min_size") for p in report["config_problems"])


def test_ctrl_c_writes_an_incomplete_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x():\n    raise KeyboardInterrupt\n")
    result = pytester.runpytest_subprocess("--ml-score")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = load(pytester)
    assert report["complete"] is False and "KeyboardInterrupt" in report["incomplete_reason"]
    result.stdout.fnmatch_lines(["*INCOMPLETE*"])


def test_collection_error_writes_an_incomplete_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x='import pytest\n@pytest.mark.ml_score("infra.9")\ndef test_x(): pass\n'
    )
    result = pytester.runpytest("--ml-score")
    result.stdout.fnmatch_lines(["*did you mean 'infra.7'*"])
    report = load(pytester)
    assert report["complete"] is False and "collection" in report["incomplete_reason"]


def test_collect_only_keeps_the_last_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    pytester.runpytest("--ml-score")
    before = (pytester.path / "reports/ml-score.json").read_text()
    result = pytester.runpytest("--ml-score", "--collect-only")
    result.stdout.fnmatch_lines(["*not scored: --collect-only*"])
    assert (pytester.path / "reports/ml-score.json").read_text() == before


def test_deselected_rubric_checks_make_the_report_incomplete_and_fail_the_gate(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--ml-score", "-k", "test_x", "--ml-score-fail-under=0")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*gate failed: the run did not complete*"])
    assert load(pytester)["complete"] is False


def test_numpy_evidence_scores_the_same_serially_and_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytest.importorskip("numpy")
    pytester.makepyfile(
        test_x="""
        import numpy as np
        import pytest
        import mltestscore

        @pytest.mark.ml_score("infra.1")
        def test_ok():
            pass

        @mltestscore.check("model.6")
        def check_arrays():
            return mltestscore.CheckResult.passed(
                "ok", {"a": np.arange(4), "nan": float("nan"), "s": {3, 1}, "x": np.float32(2)}
            )
        """
    )
    serial = pytester.runpytest("--ml-score", "--ml-score-report=serial.json")
    parallel = pytester.runpytest_subprocess(
        "--ml-score", "-n", "2", "--ml-score-report=parallel.json"
    )
    assert serial.ret == parallel.ret == pytest.ExitCode.OK, parallel.stdout.str()
    a, b = load(pytester, "serial.json"), load(pytester, "parallel.json")
    assert a["score"] == b["score"] and a["score"]["sections"]["model"]["score"] == 1
    assert by_id(a)["model.6"]["automated"] == [
        {**e, "duration_s": e["duration_s"]} for e in by_id(a)["model.6"]["automated"]
    ]
    team = [e for e in by_id(b)["model.6"]["automated"] if e["source"].startswith("check:")]
    assert team[0]["evidence"] == {
        "a": [0, 1, 2, 3],
        "nan": None,
        "s": [1, 3],
        "x": 2.0,
        "non_finite_replaced": ["nan"],
    }
