from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mltestscore.settings import load_settings, parse_section_min


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    return tmp_path


GOOD = """
[tool.mltestscore]
scale = "2016"
fail_under = 2
section_min = {monitor = 1.5}
report = ["out/r.json", "out/r.html"]
feature_modules = ["pkg.features"]

[tool.mltestscore.thresholds."model.6"]
min_metric = 0.8

[tool.mltestscore.manual."data.6"]
document = "docs/features.md"
reviewer = "Ada Lovelace"
reviewed = 2026-06-01
expires_days = 200
"""


def test_good_table(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/features.md").write_text("x")
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.problems == ()
    assert settings.scale == "2016"
    assert settings.fail_under == 2.0
    assert settings.section_min == {"monitor": 1.5}
    assert settings.json_report == tmp_path / "out/r.json"
    assert settings.thresholds == {"model.6": {"min_metric": 0.8}}
    assert settings.options["feature_modules"] == ["pkg.features"]
    entry = settings.manual["data.6"]
    assert entry.reviewer == "Ada Lovelace"
    assert entry.expires == dt.date(2026, 12, 18)


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        (
            '[tool.mltestscore.manual."data.9"]\ndocument = "x"',
            'manual."data.9"',
            "unknown rubric id",
        ),
        (
            '[tool.mltestscore.manual."data.1"]\ndocument = "https://wiki/x"\nreviewer = "A"\nreviewed = "yesterday"',
            'manual."data.1".reviewed',
            "expected a date like 2026-01-31, got 'yesterday'",
        ),
        (
            '[tool.mltestscore.manual."data.1"]\ndocument = "https://wiki/x"\nreviewed = 2026-01-01',
            'manual."data.1".reviewer',
            "missing",
        ),
        (
            '[tool.mltestscore.manual."data.1"]\ndocument = 3\nreviewer = "A"\nreviewed = 2026-01-01',
            'manual."data.1".document',
            "expected a non-empty string, got 3",
        ),
        (
            '[tool.mltestscore.manual."data.1"]\ndocument = "nope.md"\nreviewer = "A"\nreviewed = 2026-01-01',
            'manual."data.1".document',
            "not found",
        ),
        (
            '[tool.mltestscore.manual."data.1"]\ndocument = "https://x"\nreviewer = "A"\nreviewed = 2026-01-01\nexpires_days = "soon"',
            'manual."data.1".expires_days',
            "expected a whole number of days",
        ),
        ("[tool.mltestscore]\nscale = 2018", "scale", 'expected "2017" or "2016"'),
        ('[tool.mltestscore]\nfail_under = "high"', "fail_under", "expected a number"),
        ("[tool.mltestscore]\nsection_min = {ops = 1}", "section_min.ops", "unknown section"),
        ('[tool.mltestscore]\nfeature_modules = "pkg"', "feature_modules", "list of strings"),
        ("[tool.mltestscore]\nfail_undr = 2", "fail_undr", "unknown key"),
        ('[tool.mltestscore]\nreport = "r.pdf"', "report", "expected a path ending in"),
        ('[tool.mltestscore.thresholds."x.1"]\na = 1', 'thresholds."x.1"', "unknown rubric id"),
    ],
)
def test_malformed_entries_name_file_key_expectation(
    tmp_path: Path, table: str, key: str, expected: str
) -> None:
    settings = load_settings(write(tmp_path, table))
    assert settings.problems, "expected a problem"
    problem = settings.problems[0]
    assert problem.file == str(tmp_path / "pyproject.toml")
    assert problem.key == f"tool.mltestscore.{key}"
    assert expected in problem.message


def test_rejected_manual_entry_earns_nothing_and_says_why(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            '[tool.mltestscore.manual."data.1"]\ndocument = "gone.md"\nreviewer = "A"\nreviewed = 2026-01-01',
        )
    )
    assert "data.1" not in settings.manual
    assert "gone.md" in settings.manual_problems["data.1"]


def test_invalid_toml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[tool.mltestscore\nscale="))
    assert settings.problems[0].key == "(file)"
    assert "not valid TOML" in settings.problems[0].message


def test_no_pyproject_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.scale == "2017" and settings.problems == ()


@pytest.mark.parametrize("text", ["monitor", "ops=1", "monitor=x", "monitor=-1"])
def test_section_min_parse_errors(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("(", r"\(")):
        parse_section_min(text)


def test_section_min_parse() -> None:
    assert parse_section_min("monitor=1.5") == ("monitor", 1.5)
