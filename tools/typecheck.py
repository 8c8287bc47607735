"""mypy --strict over the package as it installs: ``python tools/typecheck.py [mypy args]``.

The repository's folders install into one namespace (pyproject's ``package-dir``:
``checks/`` is ``mltestscore.checks``, ``pytest_plugin/`` is ``mltestscore.pytest_plugin``,
``reference_model/`` is ``mltestscore.reference_model``). Run on the folders, mypy sees
``checks.x`` instead and resolves every ``mltestscore.checks.x`` import to ``Any``. So this
builds that layout as a tree of symlinks, ``build/typecheck/mltestscore/``, and checks
``-p mltestscore`` there: every first-party import resolves to its module, and a missing
one is an error (``ignore_missing_imports`` covers listed third-party modules only).

Paths in mypy's messages are mapped back to the files in the repository. ``.ci/run`` and
the nox session ``typecheck`` run this script.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = "build/typecheck"  # relative to the repository root
PACKAGE = "mltestscore"


def mapped_folders(root: Path = ROOT) -> dict[str, str]:
    """Subpackage name -> the repository folder it installs from (pyproject's package-dir,
    less the folders that already sit where they install)."""
    with (root / "pyproject.toml").open("rb") as f:
        package_dir: dict[str, str] = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    mapped = {}
    for name, folder in package_dir.items():
        if name == PACKAGE or folder.strip("/") == name.replace(".", "/"):
            continue
        sub = name.removeprefix(PACKAGE + ".")
        if sub == name or "." in sub:
            raise SystemExit(f"package-dir {name!r}: expected {PACKAGE}.<name>")
        mapped[sub] = folder.strip("/")
    return mapped


def build_tree(root: Path = ROOT, tree: Path = ROOT / TREE) -> Path:
    """``tree/mltestscore/``: symlinks to every entry of ``mltestscore/`` and to the mapped
    folders; rebuilt each run, so moved and new modules are seen."""
    package = tree / PACKAGE
    if tree.exists():
        shutil.rmtree(tree)
    package.mkdir(parents=True)
    links = {e.name: e for e in (root / PACKAGE).iterdir() if e.name != "__pycache__"}
    for name, folder in mapped_folders(root).items():
        if name in links:
            raise SystemExit(f"{PACKAGE}/{name} exists, and {folder}/ installs there too")
        links[name] = root / folder
    for name, target in sorted(links.items()):
        (package / name).symlink_to(target)
    return tree


def real_paths(text: str, tree: str = TREE) -> str:
    """``build/typecheck/mltestscore/checks/x.py`` -> ``checks/x.py`` in mypy's output."""
    prefix = re.escape(f"{tree}/{PACKAGE}/")
    folders = mapped_folders()
    if folders:
        names = "|".join(map(re.escape, folders))
        text = re.sub(rf"(?m)^{prefix}({names})/", lambda m: folders[m.group(1)] + "/", text)
    return re.sub(rf"(?m)^{prefix}", f"{PACKAGE}/", text)


def main(argv: list[str]) -> int:
    build_tree()
    env = {**os.environ, "MYPYPATH": TREE}
    command = [sys.executable, "-m", "mypy", "--strict", "-p", PACKAGE, *argv]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stdout.write(real_paths(done.stdout))
    sys.stderr.write(real_paths(done.stderr))
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
