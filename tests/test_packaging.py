"""The wheel installs one namespace, ``mltestscore``, with the plugin entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (path,) = out.glob("mltestscore-*.whl")
    return path


def test_wheel_has_only_the_mltestscore_namespace(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {
        "mltestscore",
        f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info",
    }
    for generic in ("checks", "pytest_plugin", "reference_model"):
        assert not any(n.startswith(f"{generic}/") for n in names)
    for required in (
        "mltestscore/py.typed",
        "mltestscore/schemas/report-v1.json",
        "mltestscore/checks/__init__.py",
        "mltestscore/pytest_plugin/plugin.py",
        "mltestscore/reference_model/__init__.py",
    ):
        assert required in names, required
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]\nmltestscore = mltestscore.pytest_plugin.plugin" in text


def test_every_source_package_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    mapping = {
        "mltestscore": "mltestscore",
        "checks": "mltestscore/checks",
        "pytest_plugin": "mltestscore/pytest_plugin",
        "reference_model": "mltestscore/reference_model",
    }
    for folder, target in mapping.items():
        for source in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in source.parts:
                continue
            relative = source.relative_to(ROOT / folder).as_posix()
            assert f"{target}/{relative}" in names, f"{folder}/{relative} missing from the wheel"


def test_wheel_imports(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    code = (
        "import importlib, mltestscore\n"
        f"assert mltestscore.__file__.startswith({str(tmp_path / 'site')!r}), mltestscore.__file__\n"
        "for name in ('mltestscore.checks', 'mltestscore.pytest_plugin.plugin', 'mltestscore.cli',"
        " 'mltestscore.reference_model'):\n"
        "    importlib.import_module(name)\n"
        "for generic in ('checks', 'pytest_plugin', 'reference_model'):\n"
        "    try:\n"
        "        importlib.import_module(generic)\n"
        "    except ModuleNotFoundError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(f'top-level module {generic} is importable')\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
