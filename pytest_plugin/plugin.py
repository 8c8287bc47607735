"""pytest entry point (``pytest11``) for mltestscore.

Loaded into every pytest run where mltestscore is installed, so it imports only
pytest and the standard library until ``--ml-score`` (or ``ml_score = true``)
turns the plugin on. State lives on ``config.stash``; the session object is
registered only when enabled and unregistered in ``pytest_unconfigure``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mltestscore.pytest_plugin.options import add_options

if TYPE_CHECKING:
    from mltestscore.feature_coverage import FeatureCoverage
    from mltestscore.pytest_plugin.session import MLScoreSession

session_key: pytest.StashKey[MLScoreSession] = pytest.StashKey()
coverage_key: pytest.StashKey[FeatureCoverage] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _enabled(config: pytest.Config) -> bool:
    if config.getoption("no_ml_score", False):
        return False
    return bool(config.getoption("ml_score", False) or config.getini("ml_score"))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """Start coverage of declared feature modules before conftests import them (data.7)."""
    namespace = early_config.known_args_namespace
    if getattr(namespace, "no_ml_score", False):
        return
    if not getattr(namespace, "ml_score", False):
        try:
            if not early_config.getini("ml_score"):
                return
        except (ValueError, KeyError):
            return
    from mltestscore.settings import load_settings

    settings = load_settings(early_config.rootpath, _pyproject(early_config))
    modules = settings.options.get("feature_modules")
    if not modules or getattr(namespace, "cov_source", None):
        # With pytest-cov measuring, a second tracer would starve it: data.7 then
        # measures through ml_feature_tests instead.
        return
    try:
        from mltestscore.feature_coverage import FeatureCoverage
    except ImportError:
        return
    coverage = FeatureCoverage(modules, settings.root)
    coverage.start()
    early_config.stash[coverage_key] = coverage


def _pyproject(config: pytest.Config) -> Path | None:
    inipath = config.inipath
    if inipath is not None and inipath.name == "pyproject.toml":
        return inipath
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ml_score(*ids): this test is evidence for the given ML Test Score rubric ids "
        '(e.g. "infra.1"); the id earns its point when all its tests pass',
    )
    if not _enabled(config):
        return
    from mltestscore.pytest_plugin.session import MLScoreSession
    from mltestscore.settings import load_settings

    settings = load_settings(config.rootpath, _pyproject(config))
    invocation = config.invocation_params.dir
    cli_reports = tuple(
        (kind, p if p.is_absolute() else invocation / p)
        for kind, p in config.getoption("ml_score_report")
    )
    section_min = dict(settings.section_min)
    section_min.update(dict(config.getoption("ml_score_section_min")))
    compare = config.getoption("ml_score_compare")
    settings = settings.with_overrides(
        scale=config.getoption("ml_score_scale"),
        fail_under=config.getoption("ml_score_fail_under"),
        section_min=section_min,
        reports=cli_reports or None,
        update_baseline=config.getoption("ml_score_update_baseline") or None,
        compare_to=(invocation / compare) if compare is not None else None,
        strict=config.getoption("ml_score_strict"),
        report_only=config.getoption("ml_score_report_only"),
        terminal=config.getoption("ml_score_terminal"),
        mlflow_run=config.getoption("ml_score_mlflow_run"),
    )
    blocking = settings.blocking_problems
    if blocking:
        # A mistake in a gate or threshold key (or any key under strict) changes what
        # passes: stop before running anything, exit code 4 like a bad option.
        why = "strict = true" if settings.strict else "they configure the gate or thresholds"
        raise pytest.UsageError(
            *(f"ML Test Score configuration: {p}" for p in blocking),
            f"(fix the {len(blocking)} problem(s) above; {why})",
        )
    coverage = config.stash.get(coverage_key, None)
    plugin = MLScoreSession(config, settings, coverage)
    config.stash[session_key] = plugin
    config.pluginmanager.register(plugin, "mltestscore-session")


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(session_key, None)
    if plugin is not None:
        del config.stash[session_key]
        config.pluginmanager.unregister(plugin)
    coverage = config.stash.get(coverage_key, None)
    if coverage is not None:
        del config.stash[coverage_key]
        coverage.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    plugin = config.stash.get(session_key, None)
    if plugin is None:
        return None
    settings = plugin.settings
    return f"mltestscore: ML Test Score on ({settings.scale} scale), settings from {settings.file}"
