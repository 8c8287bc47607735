"""End-to-end tests of the pytest plugin with pytester."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SAMPLE_TESTS = """
import pytest
import mltestscore

@pytest.mark.ml_score("infra.1")
def test_reproducible():
    assert 1 + 1 == 2

@pytest.mark.ml_score("infra.1", "infra.3")
def test_pipeline():
    pass

@mltestscore.covers("model.5")
def test_beats_baseline():
    assert 0.7 > 0.9, "model loses to the majority baseline"

@mltestscore.check("model.6")
def check_slices(slice_scores, *, floor=0.8):
    worst = min(slice_scores.values())
    if worst < floor:
        return mltestscore.CheckResult.failed(f"worst slice {worst}", {"worst": worst})
    return mltestscore.CheckResult.passed("all slices above floor", {"worst": worst})
"""

SAMPLE_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def ml_slice_scores():
    return {"young": 0.91, "old": 0.85}
"""

SAMPLE_PYPROJECT = """
[tool.mltestscore]
[tool.mltestscore.manual."data.6"]
document = "docs/features.md"
reviewer = "Ada"
reviewed = REVIEWED
[tool.mltestscore.manual."monitor.4"]
document = "https://wiki.example/staleness"
reviewer = "Grace"
reviewed = REVIEWED
"""


@pytest.fixture
def sample(pytester: pytest.Pytester) -> pytest.Pytester:
    import datetime as dt

    reviewed = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    pytester.makepyprojecttoml(SAMPLE_PYPROJECT.replace("REVIEWED", reviewed))
    pytester.mkdir("docs").joinpath("features.md").write_text("# features\n")
    pytester.makeconftest(SAMPLE_CONFTEST)
    pytester.makepyfile(test_sample=SAMPLE_TESTS)
    return pytester


def load(pytester: pytest.Pytester, path: str = "reports/ml-score.json") -> dict:
    return json.loads((pytester.path / path).read_text())


def test_help_lists_options_with_metavars_and_defaults(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*ML Test Score (mltestscore)*",
            "*--ml-score *score the system*",
            "*--ml-score-report=PATH*",
            "*--ml-score-fail-under=SCORE*",
            "*--ml-score-section-min=SECTION=SCORE*",
        ]
    )
    assert "(default: 2017)" in result.stdout.str()


@pytest.mark.parametrize(
    ("option", "quoted"),
    [
        ("--ml-score-fail-under=lots", "'lots'"),
        ("--ml-score-fail-under=-1", "'-1'"),
        ("--ml-score-section-min=ops=1", "'ops=1'"),
        ("--ml-score-report=out.pdf", "'out.pdf'"),
        ("--ml-score-compare=missing.json", "'missing.json'"),
    ],
)
def test_bad_option_values_are_usage_errors(
    pytester: pytest.Pytester, option: str, quoted: str
) -> None:
    result = pytester.runpytest("--ml-score", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert quoted in result.stderr.str()


def test_off_by_default(sample: pytest.Pytester) -> None:
    result = sample.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    assert "ML Test Score" not in result.stdout.str()
    assert not (sample.path / "reports").exists()


def test_sample_project_scored(sample: pytest.Pytester) -> None:
    result = sample.runpytest("--ml-score")
    result.stdout.fnmatch_lines(
        [
            "*= ML Test Score =*",
            "*data*model*infra*monitor*",
            "Final ML Test Score: 0.5 of 7 (minimum of the four sections)*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = load(sample)
    assert len(report["tests"]) == 28
    by_id = {t["id"]: t for t in report["tests"]}
    assert by_id["infra.1"]["points"] == 1.0
    ran = [a for a in by_id["infra.1"]["automated"] if a["status"] != "not_automated"]
    assert [a["source"] for a in ran] == [
        "test:test_sample.py::test_pipeline",
        "test:test_sample.py::test_reproducible",
    ]
    assert by_id["infra.3"]["status"] == "automated"
    assert by_id["model.5"]["status"] == "failed"
    assert "model loses to the majority baseline" in by_id["model.5"]["reason"]
    assert by_id["model.6"]["points"] == 1.0
    assert by_id["model.6"]["automated"][0]["evidence"] == {"worst": 0.85}
    assert by_id["data.6"]["status"] == "manual" and by_id["data.6"]["points"] == 0.5
    assert by_id["monitor.4"]["points"] == 0.5
    for entry in report["tests"]:
        assert {"id", "status", "points", "reason", "automated"} <= set(entry)


def test_team_check_threshold_override_and_failure(sample: pytest.Pytester) -> None:
    sample.makepyprojecttoml('[tool.mltestscore.thresholds."model.6"]\nfloor = 0.9\n')
    result = sample.runpytest("--ml-score")
    result.stdout.fnmatch_lines(["*check_slices*worst slice 0.85*"])
    assert load(sample)["tests"][12]["status"] == "failed"


def test_team_check_without_its_fixture_is_not_automated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x="""
        import mltestscore
        @mltestscore.check("model.7")
        def check_groups(group_gaps):
            return True
    """
    )
    result = pytester.runpytest("--ml-score", "-rs")
    result.stdout.fnmatch_lines(["*not automated: define fixture(s) ml_group_gaps*"])
    entry = load(pytester)["tests"][13]
    assert entry["status"] == "not_done"
    assert "ml_group_gaps" in entry["next_step"]


def test_gate_fail_under(sample: pytest.Pytester) -> None:
    sample.makepyfile(
        test_sample="""
        import pytest
        @pytest.mark.ml_score("infra.1")
        def test_ok():
            pass
    """
    )
    passing = sample.runpytest("--ml-score", "--ml-score-fail-under=0")
    assert passing.ret == pytest.ExitCode.OK
    failing = sample.runpytest(
        "--ml-score", "--ml-score-fail-under=1.5", "--ml-score-section-min=infra=2"
    )
    assert failing.ret == pytest.ExitCode.TESTS_FAILED
    failing.stdout.fnmatch_lines(
        [
            "ML Test Score gate failed: final score 0 is below --fail-under 1.5; "
            "section infra scored 1, below the minimum 2",
        ]
    )
    assert load(sample)["gate"]["passed"] is False


def test_unknown_id_in_marker_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest
        @pytest.mark.ml_score("infra.9")
        def test_x():
            pass
        @pytest.mark.ml_score()
        def test_y():
            pass
    """
    )
    result = pytester.runpytest("--ml-score")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*unknown ML Test Score id 'infra.9'*"])


def test_unknown_id_in_covers_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import mltestscore
        @mltestscore.covers("infra.0")
        def test_x():
            pass
    """
    )
    result = pytester.runpytest("--ml-score")
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*unknown ML Test Score id 'infra.0'*"])


def test_ini_setting_turns_it_on(sample: pytest.Pytester) -> None:
    sample.makeini("[pytest]\nml_score = true\n")
    result = sample.runpytest()
    result.stdout.fnmatch_lines(["*= ML Test Score =*"])


def test_malformed_table_is_reported_and_run_goes_on(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("""
        [tool.mltestscore]
        baseline = 3
        [tool.mltestscore.manual."data.1"]
        document = "missing.md"
        reviewer = "A"
        reviewed = "last week"
    """)
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score")
    result.stdout.fnmatch_lines(
        [
            "*configuration problem(s):",
            "*pyproject.toml: tool.mltestscore.baseline: expected a path string, got 3",
            '*tool.mltestscore.manual."data.1".reviewed: expected a date like 2026-01-31*',
        ]
    )
    report = load(pytester)
    assert len(report["config_problems"]) == 3
    assert len(report["tests"]) == 28


def test_raising_fixture_is_an_error_outcome_and_report_is_whole(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest
        @pytest.fixture
        def ml_scores():
            raise RuntimeError("feature store unreachable")
    """)
    pytester.makepyfile(
        test_x="""
        import mltestscore
        @mltestscore.check("model.2")
        def check_corr(scores):
            return True
        def test_other():
            pass
    """
    )
    result = pytester.runpytest("--ml-score")
    result.stdout.fnmatch_lines(
        ["*fixture ml_scores raised RuntimeError: feature store unreachable*"]
    )
    report = load(pytester)
    entry = report["tests"][8]
    assert entry["id"] == "model.2" and entry["status"] == "error"
    assert len(report["tests"]) == 28


def test_report_path_option_and_update_baseline_flag(sample: pytest.Pytester) -> None:
    result = sample.runpytest("--ml-score", "--ml-score-report=out/score.json")
    result.stdout.fnmatch_lines(["ML Test Score report written: *out/score.json"])
    assert load(sample, "out/score.json")["version"] == 1


def test_scale_2016(sample: pytest.Pytester) -> None:
    sample.runpytest("--ml-score", "--ml-score-scale=2016")
    report = load(sample)
    assert report["score"]["scale"] == "2016"
    by_id = {t["id"]: t for t in report["tests"]}
    assert by_id["infra.1"]["points"] == 2.0 and by_id["data.6"]["points"] == 1.0


def test_same_score_with_xdist(sample: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    sample.runpytest("--ml-score", "--ml-score-report=serial.json")
    sample.runpytest_subprocess("--ml-score", "-n", "2", "--ml-score-report=parallel.json")
    serial, parallel = load(sample, "serial.json"), load(sample, "parallel.json")
    assert parallel["score"] == serial["score"]
    assert [(t["id"], t["status"], t["points"]) for t in parallel["tests"]] == [
        (t["id"], t["status"], t["points"]) for t in serial["tests"]
    ]


def test_plugin_is_cheap_when_off() -> None:
    code = (
        "import sys, pytest\n"
        "rc = pytest.main(['--version'])\n"
        "heavy = [m for m in ('torch', 'pandas', 'numpy', 'great_expectations', 'pandera')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
        "import mltestscore.pytest_plugin.plugin\n"
        "print('LOADED', 'mltestscore.pytest_plugin.plugin' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
