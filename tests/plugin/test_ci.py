"""ISSUE 14: the plugin in CI (JUnit XML, typos, report-only, GitHub Actions, names)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

FAILING = """
import pytest
import mltestscore

@pytest.mark.ml_score("infra.1")
def test_ok():
    pass

@mltestscore.check("model.6")
def check_slices(slice_scores):
    return mltestscore.CheckResult.failed("worst slice 0.5", {"worst": 0.5, "big": list(range(500))})
"""

CONFTEST = """
import pytest

@pytest.fixture
def ml_slice_scores():
    return {"a": 0.5}
"""


@pytest.fixture
def failing(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml("[tool.mltestscore]\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_team=FAILING)
    return pytester


def load(pytester: pytest.Pytester, path: str = "reports/ml-score.json") -> dict:
    return json.loads((pytester.path / path).read_text())


# -- JUnit XML ----------------------------------------------------------------------


def _junit(path: str) -> ET.Element:
    return ET.parse(path).getroot()


def _check_junit(root: ET.Element) -> dict[str, str]:
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    props = {p.get("name", ""): p.get("value", "") for p in suite.iterfind("properties/property")}
    for prop in root.iter("property"):
        value = prop.get("value", "")
        assert len(value) <= 1024, prop.get("name")
        assert "{'" not in value and "[{" not in value, value[:80]
    for case in suite.iter("testcase"):
        assert case.find("properties") is None, case.get("name")
    return props


def test_junit_xml_has_suite_properties_and_no_evidence(failing: pytest.Pytester) -> None:
    failing.runpytest("--ml-score", "--junitxml=junit.xml")
    props = _check_junit(_junit(str(failing.path / "junit.xml")))
    assert props["ml_score"] == "0"
    assert props["ml_score_band"] == "research"
    assert {"ml_score_data", "ml_score_model", "ml_score_infra", "ml_score_monitor"} <= set(props)
    assert props["ml_score_infra"] == "1"


def test_junit_xml_under_xdist_matches_serial(failing: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    failing.runpytest("--ml-score", "--junitxml=serial.xml")
    failing.runpytest_subprocess("--ml-score", "-n", "2", "--junitxml=parallel.xml")
    serial = _check_junit(_junit(str(failing.path / "serial.xml")))
    parallel = _check_junit(_junit(str(failing.path / "parallel.xml")))
    assert serial == parallel


# -- typos and strict ---------------------------------------------------------------


def test_fail_undr_typo_exits_4_with_did_you_mean(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.mltestscore]\nfail_undr = 3\n")
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "fail_undr: unknown key (did you mean 'fail_under'?)" in result.stderr.str()


def test_unknown_threshold_id_has_did_you_mean(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.mltestscore.thresholds."modle.6"]\nmin_size = 3\n')
    result = pytester.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "did you mean 'model.6'" in result.stderr.str()


def test_strict_turns_every_problem_into_exit_4(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.mltestscore]\nbaseline = 3\n")
    pytester.makepyfile(test_ok="def test_ok(): pass")
    assert pytester.runpytest("--ml-score").ret == pytest.ExitCode.OK
    result = pytester.runpytest("--ml-score", "--ml-score-strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "tool.mltestscore.baseline" in result.stderr.str()
    pytester.makepyprojecttoml("[tool.mltestscore]\nbaseline = 3\nstrict = true\n")
    assert pytester.runpytest("--ml-score").ret == pytest.ExitCode.USAGE_ERROR


# -- report-only, --no-ml-score, terminal modes, gate line ----------------------------


def test_report_only_exits_0_with_failing_checks(failing: pytest.Pytester) -> None:
    result = failing.runpytest("--ml-score", "--ml-score-report-only")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, xfailed=1, skipped=29)
    entry = {t["id"]: t for t in load(failing)["tests"]}["model.6"]
    assert entry["status"] == "failed" and entry["points"] == 0


def test_report_only_exits_1_when_the_gate_fails(failing: pytest.Pytester) -> None:
    failing.makepyprojecttoml("[tool.mltestscore]\nreport_only = true\nfail_under = 1\n")
    result = failing.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*gate failed: final score 0 is below --fail-under 1*"])


def test_no_ml_score_turns_off_the_ini_setting(failing: pytest.Pytester) -> None:
    failing.makeini("[pytest]\nml_score = true\n")
    result = failing.runpytest("--no-ml-score")
    assert "ML Test Score" not in result.stdout.str()
    assert not (failing.path / "reports").exists()


def test_terminal_short_and_none(failing: pytest.Pytester) -> None:
    short = failing.runpytest("--ml-score", "--ml-score-terminal=short")
    assert "auto = automated and passing" not in short.stdout.str()
    none = failing.runpytest("--ml-score", "--ml-score-terminal=none")
    assert "= ML Test Score =" not in none.stdout.str()
    none.stdout.fnmatch_lines(["ML Test Score report written: *"])


def test_gate_passed_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score", "--ml-score-fail-under=0")
    result.stdout.fnmatch_lines(["ML Test Score gate passed: score 0 \u2265 0"])


# -- GitHub Actions -----------------------------------------------------------------


def test_github_step_summary_is_appended_not_replaced(
    failing: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = failing.path / "summary.md"
    summary.write_text("# Earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    failing.runpytest("--ml-score")
    text = summary.read_text()
    assert text.startswith("# Earlier step\n")
    assert "ML Test Score" in text[len("# Earlier step\n") :]
    failing.runpytest("--ml-score", f"--ml-score-report=md:{summary}")
    assert summary.read_text().count("# Earlier step") == 1
    assert len(summary.read_text()) > len(text)


def test_annotations_printed_on_github_actions(
    failing: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = failing.runpytest("--ml-score")
    result.stdout.fnmatch_lines(["::error file=conftest.py,line=4,title=*model.6*::*"])
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert "::error" not in failing.runpytest("--ml-score").stdout.str()


@pytest.mark.parametrize("spec", ["badge.json", "endpoint:out/shield.txt"])
def test_shields_endpoint_json(failing: pytest.Pytester, spec: str) -> None:
    failing.runpytest("--ml-score", f"--ml-score-report={spec}")
    path = spec.split(":", 1)[-1]
    data = json.loads((failing.path / path).read_text())
    assert data["schemaVersion"] == 1 and "message" in data
    assert load(failing)["version"] == 1  # the JSON report is still the default one


# -- names agree ----------------------------------------------------------------------


def test_rubric_items_have_one_name_everywhere(pytester: pytest.Pytester) -> None:
    pytester.mkdir("tests")
    pytester.path.joinpath("tests/test_a.py").write_text("def test_a(): pass\n")
    result = pytester.runpytest("--ml-score", "-v", "-rs")
    out = result.stdout.str()
    assert "ml-score::data.2 SKIPPED" in out
    assert "data::2" not in out
    assert "SKIPPED [1] ml-score::data.2: not automated" in out
    assert "items.py" not in out


def test_failure_header_uses_the_same_name(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.mltestscore]\ndeny_features = ["age"]\n')
    pytester.makeconftest(
        "import pytest\n@pytest.fixture\ndef ml_feature_names():\n    return ['age', 'x']\n"
    )
    pytester.makepyfile(test_a="def test_a(): pass")
    result = pytester.runpytest("--ml-score", "-v")
    result.stdout.fnmatch_lines(
        [
            "ml-score::data.4 FAILED*",
            "*_ ml-score::data.4 *_",
            "FAILED ml-score::data.4 - *",
        ]
    )
    assert "data::4" not in result.stdout.str()


def test_team_check_skip_line_points_at_the_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x="""
        import mltestscore

        @mltestscore.check("model.7")
        def check_groups(group_gaps):
            return True
        """
    )
    result = pytester.runpytest("--ml-score", "-rs")
    result.stdout.fnmatch_lines(
        ["SKIPPED [1] test_x.py:3: not automated: define fixture(s) ml_group_gaps"]
    )
    assert "items.py" not in result.stdout.str()


def test_not_done_reason_names_the_missing_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ok="def test_ok(): pass")
    pytester.runpytest("--ml-score")
    entry = {t["id"]: t for t in load(pytester)["tests"]}["model.5"]
    assert entry["status"] == "not_done"
    assert "ml_" in entry["reason"] and "define fixture" in entry["reason"]


# -- packaging ------------------------------------------------------------------------


def test_python_m_mltestscore_version() -> None:
    from importlib.metadata import version

    import mltestscore

    out = subprocess.run(
        [sys.executable, "-m", "mltestscore", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"mltestscore {mltestscore.__version__}"
    assert mltestscore.__version__ == version("mltestscore")
