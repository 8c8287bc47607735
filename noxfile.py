"""Sessions for mltestscore's development: tests, lint, typecheck, examples, benchmarks.

torch is installed first (``torch==2.13.0``) in every session that needs it: on a
machine without CUDA a plain ``torch`` requirement would fetch a multi-GB CUDA build.
Dependencies come from ``pyproject.toml`` (its extras).
"""

from __future__ import annotations

import re
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "examples"]
nox.options.reuse_existing_virtualenvs = True

TORCH = "torch==2.13.0"
PYPROJECT = nox.project.load_toml("pyproject.toml")
# The Pythons the classifiers promise, the floor (requires-python) first.
PYTHONS = [
    c.rsplit(" :: ", 1)[1]
    for c in PYPROJECT["project"]["classifiers"]
    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
]
# The deliberately broken copy fails by design; the test-suite checks it fails rightly.
EXAMPLES = sorted(
    p.name
    for p in Path("examples").iterdir()
    if (p / "conftest.py").exists() and not p.name.endswith("_broken")
)
DEEPCHECKS_PINS = PYPROJECT["project"]["optional-dependencies"]["deepchecks"]
# The linter the dev extra pins: lint judges with the same ruff as .ci/run.
RUFF = next(r for r in PYPROJECT["project"]["optional-dependencies"]["dev"] if r.startswith("ruff"))
# pandera.pyspark imports pyspark.pandas, which PySpark 4.3 cannot import under pandas 3.
SPARK_PANDAS2_PINS = ["pandas==2.2.3", "numpy>=2.0,<2.3"]


def install_project(session: nox.Session, extras: str = "dev") -> None:
    session.install(TORCH)
    session.install("-e", f".[{extras}]")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test-suite (fast: tiny recognizer config, small data). Pass pytest args after --."""
    install_project(session)
    session.run("python", "-m", "pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


@nox.session(python=PYTHONS, default=False)
def pythons(session: nox.Session) -> None:
    """The plugin's tests, and the packaging tests, on every Python the classifiers name."""
    install_project(session)
    session.run(
        "python", "-m", "pytest", "tests/plugin", "tests/test_project_config.py", *session.posargs
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install(RUFF)
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the installed layout (tools/typecheck.py; mypy args after --)."""
    install_project(session)
    session.run("python", "tools/typecheck.py", *session.posargs)


@nox.session
@nox.parametrize("example", EXAMPLES)
def examples(session: nox.Session, example: str) -> None:
    """Score each example project with pytest --ml-score (reports in examples/*/reports/)."""
    install_project(session)
    session.chdir(f"examples/{example}")
    session.run(
        "python",
        "-m",
        "pytest",
        "--ml-score",
        "--ml-score-report=reports/ml-score.json",
        "--ml-score-report=reports/ml-score.html",
        "--ml-score-report=reports/ml-score.md",
        "--ml-score-report=reports/badge.svg",
        *session.posargs,
    )


@nox.session(default=False)
def benchmarks(session: nox.Session) -> None:
    """Speed and memory benchmarks; each prints its numbers and the ratio to its comparison."""
    install_project(session)
    names = session.posargs or sorted(p.stem for p in Path("benchmarks").glob("bench_*.py"))
    for name in names:
        session.run("python", f"benchmarks/{name}.py")


@nox.session(default=False)
def deepchecks(session: nox.Session) -> None:
    """The deepchecks adapter, in its own environment with the old numeric stack it needs.

    The project goes in with --no-deps so pip keeps the pins; the drift benchmark's
    deepchecks row runs here too.
    """
    session.install(
        *DEEPCHECKS_PINS, "pytest", "pandera", "coverage", "jsonschema", "packaging", "psutil"
    )
    session.install("-e", ".", "--no-deps")
    session.run(
        "python", "-m", "pytest", "tests/deepchecks", "-p", "no:cacheprovider", *session.posargs
    )
    session.run(
        "python",
        "benchmarks/bench_drift.py",
        "--rows",
        "10000,100000",
        "--tools",
        "mltestscore,numpy,deepchecks",
    )


@nox.session(default=False)
def spark_pandas2(session: nox.Session) -> None:
    """pandera's PySpark backend (data.1/monitor.2 on Spark) under pandas 2.2.3.

    Under pandas 3 ``import pandera.pyspark`` fails inside PySpark 4.3 and those tests
    skip; here they run, with the rest of tests/engines. Only the spark, parquet and
    polars extras: no torch. Spark needs Java 17 (java on PATH or JAVA_HOME).
    """
    session.install(*SPARK_PANDAS2_PINS, "-e", ".[spark,parquet,polars]", "pytest")
    session.run("python", "-c", "import pandera.pyspark")  # the tests must run, not skip
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/engines",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"SPARK_LOCAL_IP": "127.0.0.1"},
    )


@nox.session(default=False)
def gpu(session: nox.Session) -> None:
    """GPU-only tests and the recognizer's gpu benchmark (needs CUDA; not run in CI)."""
    session.install("torch")
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-m", "gpu", *session.posargs)
    session.run("python", "benchmarks/bench_recognizer.py", "--gpu")
