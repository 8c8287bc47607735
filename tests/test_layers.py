"""The direction of imports (docs/architecture.md), read from the source so it cannot regress.

- core (``mltestscore/``) never imports ``mltestscore.checks``: only the one loader may
  import the package itself (``runner.py`` registers the built-in checks, ``cli.py``
  lists them);
- the plugin (``pytest_plugin/``) never imports ``mltestscore.checks``: it wires, the
  library judges;
- ``mltestscore/reports/`` never imports torch;
- every core module imports on its own, whichever is imported first (the packages that
  import each other, ``stats`` and ``engines``, stay free of import cycles).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "mltestscore"
PLUGIN = ROOT / "pytest_plugin"
CHECKS = "mltestscore.checks"
# The single loader: these files may import the package mltestscore.checks (no submodule).
LOADERS = {CORE / "runner.py", CORE / "cli.py"}
LOADER_IMPORTS = {CHECKS, f"{CHECKS}.LOAD_ERRORS"}


def _module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _imports(path: Path, root: Path, package: str) -> Iterator[tuple[int, str]]:
    """``(line, absolute module name)`` for every import in ``path``, nested ones included.

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule); relative
    imports are resolved; ``importlib.import_module("...")`` with a literal name counts.
    """
    name = _module_name(path, root, package)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_core_never_imports_the_checks() -> None:
    found = []
    for path in _sources(CORE):
        for line, module in _imports(path, CORE, "mltestscore"):
            if not _within(module, CHECKS):
                continue
            if path in LOADERS and module in LOADER_IMPORTS:
                continue  # the loader imports the package, which registers every check
            found.append(f"{_relative(path)}:{line} imports {module}")
    assert not found, "core imports the checks (see docs/architecture.md):\n" + "\n".join(found)


def test_the_plugin_never_imports_the_checks() -> None:
    found = [
        f"{_relative(path)}:{line} imports {module}"
        for path in _sources(PLUGIN)
        for line, module in _imports(path, PLUGIN, "mltestscore.pytest_plugin")
        if _within(module, CHECKS)
    ]
    assert not found, "the plugin imports the checks:\n" + "\n".join(found)


def test_reports_never_import_torch() -> None:
    found = [
        f"{_relative(path)}:{line} imports {module}"
        for path in _sources(CORE / "reports")
        for line, module in _imports(path, CORE, "mltestscore")
        if _within(module, "torch") or _within(module, CHECKS)
    ]
    assert not found, "reports import torch or the checks:\n" + "\n".join(found)


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The walker finds nested, relative and dynamic imports (so a pass means something)."""
    pkg = tmp_path / "mltestscore" / "reports"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from ..checks import stats\n", encoding="utf-8")
    (pkg / "x.py").write_text(
        "def f():\n    import torch.nn\n    importlib.import_module('mltestscore.checks.data')\n",
        encoding="utf-8",
    )
    root = tmp_path / "mltestscore"
    seen = {m for p in _sources(root) for _, m in _imports(p, root, "mltestscore")}
    assert {"mltestscore.checks", "mltestscore.checks.stats", "torch.nn"} <= seen
    assert "mltestscore.checks.data" in seen


def test_every_core_module_imports_on_its_own() -> None:
    names = [
        _module_name(p, CORE, "mltestscore") for p in _sources(CORE) if p.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"names = {names!r}\n"
        "bad = []\n"
        "reports = [n for n in names if n.startswith('mltestscore.reports')]\n"
        "for name in [*reports, 'mltestscore.error_analysis', 'mltestscore.analysis_types']:\n"
        "    importlib.import_module(name)\n"
        "if 'torch' in sys.modules:\n"
        "    bad.append('importing the reports loaded torch')\n"
        "for name in names:\n"
        "    for key in [k for k in sys.modules if k.split('.')[0] == 'mltestscore']:\n"
        "        del sys.modules[key]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        bad.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", done.stdout
