"""``mltestscore report`` and ``write_report``; bad report files give one clear line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mltestscore import cli
from mltestscore.report import dumps, load_report
from mltestscore.reports import write_report


@pytest.fixture
def report_file(tmp_path: Path, sample_report: dict[str, Any]) -> Path:
    path = tmp_path / "ml-score.json"
    write_report(sample_report, path)
    return path


def test_write_report_dispatches_on_suffix(
    tmp_path: Path, sample_report: dict[str, Any], previous_report: dict[str, Any]
) -> None:
    for suffix, start in (
        (".json", "{"),
        (".html", "<!DOCTYPE html>"),
        (".md", "### ML Test"),
        (".svg", "<svg"),
    ):
        path = tmp_path / "out" / f"r{suffix}"
        write_report(sample_report, path, previous=previous_report)
        assert path.read_text(encoding="utf-8").startswith(start)
    assert load_report(tmp_path / "out" / "r.json") == json.loads(dumps(sample_report))
    with pytest.raises(ValueError, match=r"r\.pdf: unknown report format '\.pdf'"):
        write_report(sample_report, tmp_path / "r.pdf")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "r.html",
        "r.json",
        "r.md",
        "r.svg",
    ]  # no temporary files left behind


def test_report_command_renders_every_format(
    report_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = tmp_path / "previous.json"
    previous.write_text(report_file.read_text())
    outs = [tmp_path / "site" / "index.html", tmp_path / "summary.md", tmp_path / "badge.svg"]
    args = ["report", str(report_file), "--compare", str(previous)]
    for out in outs:
        args += ["-o", str(out)]
    assert cli.main(args) == 0
    assert all(out.exists() for out in outs)
    assert "Since the previous report" in outs[0].read_text()
    assert capsys.readouterr().out.count("wrote ") == 3


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "gate"])
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncate", "not valid JSON (truncated or corrupt?)"),
        ("version", "report version 99 is not supported; this mltestscore reads version 1"),
        ("missing", "report file not found"),
        ("invalid", "invalid report at score/final"),
    ],
)
def test_bad_report_files_get_one_clear_line_and_exit_2(
    report_file: Path,
    command: str,
    damage: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    text = report_file.read_text()
    if damage == "truncate":
        report_file.write_text(text[: len(text) // 2])
    elif damage == "version":
        report_file.write_text(text.replace('"version": 1', '"version": 99', 1))
    elif damage == "missing":
        report_file.unlink()
    else:
        data = json.loads(text)
        data["score"]["final"] = "high"
        report_file.write_text(json.dumps(data))
    args = [command, str(report_file)] + (
        ["-o", str(tmp_path / "x.html")] if command == "report" else []
    )
    code, err = _run(args, capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err and str(report_file) in err
    assert err.startswith(f"mltestscore {command}: ")
    assert not (tmp_path / "x.html").exists()


def test_bad_compare_file_and_bad_suffix(
    report_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "old.json"
    broken.write_text('{"schema": "mltestscore/report", "vers')
    code, err = _run(
        ["report", str(report_file), "-o", str(tmp_path / "a.html"), "--compare", str(broken)],
        capsys,
    )
    assert code == 2 and "old.json: not valid JSON" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", str(report_file), "-o", str(tmp_path / "a.pdf")])
    assert exc.value.code == 2
    assert "cannot tell the format of" in capsys.readouterr().err


def test_report_module_imports_light() -> None:
    code = (
        "import sys, mltestscore.reports.cli, mltestscore.reports; "
        "heavy = [m for m in ('numpy', 'jsonschema', 'torch', 'pandas', "
        "'mltestscore.reports.html') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_entry_renders(report_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "badge.svg"
    result = subprocess.run(
        [sys.executable, "-m", "mltestscore.cli", "report", str(report_file), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "ML Test Score" in out.read_text()


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("github", "::error title=ml-score gate::"),
        ("gitlab", "["),
        ("shields", '{\n  "schemaVersion": 1'),
        ("markdown", "### ML Test Score: 2 of 7"),
        ("terminal", "ML Test Score (2017 scale"),
        ("short", "ML Test Score 2 of 7"),
    ],
)
def test_report_command_prints_a_ci_format_to_stdout(
    report_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, start: str
) -> None:
    out = tmp_path / "badge.svg"
    assert cli.main(["report", str(report_file), "--print", fmt, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(start)
    assert "wrote " not in captured.out and f"wrote {out}" in captured.err  # stdout stays clean
    if fmt in ("gitlab", "shields"):
        json.loads(captured.out)


def test_report_command_needs_an_output_or_print(
    report_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(report_file)]) == 2
    assert "nothing to do: give -o OUT or --print FORMAT" in capsys.readouterr().err
