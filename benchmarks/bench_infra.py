"""Cost of the infrastructure checks (infra.1 – infra.7) on a tiny model.

    python benchmarks/bench_infra.py [--repeats 3]

Model: a small CNN on scikit-learn's bundled 8x8 digit scans (1,797 images),
trained for a few epochs on 600 of them — the "fast subset" a team's fixtures
would use. Prints:

1. the canary (infra.6): export + load in a separate serving process + compare,
   against the same export + onnxruntime load + compare *in this process* (what
   the process isolation costs);
2. each infra check's wall time and the whole infra section, against one training
   run of the tiny model (the unit a team pays anyway).

torch runs on one thread (on a shared 2-core CI machine more threads stall).
Medians over ``--repeats`` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from mltestscore.checks.infra.export import export_builtin
from mltestscore.inputs.arrays import compare_outputs
from mltestscore.inputs.predict import torch_forward
from mltestscore.metrics import Metric
from mltestscore.runner import run_builtin

DIGITS = load_digits()
IMAGES = (DIGITS.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
LABELS = DIGITS.target.astype(np.int64)
TRAIN = slice(0, 600)
TEST = slice(1400, 1797)


def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 8, 4, 4)
        nn.Flatten(),
        nn.Linear(128, 32),
        nn.ReLU(),
        nn.Linear(32, 10),
    )


def train_fn(seed: int, epochs: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.from_numpy(IMAGES[TRAIN]), torch.from_numpy(LABELS[TRAIN])
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=order).split(64):  # type: ignore[no-untyped-call]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()  # type: ignore[no-untyped-call]
            opt.step()
    return model


def accuracy(y_true: Any, y_pred: Any) -> float:
    return float((np.asarray(y_true) == np.asarray(y_pred)).mean())


class MemoryStore:
    """Two versions, the newer one serving; the store protocol infra.4/infra.7 use."""

    def __init__(self, models: list[nn.Module]) -> None:
        self.models = dict(enumerate(models, start=1))
        self.serving: int | None = len(models)

    def list(self, name: str = "digits") -> list[int]:
        return sorted(self.models)

    def load(self, name: str, version: int) -> nn.Module:
        return self.models[version]

    def serving_version(self, name: str) -> int | None:
        return self.serving

    def promote(self, name: str, version: int) -> None:
        self.serving = version

    def rollback(self, name: str) -> int:
        self.serving = max(v for v in self.models if self.serving and v < self.serving)
        return self.serving


def pipeline() -> dict[str, Callable[..., Any]]:
    def data() -> dict[str, Any]:
        return {"x": IMAGES[TEST], "y": LABELS[TEST]}

    def train(data: dict[str, Any]) -> nn.Module:
        return train_fn(0, epochs=1)

    def evaluate(train: nn.Module, data: dict[str, Any]) -> dict[str, float]:
        return {"accuracy": accuracy(data["y"], torch_forward(train, data["x"]).argmax(1))}

    def export(train: nn.Module, workdir: Path) -> Path:
        path = workdir / "weights.pt"
        torch.save(train.state_dict(), path)
        return path

    def load(path: Path) -> nn.Module:
        model = build()
        model.load_state_dict(torch.load(path, weights_only=True))
        return model

    def predict(load: nn.Module, data: dict[str, Any]) -> Any:
        return torch_forward(load, data["x"][:16]).argmax(1)

    return {
        "data": data,
        "train": train,
        "evaluate": evaluate,
        "export": export,
        "load": load,
        "predict": predict,
    }


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def in_process_canary(model: nn.Module, canary: np.ndarray) -> bool:
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        path = export_builtin(model, torch.from_numpy(canary[:1]), "onnx", Path(tmp))
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        outputs = np.concatenate(
            [session.run(None, {name: canary[i : i + 1]})[0] for i in range(len(canary))]
        )
    return bool(compare_outputs(outputs, torch_forward(model, canary), atol=1e-4, rtol=1e-3).equal)


def _runner(test_id: str, inputs: dict[str, Any]) -> Callable[[], Any]:
    return lambda: run_builtin(test_id, inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=3, metavar="N", help="timed runs per measurement (default 3)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    serving, candidate = train_fn(1, epochs=2), train_fn(0, epochs=5)
    canary = IMAGES[TEST][:16]
    inputs: dict[str, Any] = {
        "train_fn": train_fn,
        "canary_inputs": canary,
        "model": candidate,
        "batch": (torch.from_numpy(IMAGES[:32]), torch.from_numpy(LABELS[:32])),
        "loss_fn": nn.functional.cross_entropy,
        "optimizer": lambda params: torch.optim.Adam(params, lr=1e-2),
        "pipeline": pipeline(),
        "serving_model": serving,
        "eval_data": (IMAGES[TEST], LABELS[TEST]),
        "metric": Metric("accuracy", accuracy),
        "model_store": MemoryStore([serving, candidate]),
    }

    print(
        f"infra checks on a tiny CNN (digits 8x8, {TRAIN.stop} training images), "
        f"torch {torch.__version__}, 1 thread, median of {args.repeats}"
    )
    train_s, _ = median_time(lambda: train_fn(0), args.repeats)
    print(f"  one training run (train_fn)            {train_s:8.3f} s")

    check_s, ev = median_time(lambda: run_builtin("infra.6", inputs), args.repeats)
    local_s, ok = median_time(lambda: in_process_canary(candidate, canary), args.repeats)
    print("\ncanary (infra.6): export + separate serving process + compare")
    print(
        f"  infra.6 check ({ev.status.value:4})               {check_s:8.3f} s  "
        f"(export {ev.evidence['export_s']:.3f} s, process {ev.evidence['process_s']:.3f} s, "
        f"runtime load {ev.evidence['load_s']:.3f} s, p50 {ev.evidence['latency']['p50_ms']:.3f}"
        " ms/input)"
    )
    print(f"  same, onnxruntime in this process ({'ok' if ok else 'MISMATCH'})  {local_s:8.3f} s")
    print(f"  ratio separate process / in-process     {check_s / local_s:8.2f} x")

    print("\nwhole infra section (infra.1 – infra.7)")
    total = 0.0
    for test_id in (f"infra.{i}" for i in range(1, 8)):
        seconds, ev = median_time(_runner(test_id, inputs), args.repeats)
        total += seconds
        print(f"  {test_id}  {ev.status.value:5} {seconds:8.3f} s   {ev.message[:70]}")
    print(f"  total                                   {total:8.3f} s")
    print(f"  ratio infra section / one training run  {total / train_s:8.2f} x")


if __name__ == "__main__":
    main()
