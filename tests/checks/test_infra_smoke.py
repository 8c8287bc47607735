"""infra.2: the model spec is unit tested by the smoke suite (plus its declared contract)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

import mltestscore
from mltestscore.checks.infra.infra2_unit_tested import shrink
from mltestscore.results import Status
from mltestscore.runner import run_builtin

GEN = torch.Generator().manual_seed(0)
INPUTS = torch.randn(16, 8, generator=GEN)
LABELS = torch.randint(0, 3, (16,), generator=GEN)
BINARY = (INPUTS[:, :1] > 0).float()


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def adam(params: Any) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-2)


def mlp(out: int = 3) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, out))


@mltestscore.model_contract(output_range=(0.0, 1.0), deterministic_eval=True)
class Probability(nn.Module):
    def __init__(self, squash: bool) -> None:
        super().__init__()
        self.body, self.squash = mlp(1), squash

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return torch.sigmoid(out) if self.squash else out  # planted: forgot the sigmoid


@mltestscore.model_contract(deterministic_eval=True)
class AlwaysDropout(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.dropout(self.body(x), p=0.5, training=True)  # ignores eval()


@mltestscore.model_contract(input={"shape": (None, 4), "dtype": "float32"})
class ExpectsFourFeatures(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out


def test_healthy_model_passes_with_findings_as_evidence() -> None:
    ev = run_builtin(
        "infra.2",
        {
            "model": mlp(),
            "batch": (INPUTS, LABELS),
            "loss_fn": nn.functional.cross_entropy,
            "optimizer": adam,
        },
    )
    assert ev.status is Status.PASS, ev.message
    names = [f["name"] for f in ev.evidence["findings"]]
    assert {"overfit_one_batch", "params_update", "initial_loss"} <= set(names)
    assert ev.evidence["contract"] is None
    assert len(json.dumps(ev.evidence)) < 20_000


def test_negated_loss_fails_with_the_suites_diagnosis() -> None:
    def negated(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return -nn.functional.cross_entropy(output, target)

    ev = run_builtin(
        "infra.2",
        {"model": mlp(), "batch": (INPUTS, LABELS), "loss_fn": negated, "optimizer": adam},
    )
    assert ev.status is Status.FAIL
    failed = [f["name"] for f in ev.evidence["findings"] if f["status"] == "fail"]
    assert "overfit_one_batch" in failed
    assert failed[0] in ev.next_step and "minus sign" in ev.next_step


def test_contract_output_range_is_checked() -> None:
    bce = nn.functional.binary_cross_entropy
    ok = run_builtin(
        "infra.2",
        {
            "model": Probability(squash=True),
            "batch": (INPUTS, BINARY),
            "loss_fn": bce,
            "optimizer": adam,
        },
    )
    contract_rows = [f for f in ok.evidence["findings"] if f["name"].startswith("contract_")]
    assert {f["name"] for f in contract_rows} >= {
        "contract_output_range",
        "contract_deterministic_eval",
    }
    assert all(f["status"] == "pass" for f in contract_rows)
    assert ok.evidence["contract"]["output_range"] == [0.0, 1.0]
    logits = nn.functional.binary_cross_entropy_with_logits
    bad = run_builtin(
        "infra.2",
        {
            "model": Probability(squash=False),
            "batch": (INPUTS, BINARY),
            "loss_fn": logits,
            "optimizer": adam,
        },
    )
    assert bad.status is Status.FAIL
    assert "contract_output_range" in bad.message
    assert "outside the declared range [0.0, 1.0]" in bad.next_step


def test_contract_deterministic_eval_fails_for_dropout_in_eval() -> None:
    ev = run_builtin(
        "infra.2",
        {
            "model": AlwaysDropout(),
            "batch": (INPUTS, LABELS),
            "loss_fn": nn.functional.cross_entropy,
            "optimizer": adam,
        },
    )
    assert ev.status is Status.FAIL
    row = next(f for f in ev.evidence["findings"] if f["name"] == "contract_deterministic_eval")
    assert row["status"] == "fail" and row["metrics"]["mismatched"] > 0


def test_contract_input_spec_is_checked_on_the_batch() -> None:
    ev = run_builtin(
        "infra.2",
        {
            "model": ExpectsFourFeatures(),
            "batch": (INPUTS, LABELS),
            "loss_fn": nn.functional.cross_entropy,
            "optimizer": adam,
        },
    )
    assert ev.status is Status.FAIL and "contract_input" in ev.message
    row = next(f for f in ev.evidence["findings"] if f["name"] == "contract_input")
    assert "shape (16, 8) does not match (None, 4)" in row["message"]


def test_not_automated_for_other_models_and_missing_inputs() -> None:
    ev = run_builtin("infra.2", {"model": lambda x: x, "batch": (INPUTS, LABELS)})
    assert ev.status is Status.NOT_AUTOMATED
    assert "torch.nn.Module" in ev.message and "scikit-learn estimator" in ev.message
    ev = run_builtin(
        "infra.2",
        {
            "model": LogisticRegression(),
            "batch": (INPUTS, LABELS),
            "loss_fn": nn.functional.cross_entropy,
        },
    )
    assert ev.status is Status.NOT_AUTOMATED and "ml_train_data" in ev.message
    ev = run_builtin("infra.2", {"model": mlp()})
    assert ev.status is Status.NOT_AUTOMATED
    assert "needs ml_batch and ml_loss_fn" in ev.message
    ev = run_builtin("infra.2", {"model": mlp(), "batch": (INPUTS, LABELS)})
    assert ev.status is Status.NOT_AUTOMATED and "needs ml_loss_fn:" in ev.message


def iris_frame() -> Any:
    from sklearn.datasets import load_iris

    return load_iris(as_frame=True).frame  # 4 float columns + "target"


def test_a_scikit_learn_estimator_gets_its_spec_test() -> None:
    import pandera.pandas as pa
    from sklearn.ensemble import RandomForestClassifier

    frame = iris_frame()
    forest = RandomForestClassifier(n_estimators=10, random_state=0)
    forest.fit(frame.drop(columns="target"), frame["target"])
    schema = pa.DataFrameSchema({c: pa.Column("float32") for c in frame.columns[:4]})
    ev = run_builtin(
        "infra.2",
        {"model": forest, "train_data": frame, "target": "target", "schema": schema},
        thresholds={"subset_rows": 60},
    )
    assert ev.status is Status.PASS, ev.message
    names = [f["name"] for f in ev.evidence["findings"]]
    assert names == [
        "fit_subset", "deterministic_predict", "predict_proba", "schema_dtypes",
        "clone_refits_identically",
    ]  # fmt: skip
    assert ev.evidence["subset_rows"] == 60


def test_an_unseeded_estimator_fails_its_spec_test() -> None:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)  # noisy labels: two unseeded forests never agree on all rows
    x, y = rng.normal(size=(300, 4)), rng.integers(0, 3, 300)
    forest = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=None).fit(x, y)
    ev = run_builtin("infra.2", {"model": forest, "train_data": (x, y)})
    assert ev.status is Status.FAIL
    assert "clone_refits_identically" in ev.message and "random_state is None" in ev.message


def test_shrink_downsamples_long_curves() -> None:
    curve = [float(i) for i in range(500)]
    small = shrink({"losses": curve, "nested": {"x": 0.123456789}})
    assert len(small["losses"]) == 20 and small["losses"][0] == 0.0
    assert small["losses"][-1] == 499.0 and small["nested"]["x"] == 0.123457


def test_smoke_options_reach_the_suite_and_unknown_keys_are_named() -> None:
    def no_zero_grad(model: nn.Module, batch: Any, opt: Any, step: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()  # gradients of every step add up
        opt.step()
        return loss

    inputs = {
        "model": mlp(),
        "batch": (INPUTS, LABELS),
        "loss_fn": nn.functional.cross_entropy,
        "optimizer": adam,
    }
    ev = run_builtin("infra.2", {**inputs, "smoke_options": {"train_step": no_zero_grad}})
    assert ev.status is Status.FAIL and "training_step" in ev.message
    bad = run_builtin("infra.2", {**inputs, "smoke_options": {"train_stp": no_zero_grad}})
    assert bad.status is Status.ERROR and "train_stp" in bad.message


def test_a_fit_the_time_cap_cuts_short_is_not_a_pass() -> None:
    slow = {
        "model": mlp(),
        "batch": (INPUTS, LABELS),
        "loss_fn": nn.functional.cross_entropy,
        "optimizer": lambda p: torch.optim.SGD(p, lr=1e-5),
        "smoke_options": {"max_seconds": 1e-9, "checks": ["forward", "overfit_one_batch"]},
    }
    ev = run_builtin("infra.2", slow)
    # Could not judge is never a pass: no point for a fit the clock cut short.
    assert ev.status is Status.INCONCLUSIVE and "could not judge: overfit_one_batch" in ev.message
    assert "max_seconds" in ev.next_step
