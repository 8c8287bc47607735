"""The canary's serving process (infra.6): load an exported artifact, answer canary inputs.

Run as a *script* in a fresh interpreter, not imported::

    python infra_serve.py --format onnx --artifact model.onnx \
        --inputs canary.npy --outputs out.npy --report report.json

It imports only the serving runtime (onnxruntime, or torch for TorchScript) and
numpy, never the training code, so it proves the artifact stands on its own.
Each canary input is served as its own request (batch of one) after one warm-up
call; when the artifact only accepts the whole batch, the batch is served at once.
Exit status: 0 served; 3 the runtime could not load the artifact; 4 it loaded
but could not run the inputs; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOAD_FAILED, RUN_FAILED = 3, 4


def _drop_script_dir() -> None:
    """Running a file puts its folder first on sys.path; ours holds generic names."""
    here = Path(__file__).resolve().parent
    if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == here:
        del sys.path[0]


def _load_onnx(path: str) -> tuple[Callable[[Any], Any], str]:
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(batch: Any) -> Any:
        return session.run(None, {name: batch})[0]

    return run, f"onnxruntime {ort.__version__}"


def _load_torchscript(path: str) -> tuple[Callable[[Any], Any], str]:
    import torch

    module = torch.jit.load(path, map_location="cpu")  # type: ignore[no-untyped-call]
    module.eval()

    def run(batch: Any) -> Any:
        with torch.no_grad():
            out = module(torch.from_numpy(batch))
        while isinstance(out, (tuple, list)):
            out = out[0]
        return out.numpy()

    return run, f"torch.jit {torch.__version__}"


LOADERS = {"onnx": _load_onnx, "torchscript": _load_torchscript}
RUNTIMES = {"onnx": "onnxruntime", "torchscript": "torch"}
WATCHED = {"torch", "mltestscore", "sklearn", "pandas"}


def serve(fmt: str, artifact: str, inputs_path: str) -> tuple[Any, dict[str, Any], int]:
    import numpy as np

    report: dict[str, Any] = {"format": fmt}
    batch = np.load(inputs_path, allow_pickle=False)
    start = time.perf_counter()
    try:
        importlib.import_module(RUNTIMES[fmt])
    except ImportError as exc:
        report["error"] = f"the {fmt} runtime is not installed: {exc}"
        return None, report, LOAD_FAILED
    report["import_s"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        run, runtime = LOADERS[fmt](artifact)
    except Exception as exc:
        report["error"] = (
            f"cannot load {Path(artifact).name} with {fmt}: {type(exc).__name__}: {exc}"
        )
        return None, report, LOAD_FAILED
    report["load_s"] = time.perf_counter() - start
    report["runtime"] = runtime
    try:
        for _ in range(3):  # warm-up (TorchScript's profiling executor optimizes on call 2)
            run(batch[:1])
        latencies, outputs = [], []
        for i in range(batch.shape[0]):
            t0 = time.perf_counter()
            outputs.append(np.asarray(run(batch[i : i + 1])))
            latencies.append((time.perf_counter() - t0) * 1000.0)
        result = np.concatenate(outputs, axis=0)
        report["mode"] = "one request per input"
    except Exception as single:
        try:
            t0 = time.perf_counter()
            result = np.asarray(run(batch))
            latencies = [(time.perf_counter() - t0) * 1000.0 / max(batch.shape[0], 1)]
            report["mode"] = f"whole batch (per-input requests failed: {type(single).__name__})"
        except Exception as exc:
            report["error"] = (
                f"loaded, but running the canary inputs failed: {type(exc).__name__}: {exc}"
            )
            return None, report, RUN_FAILED
    report["latencies_ms"] = latencies
    # evidence that the artifact stands alone: no training code, no torch for ONNX
    report["imported"] = sorted({m.split(".")[0] for m in sys.modules} & WATCHED)
    return result, report, 0


def main(argv: list[str] | None = None) -> int:
    _drop_script_dir()
    parser = argparse.ArgumentParser(description="mltestscore canary serving process")
    parser.add_argument("--format", choices=sorted(LOADERS), required=True)
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--outputs", required=True)
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    import numpy as np

    result, report, status = serve(args.format, args.artifact, args.inputs)
    if result is not None:
        np.save(args.outputs, result, allow_pickle=False)
    Path(args.report).write_text(json.dumps(report), encoding="utf-8")
    if status:
        print(report.get("error", "failed"), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
