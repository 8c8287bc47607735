"""Benchmark of the reference recognizer.

Prints, on this machine's CPU:

* the ``tiny`` preset: data generation time, training wall time, test CER, against the
  target (test CER <= 2 % within 120 s of training);
* memorization: time for the ``tiny`` model to fit 64 lines to CER 0 (target < 20 s);
* inference latency per line: torch eager at batch 1 and 64, onnxruntime at batch 1;
* with CUDA: the ``gpu`` preset's training throughput (lines/s), peak memory, inference
  throughput and test CER (skipped cleanly without CUDA).

Usage::

    python benchmarks/bench_recognizer.py [--threads 1] [--json out.json] [--gpu-seconds 600]

One thread is the default: on a CPU shared with other jobs a second thread mostly waits.
"""

from __future__ import annotations

import os

# Idle OpenMP threads sleep instead of spinning: on a shared CPU, spinning threads made
# 2-thread training ~10x more expensive in CPU time. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from mltestscore.reference_model.config import CONFIGS
from mltestscore.reference_model.data import DigitLines
from mltestscore.reference_model.export import export_model, load_exported
from mltestscore.reference_model.metrics import character_error_rate
from mltestscore.reference_model.models import LineRecognizer, build_model
from mltestscore.reference_model.train import predict_lines, seed_everything, train

TINY_TARGET_CER, TINY_TARGET_S, MEMORIZE_TARGET_S = 0.02, 120.0, 20.0


def bench_tiny() -> tuple[dict[str, Any], LineRecognizer]:
    cpu0 = time.process_time()
    result = train(CONFIGS["tiny"], seed=0, log=lambda line: print(f"    {line}", flush=True))
    test_cer = result.test_cer if result.test_cer is not None else float("nan")
    report = {
        "data_seconds": result.data_seconds,
        "train_seconds": result.wall_time,
        "cpu_seconds": time.process_time() - cpu0,
        "epochs": len(result.history),
        "train_lines_per_s": result.lines_seen / result.wall_time,
        "val_cer": result.val_cer,
        "test_cer": test_cer,
        "parameters": result.parameters,
        "meets_target": test_cer <= TINY_TARGET_CER and result.wall_time <= TINY_TARGET_S,
    }
    print(
        f"tiny: {result.parameters:,} params, data {result.data_seconds:.1f} s, "
        f"training {result.wall_time:.1f} s ({report['cpu_seconds']:.0f} CPU-s, "
        f"{len(result.history)} epochs), test CER {100 * test_cer:.2f} % "
        f"(target <= {100 * TINY_TARGET_CER:.0f} % in <= {TINY_TARGET_S:.0f} s: "
        f"{'met' if report['meets_target'] else 'MISSED'})"
    )
    return report, result.model


def bench_memorize(
    lines: int = 64, batch_size: int = 8, lr: float = 1e-3, budget_s: float = 120.0
) -> dict[str, Any]:
    """Adam on shuffled mini-batches of ``lines`` training lines until all are read exactly.

    Mini-batches of 8 need ~4x less compute than full-batch steps to get past CTC's
    all-blank plateau.
    """
    config = CONFIGS["tiny"].replace(dropout=0.0)
    data = DigitLines(config.data).generate("train", lines)
    seed_everything(0)
    model = build_model(config)
    model.to(memory_format=torch.channels_last)  # type: ignore[call-overload, unused-ignore]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(0)
    started, steps, epochs, cer = time.perf_counter(), 0, 0, 1.0
    while cer > 0.0 and time.perf_counter() - started < budget_s:
        model.train()
        permutation = torch.randperm(lines, generator=order)
        for start in range(0, lines, batch_size):
            index = permutation[start : start + batch_size]
            optimizer.zero_grad()
            model.loss(data.images[index], [data.labels[i] for i in index]).backward()
            optimizer.step()
            steps += 1
        epochs += 1
        cer = character_error_rate(model.predict(data.images), data.labels)
    seconds = time.perf_counter() - started
    report = {
        "lines": lines,
        "batch_size": batch_size,
        "steps": steps,
        "epochs": epochs,
        "seconds": seconds,
        "cer": cer,
    }
    met = cer == 0.0 and seconds < MEMORIZE_TARGET_S
    print(
        f"memorize {lines} lines: CER {cer:.3f} after {steps} steps, {seconds:.1f} s "
        f"(target CER 0 in < {MEMORIZE_TARGET_S:.0f} s: {'met' if met else 'MISSED'})"
    )
    return report


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def bench_latency(model: LineRecognizer, repeat: int = 30) -> dict[str, Any]:
    model = model.cpu().eval()
    lines = DigitLines(CONFIGS["tiny"].data).generate("test", 64).images  # (64, 1, H, W)
    one = lines[:1]
    eager_1 = _median_ms(lambda: model.predict(one), repeat)
    eager_64 = _median_ms(lambda: model.predict(lines), max(repeat // 5, 3)) / 64
    with tempfile.TemporaryDirectory() as tmp:
        session = load_exported(export_model(model, Path(tmp) / "tiny.onnx", one))
        onnx_1 = _median_ms(lambda: session.predict(one.numpy()), repeat)
        onnx_64 = _median_ms(lambda: session.predict(lines.numpy()), max(repeat // 5, 3)) / 64
    report = {
        "torch_batch1_ms": eager_1,
        "torch_batch64_ms_per_line": eager_64,
        "onnxruntime_batch1_ms": onnx_1,
        "onnxruntime_batch64_ms_per_line": onnx_64,
    }
    print(
        f"latency per line: torch {eager_1:.2f} ms (batch 1), {eager_64:.2f} ms (batch 64); "
        f"onnxruntime {onnx_1:.2f} ms (batch 1), {onnx_64:.2f} ms (batch 64)"
    )
    return report


def bench_gpu(max_seconds: float) -> dict[str, Any] | None:
    if not torch.cuda.is_available():
        print("gpu: skipped (no CUDA device)")
        return None
    config = CONFIGS["gpu"]
    torch.cuda.reset_peak_memory_stats()
    result = train(
        config, seed=0, max_seconds=max_seconds, log=lambda line: print(f"    {line}", flush=True)
    )
    train_peak = torch.cuda.max_memory_allocated() / 2**20
    test = DigitLines(config.data).generate("test")
    predict_lines(result.model, test.images[:512], batch_size=config.eval_batch_size)  # warm-up
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    predictions = predict_lines(result.model, test.images, batch_size=config.eval_batch_size)
    torch.cuda.synchronize()
    infer_s = time.perf_counter() - t0
    report = {
        "device": torch.cuda.get_device_name(),
        "parameters": result.parameters,
        "train_seconds": result.wall_time,
        "epochs": len(result.history),
        "train_lines_per_s": result.lines_seen / result.wall_time,
        "inference_lines_per_s": len(test) / infer_s,
        "peak_memory_mib": train_peak,
        "test_cer": result.test_cer,
        "test_cer_recomputed": character_error_rate(predictions, test.labels),
        "stopped": result.stopped,
    }
    print(
        f"gpu ({report['device']}): {result.parameters:,} params, "
        f"train {report['train_lines_per_s']:.0f} lines/s (incl. validation), "
        f"inference {report['inference_lines_per_s']:.0f} lines/s, "
        f"peak memory {train_peak:.0f} MiB, test CER {100 * (result.test_cer or 0):.2f} % "
        f"after {len(result.history)} epochs ({result.stopped}, {result.wall_time:.0f} s)"
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="torch CPU threads (default 1)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write the numbers here"
    )
    parser.add_argument(
        "--gpu-seconds", type=float, default=600.0, metavar="S", help="gpu preset training budget"
    )
    parser.add_argument("--skip-tiny", action="store_true", help="skip the tiny training run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    report: dict[str, Any] = {"threads": args.threads}
    model = None
    if not args.skip_tiny:
        report["tiny"], model = bench_tiny()
    report["memorize"] = bench_memorize()
    if model is None:
        model = build_model(CONFIGS["tiny"])
    report["latency"] = bench_latency(model)
    report["gpu"] = bench_gpu(args.gpu_seconds)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
