"""Environment fingerprint (distributions, Python, platform, lockfiles) and its diff."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

import numpy
import pytest

from mltestscore.environment import (
    Fingerprint,
    diff,
    fingerprint,
    lockfile_hashes,
    normalize_name,
    version_change,
)


def test_fingerprint_reads_the_installed_environment(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("lock v1\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    (tmp_path / "notes.txt").write_text("not a lockfile\n")
    fp = fingerprint(tmp_path)
    assert fp.distributions["numpy"] == numpy.__version__
    assert "mltestscore" in fp.distributions
    assert fp.python == platform.python_version()
    assert fp.system == platform.system()
    assert fp.lockfiles == {
        "requirements-dev.txt": hashlib.sha256(b"pytest\n").hexdigest(),
        "uv.lock": hashlib.sha256(b"lock v1\n").hexdigest(),
    }


def test_fingerprint_round_trips_through_json_form() -> None:
    fp = Fingerprint(
        "3.11.7", "cpython", "Linux", "x86_64", "Linux-6", {"a": "1"}, {"uv.lock": "ab"}
    )
    assert Fingerprint.from_dict(fp.to_dict()) == fp
    with pytest.raises(ValueError, match=r"baseline\.json section monitor\.1"):
        Fingerprint.from_dict({"distributions": {}}, "baseline.json section monitor.1")


@pytest.mark.parametrize(
    ("before", "after", "kind", "level"),
    [
        ("1.26.4", "2.0.0", "upgraded", "major"),
        ("1.2.3", "1.3.0", "upgraded", "minor"),
        ("1.2.3", "1.2.4", "upgraded", "patch"),
        ("1.2", "1.2.post1", "upgraded", "patch"),
        ("2.1.0", "2.0.9", "downgraded", "minor"),
        ("1!1.0", "2.0", "downgraded", "major"),  # epochs decide
        ("not-a-version", "also-not", "changed", "other"),
    ],
)
def test_version_change_levels(before: str, after: str, kind: str, level: str) -> None:
    assert version_change(before, after) == (kind, level)


def test_diff_lists_every_kind_of_change() -> None:
    before = Fingerprint(
        "3.11.7", "cpython", "Linux", "x86_64", "",
        {"numpy": "1.26.4", "pandas": "2.2.3", "gone": "1.0", "same": "1.0"},
        {"uv.lock": "aaa", "requirements.txt": "r1"},
    )  # fmt: skip
    after = Fingerprint(
        "3.12.1", "cpython", "Linux", "aarch64", "",
        {"numpy": "2.0.0", "pandas": "2.2.2", "new": "0.1", "same": "1.0"},
        {"uv.lock": "bbb", "requirements.txt": "r1"},
    )  # fmt: skip
    changes = {(c.what, c.name): c for c in diff(before, after).changes}
    assert changes[("python", "python")].level == "minor"
    assert changes[("platform", "machine")].after == "aarch64"
    assert changes[("package", "numpy")].kind == "upgraded"
    assert changes[("package", "pandas")].kind == "downgraded"
    assert changes[("package", "gone")].kind == "removed"
    assert changes[("package", "new")].kind == "added"
    assert changes[("lockfile", "uv.lock")].kind == "changed"
    assert ("package", "same") not in changes
    assert ("lockfile", "requirements.txt") not in changes
    assert "numpy upgraded 1.26.4 → 2.0.0 (major)" in changes[("package", "numpy")].describe()
    assert not diff(before, before)


def test_names_are_normalized_and_lockfiles_sit_at_the_root(tmp_path: Path) -> None:
    assert normalize_name("Foo_Bar.baz") == "foo-bar-baz"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "uv.lock").write_text("x")
    assert lockfile_hashes(tmp_path) == {}
