"""The acceptance test: smoke.run flags ≥ 90 % of the buggy zoo and none of the correct
setups, each bug through a finding that exists to catch it.

"Flagged" means at least one finding *failed*; warnings do not count. Each setup runs once
per process (the reports are cached), and the whole zoo in two tests, so that xdist
workers do not run it twice.
"""

from __future__ import annotations

import re

import pytest
import zoo

from mltestscore.checks import smoke

# the broadcasting bugs of the zoo make torch warn, as it should
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")

_REPORTS: dict[str, smoke.SmokeReport] = {}


def report(name: str) -> smoke.SmokeReport:
    if name not in _REPORTS:
        s = zoo.build(name)
        _REPORTS[name] = smoke.run(
            s.model, s.batch, s.loss_fn, optimizer=s.optimizer, data=s.data, **s.kwargs
        )
    return _REPORTS[name]


def test_the_zoo_is_big_and_varied_enough() -> None:
    assert len(zoo.BUGGY) >= 16 and len(zoo.CORRECT) >= 4
    kinds = {zoo.build(n).bug for n in zoo.BUGGY}
    assert len(kinds) >= 10, kinds
    for required in ("mlp_digits", "cnn_digits", "binary_cancer", "gru_digits"):
        assert required in zoo.CORRECT


def test_no_correct_setup_is_flagged() -> None:
    problems = {
        name: [f"{f.name} ({f.status.value}): {f.message}" for f in r.failed + r.errors]
        for name in zoo.CORRECT
        if (r := report(name)).failed or r.errors
    }
    assert problems == {}


def test_buggy_setups_are_flagged_by_the_findings_made_for_them() -> None:
    flagged = [n for n in zoo.BUGGY if not report(n).passed]
    rate = len(flagged) / len(zoo.BUGGY)
    assert rate >= 0.9, (
        f"flagged {len(flagged)}/{len(zoo.BUGGY)}: missed {set(zoo.BUGGY) - set(flagged)}"
    )
    wrong = {}
    for name in zoo.BUGGY:
        s, r = zoo.build(name), report(name)
        failed = {f.name for f in r.failed}
        if r.errors or not failed & set(s.flags):
            wrong[name] = f"{s.bug}: failed {sorted(failed)}, expected one of {s.flags}"
        for f in r.failed:
            assert re.search(r"\d|`", f.message), f.message  # evidence: numbers or names
            assert "—" in f.message or ":" in f.message  # the problem, then what to do
    assert wrong == {}


@pytest.mark.parametrize("name", ["log_likelihood_sign", "gradient_ascent_optimizer"])
def test_a_flipped_sign_is_diagnosed_as_rising(name: str) -> None:
    overfit = report(name)["overfit_one_batch"]
    assert overfit.metrics["diagnosis"] == "rising"
    assert "sign" in overfit.message
