"""The acceptance test on real architectures the suite was not tuned on (``corpus.py``):
every correct setup passes — no false FAIL, no ERROR — and each planted bug is caught by
the check that exists for it.

One test per setup, so that xdist spreads them; the verdicts come from step budgets, so
they hold on a loaded machine (``benchmarks/bench_smoke.py --corpus --load 2`` runs the
corpus beside two busy processes).
"""

from __future__ import annotations

import corpus
import pytest

from mltestscore.checks import smoke
from mltestscore.checks.smoke import FindingStatus


def _run(name: str) -> tuple[corpus.Setup, smoke.SmokeReport]:
    s = corpus.build(name)
    report = smoke.run(s.model, s.batch, s.loss_fn, optimizer=s.optimizer, data=s.data, **s.kwargs)
    return s, report


@pytest.mark.parametrize("name", sorted(corpus.CORRECT))
def test_a_correct_real_model_passes(name: str) -> None:
    _, report = _run(name)
    problems = [f"{f.name} ({f.status.value}): {f.message}" for f in report.failed + report.errors]
    assert report.passed and problems == []


#: the slowest twins of bugs a faster setup also plants (a decoder without its mask)
SLOW = {"resnet18_bn_momentum_0", "resnet_transformer_no_causal_mask"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(corpus.BUGGY)],
)
def test_a_planted_bug_is_caught_by_its_check(name: str) -> None:
    s, report = _run(name)
    assert not report.errors, [f.message for f in report.errors]
    assert {f.name for f in report.failed} & set(s.flags), (
        s.bug,
        [(f.name, f.message) for f in report.failed],
    )


def test_offsets_without_a_hook_skip_the_batch_checks_with_the_reason() -> None:
    _, report = _run("embedding_bag_no_hook")
    finding = report["batch_independence"]
    assert finding.status is FindingStatus.SKIP
    assert "offsets" in finding.message and "take_samples" in finding.message


def test_batchnorm_train_eval_gap_is_information_not_failure() -> None:
    s = corpus.build("bn_cnn_sgd")
    f = smoke.overfit_one_batch(s.model, s.batch, s.loss_fn, optimizer=s.optimizer)
    assert f.status is FindingStatus.PASS
    assert f.metrics["norm_layers"]
