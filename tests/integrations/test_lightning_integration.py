"""A LightningModule + LightningDataModule as the checks' inputs; planted training_step bugs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lightning")
pytest.importorskip("safetensors")

from lightning_toys import (
    Blobs,
    Classifier,
    DetachedHead,
    EvalLeftOn,
    FlippedSign,
    ManualCorrect,
    ManualWithoutZeroGrad,
    SelfContained,
    SelfContainedFlippedSign,
)

from mltestscore.checks import smoke
from mltestscore.checks.integrations.lightning_adapter import LightningInputs
from mltestscore.checks.integrations.lightning_step import optimizer_factory, smoke_defaults
from mltestscore.results import Status
from mltestscore.runner import run_builtin

TOYS = Path(__file__).with_name("lightning_toys.py")


def smoke_report(module: Any) -> Any:
    inputs = LightningInputs(module, Blobs).smoke_inputs()
    return smoke.run(inputs.pop("model"), inputs.pop("batch"), inputs.pop("loss_fn"), **inputs)


def failed(report: Any) -> dict[str, str]:
    return {f.name: f.message for f in report.findings if f.status.value == "fail"}


@pytest.mark.parametrize("module", [Classifier, ManualCorrect])
def test_the_suite_runs_through_a_correct_training_step(module: Any) -> None:
    report = smoke_report(module)
    assert failed(report) == {}
    step = next(f for f in report.findings if f.name == "training_step")
    assert step.status.value == "pass", step.message


@pytest.mark.parametrize(
    ("module", "says"),
    [
        (ManualWithoutZeroGrad, "zero_grad() is missing"),
        (FlippedSign, "sign is flipped"),
        (EvalLeftOn, "eval mode"),
        (DetachedHead, ".detach()"),
    ],
)
def test_planted_training_step_bugs_are_caught(module: Any, says: str) -> None:
    problems = failed(smoke_report(module))
    assert "training_step" in problems, problems
    assert says in problems["training_step"]


def test_smoke_run_takes_a_lightning_module_alone() -> None:
    report = smoke.run(SelfContained())
    assert failed(report) == {}
    findings = {f.name: f for f in report.findings}
    assert findings["training_step"].status.value == "pass", findings["training_step"].message
    assert findings["val_improves"].status.value != "skip"  # data from its own loaders


def test_smoke_run_on_a_lightning_module_alone_catches_a_flipped_loss_sign() -> None:
    problems = failed(smoke.run(SelfContainedFlippedSign(), checks=["training_step"]))
    assert "sign is flipped" in problems["training_step"]


def test_smoke_run_takes_the_batch_from_a_datamodule() -> None:
    problems = failed(smoke.run(FlippedSign(), datamodule=Blobs, checks=["training_step"]))
    assert "sign is flipped" in problems["training_step"]


def test_smoke_run_says_what_a_lightning_module_without_data_needs() -> None:
    with pytest.raises(ValueError, match=r"batch=\(inputs, targets\) or datamodule="):
        smoke.run(Classifier())


def test_smoke_defaults_keep_what_the_caller_passed() -> None:
    module = Classifier()
    loss_fn, optimizer, step = smoke_defaults(module)
    assert loss_fn is module.loss_fn and callable(optimizer) and callable(step)
    mine = lambda out, y: out.sum()  # noqa: E731
    assert smoke_defaults(module, mine)[0] is mine


def test_optimizer_factory_rebuilds_configure_optimizers_param_groups() -> None:
    import torch

    class TwoGroups(Classifier):
        def configure_optimizers(self) -> Any:
            return {
                "optimizer": torch.optim.SGD(
                    [
                        {"params": self.encoder.parameters(), "lr": 0.1},
                        {"params": self.head.parameters()},
                    ],
                    lr=0.01,
                    momentum=0.9,
                ),
                "lr_scheduler": None,
            }

    class WithAdamW(Classifier):
        def configure_optimizers(self) -> Any:
            return torch.optim.AdamW(self.parameters(), lr=3e-3, weight_decay=0.01)

    adamw = optimizer_factory(WithAdamW())(WithAdamW().parameters())
    assert isinstance(adamw, torch.optim.AdamW) and adamw.param_groups[0]["weight_decay"] == 0.01

    module, copy = TwoGroups(), TwoGroups()
    opt = optimizer_factory(module)(copy.parameters())
    assert isinstance(opt, torch.optim.SGD)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["params"][0] is copy.head.weight


def test_train_fn_pipeline_trace_and_numerics_from_the_module() -> None:
    inputs = LightningInputs(Classifier, Blobs, max_steps=10)
    x, y = inputs.eval_data()
    ev = run_builtin("infra.1", {"train_fn": inputs.fit, "canary_inputs": x[:16]})
    assert ev.status is Status.PASS, ev.message
    ev = run_builtin("infra.3", {"pipeline": inputs.pipeline()})
    assert ev.status is Status.PASS, ev.message
    model = inputs.fit(0)
    ev = run_builtin("infra.5", {"model": model, "example": inputs.example()})
    assert ev.status is Status.PASS, ev.message
    ev = run_builtin("monitor.5", {"model": model, "eval_data": (x, y)})
    assert ev.status is Status.PASS, ev.message


def test_pipeline_fails_when_the_exported_weights_do_not_load() -> None:
    class Wider(Classifier):
        def __init__(self) -> None:
            super().__init__()
            self.head = __import__("torch").nn.Linear(32, 4)

    inputs = LightningInputs(Classifier, Blobs, max_steps=5)
    stages = inputs.pipeline()
    stages["load"] = LightningInputs(Wider, Blobs).pipeline()["load"]
    ev = run_builtin("infra.3", {"pipeline": stages})
    assert ev.status is Status.FAIL and "load" in ev.message


HELPER_CALL = (
    "DEFINED = lightning_fixtures(globals(), pytest.fixture, train_steps=30, fit_steps=10)"
)
OWN_EXAMPLE = """
        @pytest.fixture(scope="session")
        def ml_example():  # explicit fixtures win
            import torch
            return torch.zeros(1, 8)
"""


def score_with_helper(
    pytester: pytest.Pytester, module: str, helper_call: str = HELPER_CALL, extra: str = OWN_EXAMPLE
) -> tuple[Any, dict[str, Any]]:
    """``pytest --ml-score`` on a project whose conftest defines ``ml_lightning_module`` and
    ``ml_datamodule``, then ``helper_call`` (the ``lightning_fixtures`` call, or nothing)
    and ``extra``."""
    pytester.makepyfile(lightning_toys=TOYS.read_text(encoding="utf-8"))
    pytester.makeconftest(
        f"""
        import pytest
        from lightning_toys import Blobs, {module} as Classifier
        from mltestscore.checks.integrations.lightning_fixtures import lightning_fixtures

        @pytest.fixture(scope="session")
        def ml_lightning_module():
            return Classifier

        @pytest.fixture(scope="session")
        def ml_datamodule():
            return Blobs

        {helper_call}
        {extra}
        """
    )
    return run_ml_score(pytester)


def run_ml_score(pytester: pytest.Pytester) -> Any:
    """``pytest --ml-score`` on the pytester project (one trivial test of its own):
    the run result and the JSON report's tests by id."""
    pytester.makepyfile(test_nothing="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "--ml-score", "--ml-score-report=score.json", "-p", "no:cacheprovider"
    )
    report = json.loads((pytester.path / "score.json").read_text(encoding="utf-8"))
    return result, {t["id"]: t for t in report["tests"]}


def test_conftest_helper_defines_the_ml_fixtures(pytester: pytest.Pytester) -> None:
    result, tests = score_with_helper(pytester, "Classifier")
    status = {test_id: t["status"] for test_id, t in tests.items()}
    for test_id in ("infra.1", "infra.2", "infra.3", "infra.5", "monitor.5"):
        assert status[test_id] == "automated", (test_id, result.stdout.str()[-3000:])
    assert "traced one example" in json.dumps(tests["infra.5"])
    assert "the team's training step" in json.dumps(tests["infra.2"])  # through training_step


def test_a_planted_training_step_bug_fails_infra_2_through_the_plugin(
    pytester: pytest.Pytester,
) -> None:
    _, tests = score_with_helper(pytester, "DetachedHead")
    assert tests["infra.2"]["status"] == "failed"
    assert ".detach()" in json.dumps(tests["infra.2"])
