"""What a check may know about the run beyond its inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CheckContext:
    """Run-level information handed to checks that declare a ``context`` parameter.

    ``root`` is the project root (where ``pyproject.toml`` lives);
    ``baseline_path`` the baseline file monitoring checks compare against;
    ``update_baseline`` is true when the run was asked to record a new baseline;
    ``options`` holds the ``[tool.mltestscore]`` table (already validated) for
    checks that read project-level declarations (feature modules, deny lists, …);
    ``shared`` is a per-run scratch dict so checks can reuse expensive results
    (a trained model, a trace) within one process.
    """

    root: Path
    baseline_path: Path
    update_baseline: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)
    feature_coverage: Any = None  # mltestscore.feature_coverage.FeatureCoverage when measured

    @classmethod
    def default(cls, root: Path | None = None) -> CheckContext:
        root = Path.cwd() if root is None else root
        return cls(root=root, baseline_path=root / ".mltestscore" / "baseline.json")
