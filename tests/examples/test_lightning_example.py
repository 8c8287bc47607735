"""The Lightning + MLflow example (examples/lightning): its glue stays small and collects.

Scoring it trains the recognizer (minutes on two cores): that is the nox `examples`
session. Here: the conftest is at most a quarter of the recognizer's, and the project
collects the 28 rubric items with the extras installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LIGHTNING = EXAMPLES / "lightning"


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_conftest_is_at_most_a_quarter_of_the_recognizer_glue() -> None:
    assert lines(LIGHTNING / "conftest.py") <= 100
    assert lines(LIGHTNING / "conftest.py") * 4 <= lines(EXAMPLES / "recognizer" / "conftest.py")


def test_the_project_collects_every_rubric_item() -> None:
    pytest.importorskip("lightning")
    pytest.importorskip("mlflow")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--ml-score", "--collect-only", "-q"],
        cwd=LIGHTNING, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert sum("ml-score::" in line for line in done.stdout.splitlines()) >= 28
