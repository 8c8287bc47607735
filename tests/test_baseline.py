"""The baseline file: human-readable JSON, atomic, locked, recorded only on request."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from mltestscore import baseline
from mltestscore.baseline import BaselineError, compare_or_record, get_section, put_section
from mltestscore.context import CheckContext
from mltestscore.results import NotAutomated


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / ".mltestscore" / "baseline.json"
    assert baseline.load(path) == {}
    assert get_section(path, "monitor.6") is None


def test_put_then_get_round_trips_with_environment(tmp_path: Path) -> None:
    path = tmp_path / ".mltestscore" / "baseline.json"
    put_section(path, "monitor.6", {"p50_ms": 1.5, "rows": 32})
    put_section(path, "monitor.1", {"python": "3.11.7"})
    section = get_section(path, "monitor.6")
    assert section is not None
    assert section.data == {"p50_ms": 1.5, "rows": 32}
    assert set(section.recorded_on) == {
        "python",
        "platform",
        "machine",
        "cpus",
        "time",
        "mltestscore",
    }
    assert "recorded" in section.describe()
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["format"] == "mltestscore-baseline"
    assert list(document) == sorted(document)  # sorted keys: stable diffs in code review
    assert text.startswith("{\n  ")  # indented, human-readable
    assert not list(path.parent.glob("*.tmp"))  # no temporary file left behind


def test_rewriting_a_section_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    put_section(path, "monitor.6", {"p50_ms": 1.0})
    put_section(path, "monitor.7", {"metric_value": 0.9})
    put_section(path, "monitor.6", {"p50_ms": 2.0})
    assert get_section(path, "monitor.6").data == {"p50_ms": 2.0}  # type: ignore[union-attr]
    assert get_section(path, "monitor.7").data == {"metric_value": 0.9}  # type: ignore[union-attr]


def test_non_json_values_are_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    with pytest.raises(ValueError, match=r"monitor\.7"):
        put_section(path, "monitor.7", {"metric_value": float("nan")})
    with pytest.raises(ValueError, match="reserved"):
        put_section(path, "format", {})
    assert not path.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"format": "other"}', "'format'"),
        ('{"format": "mltestscore-baseline", "format_version": 99}', "format_version 99"),
        (
            '{"format": "mltestscore-baseline", "format_version": 1, "monitor.6": [1]}',
            "section 'monitor.6'",
        ),
    ],
)
def test_corrupt_file_is_a_clear_error_naming_it(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError, match=expected) as info:
        get_section(path, "monitor.6")
    assert str(path) in str(info.value)
    with pytest.raises(BaselineError):  # never overwritten: it may be a half-resolved merge
        put_section(path, "monitor.6", {"p50_ms": 1.0})
    assert path.read_text(encoding="utf-8") == text


def test_compare_or_record(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    reading = CheckContext(root=tmp_path, baseline_path=path)
    with pytest.raises(NotAutomated, match="--ml-score-update-baseline"):
        compare_or_record(reading, "monitor.6", {"p50_ms": 1.0})
    assert not path.exists()  # a first run does not record silently
    updating = CheckContext(root=tmp_path, baseline_path=path, update_baseline=True)
    assert compare_or_record(updating, "monitor.6", {"p50_ms": 1.0}) is None
    section = compare_or_record(reading, "monitor.6", {"p50_ms": 5.0})
    assert section is not None and section.data == {"p50_ms": 1.0}


def _write_keys(args: tuple[str, int]) -> None:
    path, worker = args
    for i in range(5):
        put_section(Path(path), f"w{worker}.{i}", {"worker": worker, "i": i})


def test_concurrent_writers_keep_every_section(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    with multiprocessing.get_context("spawn").Pool(4) as pool:  # separate processes, as xdist
        pool.map(_write_keys, [(str(path), w) for w in range(4)])
    document = baseline.load(path)
    assert {k for k in document if k.startswith("w")} == {
        f"w{w}.{i}" for w in range(4) for i in range(5)
    }
