"""The project's own configuration: one Python floor, told the same everywhere and kept.

``requires-python``'s floor is the lowest version classifier, ruff's ``target-version``
and mypy's ``python_version``; nothing the pytest plugin imports needs a newer Python.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PLUGIN = "mltestscore.pytest_plugin.plugin"


def version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def floor() -> tuple[int, int]:
    match = re.fullmatch(r">=\s*(3\.\d+)", PYPROJECT["project"]["requires-python"])
    assert match, "requires-python should be a plain floor: >=3.x"
    return version(match.group(1))


def test_the_floor_is_the_same_in_every_place_that_states_it() -> None:
    classifiers = PYPROJECT["project"]["classifiers"]
    pythons = sorted(
        version(c.rsplit(" :: ", 1)[1])
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert pythons, "no 'Programming Language :: Python :: 3.x' classifier"
    assert pythons[0] == floor(), (pythons, floor())
    # Every minor version from the floor up is named (no gap in what is promised).
    assert pythons == [(3, m) for m in range(floor()[1], pythons[-1][1] + 1)]
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    ruff = PYPROJECT["tool"]["ruff"]["target-version"]
    assert ruff == f"py3{floor()[1]}", ruff
    assert version(PYPROJECT["tool"]["mypy"]["python_version"]) == floor()


def test_the_floor_is_the_python_that_runs_the_tests_or_older() -> None:
    assert sys.version_info[:2] >= floor()


def _typeshed_versions() -> dict[str, tuple[int, int]]:
    """stdlib module -> the first Python that has it (typeshed's VERSIONS, shipped by mypy)."""
    mypy = pytest.importorskip("mypy")
    path = Path(mypy.__file__).parent / "typeshed" / "stdlib" / "VERSIONS"
    since = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, span = (part.strip() for part in line.split(":", 1))
            since[name] = version(span.split("-", 1)[0])
    return since


def test_the_plugin_imports_nothing_newer_than_the_floor() -> None:
    """What ``pytest`` loads in every run: each standard-library module exists on the floor
    Python, and each of our modules parses with the floor's grammar."""
    code = (
        "import json, sys\n"
        f"import {PLUGIN}\n"
        "print(json.dumps({name: getattr(m, '__file__', None) for name, m in"
        " list(sys.modules.items())}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: dict[str, str | None] = json.loads(out.stdout)
    since = _typeshed_versions()
    too_new = {
        name: since[name]
        for name in loaded
        if name in sys.stdlib_module_names and name in since and since[name] > floor()
    }
    assert not too_new, f"the plugin imports stdlib modules newer than {floor()}: {too_new}"
    ours = {n: f for n, f in loaded.items() if n.split(".")[0] == "mltestscore" and f}
    assert PLUGIN in ours
    for file in sorted(ours.values()):
        ast.parse(Path(file).read_text(), filename=file, feature_version=floor())


def test_typecheck_tree_is_the_installed_layout(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import typecheck
    finally:
        sys.path.remove(str(ROOT / "tools"))
    mapped = typecheck.mapped_folders()
    package_dir = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert {f"mltestscore.{name}": folder for name, folder in mapped.items()} == {
        k: v for k, v in package_dir.items() if k != "mltestscore"
    }
    tree = typecheck.build_tree(tree=tmp_path / "typecheck") / "mltestscore"
    assert (tree / "__init__.py").resolve() == ROOT / "mltestscore" / "__init__.py"
    for name, folder in mapped.items():
        assert (tree / name / "__init__.py").resolve() == ROOT / folder / "__init__.py"
    text = typecheck.real_paths(
        "build/typecheck/mltestscore/checks/x.py:1: error: ...\n"
        "build/typecheck/mltestscore/a.py:2: note: ...\n"
    )
    assert text == "checks/x.py:1: error: ...\nmltestscore/a.py:2: note: ...\n"


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    """A folder with an ``__init__.py`` that ``packages`` does not list works in an editable
    install and is missing from the wheel (test_packaging builds one; this is the quick check)."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = set()
    for name, folder in setuptools["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                found.add(".".join((name, *init.parent.relative_to(ROOT / folder).parts)))
    assert found == set(setuptools["packages"])
