"""Overhead of mltestscore.guard per prediction, against the bare predict function.

Two subjects: a small torch MLP on a batch of 32 (input shape/dtype/finite spec,
output range) and a numpy logistic function on a batch of 32 (same contract).
Prints the median time per call of the bare and the guarded function, the
overhead in microseconds and the ratio. Run: ``python benchmarks/bench_guard.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from mltestscore.contracts import Contract, InputSpec, guard

ROUNDS = 9
CALLS = 2000


def _round_us(fn: Callable[[Any], Any], x: Any) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        fn(x)
    return (time.perf_counter() - start) / CALLS * 1e6


def report(name: str, bare: Callable[[Any], Any], guarded: Callable[[Any], Any], x: Any) -> None:
    """Median over rounds of the mean time per call; bare and guarded rounds interleave,
    so both see the same machine load."""
    for _ in range(200):
        bare(x)
        guarded(x)
    bare_rounds, guarded_rounds = [], []
    for _ in range(ROUNDS):
        bare_rounds.append(_round_us(bare, x))
        guarded_rounds.append(_round_us(guarded, x))
    b = statistics.median(bare_rounds)
    g = statistics.median(guarded_rounds)
    print(
        f"{name:<28} bare {b:8.2f} us/call   guarded {g:8.2f} us/call   "
        f"overhead {g - b:6.2f} us   ratio {g / b:5.2f}x"
    )


def main() -> None:
    torch.set_num_threads(1)
    contract = Contract(
        input=InputSpec(shape=(None, 16), dtype="float32", finite=True),
        output_range=(0.0, 1.0),
        finite=True,
        latency_ms=100.0,
    )
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid()).eval()

    def torch_predict(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            out: torch.Tensor = model(x)
            return out

    weights = np.random.default_rng(0).normal(size=(16,)).astype(np.float32)

    def numpy_predict(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = 1.0 / (1.0 + np.exp(-(x @ weights)))
        return out

    xt = torch.randn(32, 16)
    xn = np.random.default_rng(1).normal(size=(32, 16)).astype(np.float32)
    print(f"guard overhead per prediction (batch 32, {CALLS} calls x {ROUNDS} rounds, median)")
    report("torch MLP 16-64-1", torch_predict, guard(torch_predict, contract, on_violation="count"),
           xt)  # fmt: skip
    report("numpy logistic", numpy_predict, guard(numpy_predict, contract, on_violation="count"),
           xn)  # fmt: skip
    output_only = Contract(output_range=(0.0, 1.0))
    report("torch MLP, outputs only", torch_predict, guard(torch_predict, output_only), xt)
    report("numpy logistic, outputs only", numpy_predict, guard(numpy_predict, output_only), xn)


if __name__ == "__main__":
    main()
