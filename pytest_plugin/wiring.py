"""Collection-time wiring: the rubric's items, the team's checks and contracts as items.

At collection the session plugin (:mod:`.session`) turns every registered check into a
:class:`~.items.CheckItem`: the team's ``@mltestscore.check`` functions where pytest finds
them, then one item per built-in check under a single ``ml-score`` node, one per contract
in ``[tool.mltestscore] contract_modules`` and the error-analysis item. Threshold
overrides that no check of their id accepts are found here, before anything runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore.manual import ConfigProblem
from mltestscore.pytest_plugin.items import (
    RUBRIC_PREFIX,
    RubricCollector,
    check_callable,
    error_analysis_callable,
    make_check_item,
)
from mltestscore.registry import CheckSpec, spec_for
from mltestscore.settings import Settings

if TYPE_CHECKING:
    from mltestscore.pytest_plugin.session import MLScoreSession


def team_items(
    session: MLScoreSession,
    collector: pytest.Collector,
    name: str,
    obj: Any,
    ids: Sequence[str],
) -> list[pytest.Item]:
    """The items of one team check function (one per rubric id it checks)."""
    specs = [spec_for(i, obj, builtin=False) for i in ids]
    session.team_specs.extend(specs)
    return [
        make_check_item(
            collector,
            name if i == 0 else f"{name}[{s.test_id}]",
            check_callable(session, s, ids if i == 0 else [s.test_id]),
            ids if i == 0 else [s.test_id],
            s.source,
            origin=inspect.unwrap(obj),
        )
        for i, s in enumerate(specs)
    ]


def rubric_items(
    session: MLScoreSession,
    node: pytest.Session,
    items: list[pytest.Item],
    builtin: dict[str, CheckSpec],
) -> list[pytest.Item]:
    """The built-in checks in rubric order, the contracts and the error analysis."""
    parent = _common_parent(items, node)
    # One name everywhere: the node id, the -v line, failure headers and skip lines
    # all read ml-score::data.1, whichever directory holds the team's conftest.
    rubric = RubricCollector.from_parent(parent, name=RUBRIC_PREFIX, nodeid=RUBRIC_PREFIX)
    new: list[pytest.Item] = []
    for test_id in sorted(builtin, key=_order):
        spec = builtin[test_id]
        new.append(
            make_check_item(
                rubric,
                spec.test_id,
                check_callable(session, spec, [spec.test_id]),
                [spec.test_id],
                spec.source,
                f"{RUBRIC_PREFIX}::{spec.test_id}",
            )
        )
    new.extend(contract_items(session, rubric))
    new.append(
        make_check_item(
            rubric,
            "error-analysis",
            error_analysis_callable(),
            [],
            "error-analysis",
            f"{RUBRIC_PREFIX}::error-analysis",
        )
    )
    return new


def unaccepted_thresholds(
    settings: Settings, builtin: dict[str, CheckSpec], team_specs: list[CheckSpec]
) -> dict[str, list[ConfigProblem]]:
    """Threshold overrides no check of their id accepts, or of the wrong type."""
    from mltestscore.registry import threshold_problems

    found: dict[str, list[ConfigProblem]] = {}
    for test_id, overrides in settings.thresholds.items():
        specs = [builtin[test_id], *(s for s in team_specs if s.test_id == test_id)]
        for name, value in overrides.items():
            takers = [s for s in specs if name in s.thresholds]
            checked = takers or specs[:1]
            messages = [m for s in checked for _, m in threshold_problems(s, {name: value})]
            if messages and (not takers or len(messages) == len(takers)):
                found.setdefault(test_id, []).append(
                    ConfigProblem(
                        settings.file,
                        f'tool.mltestscore.thresholds."{test_id}".{name}',
                        messages[0],
                        blocking=True,
                    )
                )
    return found


def contract_items(session: MLScoreSession, rubric: RubricCollector) -> list[pytest.Item]:
    """One item per contract found in ``[tool.mltestscore] contract_modules``."""
    modules = session.settings.options.get("contract_modules")
    if not modules:
        return []
    from mltestscore.contracts import CONTRACT_IDS, contract_check, discover

    try:
        found = discover(modules)
    except ImportError as exc:
        raise pytest.UsageError(f"{session.settings.file}: {exc}") from None
    items: list[pytest.Item] = []
    for name, obj, contract in found:
        check = contract_check(name, obj, contract)
        # The plugin's item: its source reads check:<the session module>.contract[name].
        check.__module__ = type(session).__module__
        spec = spec_for(CONTRACT_IDS[0], check, builtin=False)
        items.append(
            make_check_item(
                rubric,
                f"contract[{name}]",
                check_callable(session, spec, list(CONTRACT_IDS)),
                list(CONTRACT_IDS),
                spec.source,
                f"{RUBRIC_PREFIX}::contract[{name}]",
            )
        )
    return items


def _common_parent(items: list[pytest.Item], session: pytest.Session) -> pytest.Collector:
    """The deepest directory node above every collected item (conftest fixtures stay visible)."""
    chains = [
        [n for n in item.listchain() if isinstance(n, (pytest.Directory, pytest.Session))]
        for item in items
    ]
    if not chains:
        return session
    common: pytest.Collector = session
    for nodes in zip(*chains, strict=False):  # the shortest chain bounds the walk
        if all(n is nodes[0] for n in nodes):
            common = nodes[0]
        else:
            break
    return common


def _order(test_id: str) -> tuple[int, int]:
    from mltestscore.rubric import SECTIONS

    section, number = test_id.split(".")
    # data.7 measures coverage of the team's tests: run it last.
    last = 1 if test_id == "data.7" else 0
    return (last, SECTIONS.index(section) * 10 + int(number))
