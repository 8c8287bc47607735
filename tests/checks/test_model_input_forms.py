"""Every model check reads a team input the same way: table files in every format for
model.2–4, a bfloat16 (or GPU) torch model and float class labels for model.5–7, and
evaluation data given as a file for the checks that slice it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mltestscore.results import Status
from mltestscore.runner import run_builtin

FORMATS = ["csv", "tsv", "parquet", "jsonl", "json"]


def write(frame: pd.DataFrame, path: Path) -> str:
    """``frame`` written in the format its suffix names."""
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_json(path, orient="records")
    return str(path)


# -- model.2, model.3, model.4: tables ---------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_metric_log_file_in_every_format(fmt: str, tmp_path: Path) -> None:
    offline = np.linspace(0.80, 0.95, 8)
    log = pd.DataFrame({"version": [f"v{i}" for i in range(8)], "offline": offline,
                        "online": 0.02 + 0.1 * (offline - 0.8)})  # fmt: skip
    result = run_builtin("model.2", {"metric_log": write(log, tmp_path / f"log.{fmt}")})
    assert result.status is Status.PASS, result.message
    assert result.evidence["n_versions"] == 8
    assert result.evidence["versions"][0]["version"] == "v0"


@pytest.mark.parametrize("fmt", FORMATS)
def test_sweep_results_file_in_every_format(fmt: str, tmp_path: Path) -> None:
    rows = [{"lr": lr, "depth": depth, "metric": 0.9 - abs(lr - 0.01) - 0.01 * abs(depth - 4)}
            for lr in (0.001, 0.01, 0.1) for depth in (2, 4, 8)]  # fmt: skip
    path = write(pd.DataFrame(rows), tmp_path / f"sweep.{fmt}")
    result = run_builtin(
        "model.3", {"sweep_results": path, "hyperparameters": {"lr": 0.01, "depth": 4}}
    )
    assert result.status is Status.PASS, result.message
    assert result.evidence["best"]["config"] == {"lr": 0.01, "depth": 4}
    far = run_builtin(
        "model.3", {"sweep_results": path, "hyperparameters": {"lr": 0.1, "depth": 8}}
    )
    assert far.status is Status.FAIL
    assert "worse than the best swept config" in far.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_staleness_table_file_in_every_format(fmt: str, tmp_path: Path) -> None:
    ages = [0, 10, 30, 60, 90]
    table = pd.DataFrame({"version": range(5), "age_days": ages,
                          "metric": [0.9 - 0.001 * a for a in ages]})  # fmt: skip
    path = write(table, tmp_path / f"staleness.{fmt}")
    result = run_builtin("model.4", {"staleness_table": path}, thresholds={"quality_floor": 0.85})
    assert result.status is Status.PASS, result.message
    assert result.evidence["age_budget_days"] == pytest.approx(50.0)
    decaying = run_builtin(
        "model.4", {"staleness_table": path}, thresholds={"max_decay_per_30_days": 0.01}
    )
    assert decaying.status is Status.FAIL


# -- model.5, model.6, model.7: models and labels ----------------------------------------

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 3)).astype(np.float32)
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float64)  # float class labels 0.0 / 1.0
TRAIN, EVAL = (X[:200], Y[:200]), (X[200:], Y[200:])
HALVES = np.where(np.arange(100) % 2 == 0, "even", "odd")


def linear_classifier(dtype: Any, device: str = "cpu") -> Any:
    """A torch classifier that is right on every row, in ``dtype`` on ``device``."""
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[-1.0, -0.5, 0.0], [1.0, 0.5, 0.0]]))
        model.bias.zero_()
    return model.to(device=device, dtype=dtype).train()  # left in train mode on purpose


def run_model_checks(model: Any) -> dict[str, Any]:
    slices = {"x0 high": EVAL[0][:, 0] > 0, "x0 low": EVAL[0][:, 0] <= 0}
    return {
        "model.5": run_builtin(
            "model.5",
            {"model": model, "train_data": TRAIN, "eval_data": EVAL},
            thresholds={"margin": -0.05},
        ),
        "model.6": run_builtin(
            "model.6",
            {"model": model, "eval_data": EVAL, "slices": slices},
            thresholds={"min_size": 5},
        ),
        "model.7": run_builtin("model.7", {"model": model, "eval_data": EVAL, "groups": HALVES}),
    }


def assert_judged_perfect(results: dict[str, Any]) -> None:
    for test_id, result in results.items():
        assert result.status is Status.PASS, f"{test_id}: {result.message}"
    assert results["model.5"].evidence["metric"] == "accuracy"
    assert results["model.5"].evidence["model"] == 1.0
    assert results["model.6"].evidence["overall"] == 1.0
    groups = results["model.7"].evidence["attributes"][0]["groups"]
    assert {g["group"]: g["accuracy"] for g in groups} == {"even": 1.0, "odd": 1.0}


def test_bfloat16_model_and_float_labels_in_model_5_6_7() -> None:
    torch = pytest.importorskip("torch")
    model = linear_classifier(torch.bfloat16)
    assert_judged_perfect(run_model_checks(model))
    assert model.training  # every check restored train mode


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.skipif(not _cuda(), reason="needs CUDA")
def test_cuda_bfloat16_model_in_model_5_6_7() -> None:  # pragma: no cover - GPU only
    torch = pytest.importorskip("torch")
    assert_judged_perfect(run_model_checks(linear_classifier(torch.bfloat16, "cuda")))


def test_single_score_column_is_thresholded_for_0_1_labels() -> None:
    """A sigmoid output of shape (N, 1) is read as labels, as infra.4 reads it."""

    def probability(features: Any) -> np.ndarray:
        features = np.asarray(features)
        return 1.0 / (1.0 + np.exp(-4.0 * (features[:, :1] + 0.5 * features[:, 1:2])))

    results = run_model_checks(probability)
    assert_judged_perfect(results)


def test_eval_data_file_with_column_slices_and_groups(tmp_path: Path) -> None:
    frame = pd.DataFrame(EVAL[0], columns=["x0", "x1", "x2"]).assign(half=HALVES, label=EVAL[1])
    path = write(frame, tmp_path / "eval.parquet")

    def rule(features: pd.DataFrame) -> np.ndarray:
        return (features["x0"] + 0.5 * features["x1"] > 0).to_numpy(dtype=np.float64)

    slices = run_builtin(
        "model.6",
        {"model": rule, "eval_data": path, "target": "label", "slices": ["half"]},
    )
    assert slices.status is Status.PASS, slices.message
    assert {s["slice"] for s in slices.evidence["slices"]} == {"half=even", "half=odd"}
    groups = run_builtin(
        "model.7", {"model": rule, "eval_data": path, "target": "label", "groups": "half"}
    )
    assert groups.status is Status.PASS, groups.message
