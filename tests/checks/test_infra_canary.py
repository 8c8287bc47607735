"""infra.6: the exported model is canaried in a separate serving process."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from torch import nn

from mltestscore.checks.infra.serving import read_report
from mltestscore.results import Status
from mltestscore.runner import run_builtin

CANARY = torch.randn(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def conv_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))


class ErfInv(nn.Module):
    """Uses an operator the ONNX exporter does not support."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.erfinv(torch.tanh(self.fc(x)) * 0.5)


class BatchBranch(nn.Module):
    """A data-dependent branch: tracing freezes the branch the example took."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(x)
        return out * 2.0 if x.mean() > 0 else out - 1.0


def test_onnx_artifact_served_in_a_separate_process_matches() -> None:
    ev = run_builtin("infra.6", {"model": conv_net(), "canary_inputs": CANARY})
    assert ev.status is Status.PASS, ev.message
    evidence = ev.evidence
    assert evidence["format"] == "onnx" and evidence["runtime"].startswith("onnxruntime")
    assert evidence["mode"] == "one request per input"
    assert evidence["serving_process_imported"] == []  # no torch, no training code
    assert evidence["comparison"]["compared"] == 6 * 10
    assert evidence["comparison"]["max_abs_diff"] < 1e-4
    assert evidence["load_s"] > 0 and evidence["export_s"] > 0
    assert evidence["latency"]["p50_ms"] > 0
    assert "separate process" in ev.message
    json.dumps(evidence)


def test_torchscript_format() -> None:
    ev = run_builtin(
        "infra.6",
        {"model": conv_net(), "canary_inputs": CANARY.numpy()},
        thresholds={"export_format": "torchscript"},
    )
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["runtime"].startswith("torch.jit")


def test_unsupported_operator_fails_at_export() -> None:
    ev = run_builtin("infra.6", {"model": ErfInv(), "canary_inputs": torch.randn(4, 3)})
    assert ev.status is Status.FAIL
    assert "export failed" in ev.message and "aten::erfinv" in ev.message
    assert "export_format" in ev.next_step


def test_corrupted_artifact_cannot_be_loaded_by_the_runtime() -> None:
    def corrupt_export(model: nn.Module, path: Path, example: Any) -> Path:
        target = path.with_suffix(".onnx")
        target.write_bytes(b"\x08\x07 truncated upload")
        return target

    ev = run_builtin(
        "infra.6", {"model": conv_net(), "canary_inputs": CANARY, "export_fn": corrupt_export}
    )
    assert ev.status is Status.FAIL
    assert "could not serve the exported onnx artifact" in ev.message
    assert "cannot load model.onnx" in ev.message
    assert ev.evidence["returncode"] == 3


def test_behaviour_frozen_by_the_export_is_caught_by_the_canary() -> None:
    inputs = torch.full((4, 3), -3.0)
    inputs[0] = 5.0  # the traced first row takes the "mean > 0" branch; the whole batch does not
    ev = run_builtin("infra.6", {"model": BatchBranch(), "canary_inputs": inputs})
    assert ev.status is Status.FAIL
    assert "served outputs differ from in-process outputs" in ev.message
    assert ev.evidence["comparison"]["mismatched"] > 0


def _linear_export(model: LinearRegression, path: Path, example: Any) -> Path:
    target = path.with_suffix(".json")
    target.write_text(
        json.dumps({"coef": model.coef_.tolist(), "intercept": float(model.intercept_)})
    )
    return target


SERVE_LINEAR = [
    "{python}",
    "-c",
    "import json, sys, numpy as np; p = json.load(open(sys.argv[1])); "
    "x = np.load(sys.argv[2]); "
    "np.save(sys.argv[3], x @ np.array(p['coef']) + p['intercept']); "
    "json.dump({'load_s': 0.001, 'latencies_ms': [0.01] * len(x)}, open(sys.argv[4], 'w'))",
    "{artifact}",
    "{inputs}",
    "{outputs}",
    "{report}",
]


def test_team_exporter_and_serving_command_for_any_model() -> None:
    features, target = load_diabetes(return_X_y=True)
    model = LinearRegression().fit(features, target)
    inputs = {
        "model": model,
        "canary_inputs": features[:5],
        "export_fn": _linear_export,
        "serve_command": SERVE_LINEAR,
    }
    ev = run_builtin("infra.6", inputs, thresholds={"atol": 1e-3, "rtol": 1e-5})
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["serving"] == "serve_command" and ev.evidence["load_s"] == 0.001
    slow = run_builtin("infra.6", inputs, thresholds={"max_latency_ms": 0.001})
    assert slow.status is Status.FAIL and "max_latency_ms" in slow.message
    ev = run_builtin("infra.6", {"model": model, "canary_inputs": features[:5]})
    try:  # without the team's exporter, scikit-learn goes through skl2onnx when installed
        import skl2onnx  # noqa: F401
    except ImportError:
        assert ev.status is Status.NOT_AUTOMATED and "ml_export_fn" in ev.message
    else:
        assert ev.status is Status.PASS and ev.evidence["export"] == "skl2onnx", ev.message
    ev = run_builtin("infra.6", {"model": object(), "canary_inputs": features[:5]})
    assert ev.status is Status.NOT_AUTOMATED and "ml_export_fn" in ev.message


def test_serving_command_failures_and_timeouts() -> None:
    crash = [sys.executable, "-c", "import sys; sys.exit('serving: missing model class Foo')"]
    ev = run_builtin(
        "infra.6", {"model": conv_net(), "canary_inputs": CANARY, "serve_command": crash}
    )
    assert ev.status is Status.FAIL
    assert "missing model class Foo" in ev.message
    hang = f"{sys.executable} -c 'import time; time.sleep(30)'"
    ev = run_builtin(
        "infra.6",
        {"model": conv_net(), "canary_inputs": CANARY, "serve_command": hang},
        thresholds={"timeout_s": 0.5},
    )
    assert ev.status is Status.FAIL and "did not answer within 0.5 s" in ev.message
    ev = run_builtin(
        "infra.6",
        {"model": conv_net(), "canary_inputs": CANARY, "serve_command": ["no-such-server-x"]},
    )
    assert ev.status is Status.FAIL and "cannot start the serving process" in ev.message


def test_reports_on_stdout_are_understood(tmp_path: Path) -> None:
    stdout = 'log line\n{"load_seconds": 0.5, "latency_ms_per_line": 2.0, "runtime": "x"}\n'
    report = read_report(tmp_path / "missing.json", stdout)
    assert report == {"runtime": "x", "load_s": 0.5, "latencies_ms": [2.0]}
    assert read_report(tmp_path / "missing.json", "not json") == {}


def test_bad_canary_inputs_are_clear() -> None:
    ev = run_builtin("infra.6", {"model": conv_net(), "canary_inputs": np.array(["a", "b"])})
    assert ev.status is Status.ERROR and "expected numeric inputs" in ev.message
    ev = run_builtin("infra.6", {"model": conv_net(), "canary_inputs": np.zeros((0, 1, 8, 8))})
    assert ev.status is Status.ERROR and "canary_inputs is empty" in ev.message
