"""Line and branch coverage of the team's declared feature modules (for data.7).

The pytest plugin starts a :class:`FeatureCoverage` early in the run when
``[tool.mltestscore] feature_modules = [...]`` is set, stops it at the end of
the session and hands it to checks as ``context.feature_coverage``. Entries are
importable module/package names (``"myproj.features"``) or paths relative to the
project root (``"src/myproj/features/"``). Only these are measured
(``coverage.Coverage(source=..., branch=True, data_file=None)``: in memory, no
``.coverage`` file, the team's own coverage configuration not read).

coverage.py pauses an outer measurement (pytest-cov) while this one runs.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _pct(covered: int, total: int) -> float:
    return 100.0 if total == 0 else round(100.0 * covered / total, 2)


class FeatureCoverage:
    """coverage.py restricted to ``modules``; ``report()`` gives a per-file table."""

    def __init__(self, modules: Sequence[str], root: Path | str = ".") -> None:
        if isinstance(modules, str) or not modules:
            raise ValueError(
                "feature_modules: expected a non-empty list of module names or paths, "
                f"got {modules!r}"
            )
        for module in modules:
            if not isinstance(module, str) or not module.strip():
                raise ValueError(f"feature_modules: entries are strings, got {module!r}")
        self.modules = tuple(modules)
        self.root = Path(root).resolve()
        self._coverage: Any = None
        self._running = False

    def _path(self, entry: str) -> Path | None:
        path = self.root / entry
        return path.resolve() if path.exists() else None

    def _sources(self) -> list[str]:
        """coverage.py ``source`` entries: directories and package names (a file → its folder)."""
        sources = []
        for module in self.modules:
            path = self._path(module)
            if path is None:
                sources.append(module)
            else:
                sources.append(str(path if path.is_dir() else path.parent))
        return list(dict.fromkeys(sources))

    @property
    def running(self) -> bool:
        return self._running

    def start(self, *, reload_imported: bool = False) -> None:
        """Start measuring. ``reload_imported`` re-executes declared modules imported earlier.

        A module imported before measurement starts shows its ``def``/``import``
        lines as missed; reloading runs them again under measurement (functions
        already imported elsewhere keep working and are still measured, as
        coverage maps lines by file).
        """
        import coverage

        if self._running:
            return
        self._coverage = coverage.Coverage(
            source=self._sources(), branch=True, data_file=None, config_file=False
        )
        self._coverage.start()
        self._running = True
        if reload_imported:
            for name in self.imported_modules():
                importlib.reload(sys.modules[name])

    def imported_modules(self) -> list[str]:
        """Already-imported modules that belong to a declared module name or path."""
        paths = [p for p in map(self._path, self.modules) if p is not None]
        dotted = [m for m in self.modules if self._path(m) is None]
        found = []
        for name, module in list(sys.modules.items()):
            if module is None:
                continue
            if any(name == d or name.startswith(d + ".") for d in dotted):
                found.append(name)
                continue
            filename = getattr(module, "__file__", None)
            if filename and any(Path(filename).resolve().is_relative_to(p) for p in paths):
                found.append(name)
        return sorted(found)

    def stop(self) -> None:
        if self._running and self._coverage is not None:
            self._coverage.stop()
        self._running = False

    def __enter__(self) -> FeatureCoverage:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _module_name(self, filename: str) -> str:
        path = Path(filename)
        if not path.is_absolute():
            path = Path.cwd() / path
        try:
            relative = path.resolve().relative_to(self.root)
        except ValueError:
            return path.stem
        parts = list(relative.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def _belongs(self, declared: str, module: str, filename: str) -> bool:
        path = self._path(declared)
        if path is not None:
            return Path(filename).resolve().is_relative_to(path)
        return f".{declared}." in f".{module}."

    def report(self) -> dict[str, Any]:
        """Per-file statements, missing, line %, branches, partial, branch %, and totals.

        ``unmeasured`` lists declared entries with no measured file (never
        imported, or not found).
        """
        from coverage.exceptions import NoDataError

        if self._coverage is None:
            raise RuntimeError("FeatureCoverage.report(): start() and stop() it first")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "coverage.json"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "module never imported": reported below
                try:
                    self._coverage.json_report(outfile=str(out), ignore_errors=True)
                    data = json.loads(out.read_text(encoding="utf-8"))
                except NoDataError:
                    data = {"files": {}}
        files = []
        for filename, entry in sorted(data.get("files", {}).items()):
            module = self._module_name(filename)
            if not any(self._belongs(d, module, filename) for d in self.modules):
                continue  # a sibling of a declared file, measured because of its folder
            summary = entry["summary"]
            statements, missing = summary["num_statements"], summary["missing_lines"]
            branches = summary.get("num_branches", 0)
            covered_branches = summary.get("covered_branches", 0)
            files.append(
                {
                    "module": module,
                    "file": filename,
                    "statements": statements,
                    "missing": missing,
                    "line_pct": _pct(statements - missing, statements),
                    "branches": branches,
                    "covered_branches": covered_branches,
                    "partial": summary.get("num_partial_branches", 0),
                    "branch_pct": _pct(covered_branches, branches),
                }
            )
        totals_statements = sum(f["statements"] for f in files)
        totals_missing = sum(f["missing"] for f in files)
        branches = sum(f["branches"] for f in files)
        covered = sum(f["covered_branches"] for f in files)
        unmeasured = [
            d
            for d in self.modules
            if not any(self._belongs(d, f["module"], f["file"]) for f in files)
        ]
        return {
            "modules": list(self.modules),
            "files": files,
            "totals": {
                "statements": totals_statements,
                "missing": totals_missing,
                "line_pct": _pct(totals_statements - totals_missing, totals_statements),
                "branches": branches,
                "branch_pct": _pct(covered, branches),
            },
            "unmeasured": unmeasured,
        }
