"""The canary's serving process (infra.6): load an exported artifact, answer canary inputs.

Run as a *script* in a fresh interpreter, never imported by the checks::

    python serve.py --format onnx --artifact model.onnx \
        --inputs canary.npy --outputs out.npy --report report.json

It imports only the serving runtime (onnxruntime, or torch for TorchScript) and numpy,
never the training code nor mltestscore, so it proves the artifact stands on its own. One
request loop serves every artifact: torch models exported by infra.6 and scikit-learn
models converted by skl2onnx (``checks/integrations/sklearn_serve.py`` runs this file).

ONNX inputs: a plain ``(N, …)`` array feeds the graph's input, cast to its declared type;
a structured array (one field per DataFrame column) feeds one graph input per column,
matched by name, else by position. The answer is the graph's ``probabilities`` output when
it has one (a classifier converted without ZipMap), else its first output.

Each canary input is served as its own request (batch of one) after warm-up calls; when
the artifact only accepts the whole batch, the batch is served at once. Exit status:
0 served; 3 the runtime could not load the artifact; 4 it loaded but could not run the
inputs; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOAD_FAILED, RUN_FAILED = 3, 4
WARM_UP = 3  # TorchScript's profiling executor optimizes on the second call
WATCHED = {"torch", "mltestscore", "sklearn", "pandas"}
DTYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
}
Loaded = tuple[Callable[[Any], Any], str, str]  # run(batch), runtime, note for the mode


def _drop_script_dir() -> None:
    """Running a file puts its folder first on sys.path; ours holds generic names."""
    here = Path(__file__).resolve().parent
    if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == here:
        del sys.path[0]


def _feeds(session: Any, batch: Any) -> dict[str, Any]:
    """The graph's inputs from a plain array (one input) or a structured one (per column)."""
    import numpy as np

    inputs = session.get_inputs()
    if batch.dtype.names is None:
        return {inputs[0].name: batch.astype(DTYPES.get(inputs[0].type, batch.dtype))}
    fields = list(batch.dtype.names)
    by_name = {re.sub(r"[^0-9A-Za-z_]", "_", f): f for f in fields}
    feeds: dict[str, Any] = {}
    for index, spec in enumerate(inputs):
        field = by_name.get(spec.name, spec.name if spec.name in fields else fields[index])
        column = np.asarray(batch[field]).reshape(-1, 1)
        if spec.type == "tensor(string)":
            column = column.astype(str).astype(object)
        else:
            column = column.astype(DTYPES.get(spec.type, "float32"))
        feeds[spec.name] = column
    return feeds


def _load_onnx(path: str) -> Loaded:
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    wanted = "probabilities" if "probabilities" in names else names[0]

    def run(batch: Any) -> Any:
        return np.asarray(session.run([wanted], _feeds(session, batch))[0])

    note = "" if len(names) == 1 else f"; output {wanted!r}"
    return run, f"onnxruntime {ort.__version__}", note


def _load_torchscript(path: str) -> Loaded:
    import torch

    module = torch.jit.load(path, map_location="cpu")  # type: ignore[no-untyped-call]
    module.eval()

    def run(batch: Any) -> Any:
        with torch.no_grad():
            out = module(torch.from_numpy(batch))
        while isinstance(out, (tuple, list)):
            out = out[0]
        return out.numpy()

    return run, f"torch.jit {torch.__version__}", ""


LOADERS = {"onnx": _load_onnx, "torchscript": _load_torchscript}
RUNTIMES = {"onnx": "onnxruntime", "torchscript": "torch"}


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
        run, runtime, note = LOADERS[fmt](artifact)
    except Exception as exc:
        report["error"] = (
            f"cannot load {Path(artifact).name} with {fmt}: {type(exc).__name__}: {exc}"
        )
        return None, report, LOAD_FAILED
    report["load_s"] = time.perf_counter() - start
    report["runtime"] = runtime
    try:
        for _ in range(WARM_UP):
            run(batch[:1])
        latencies, outputs = [], []
        for i in range(batch.shape[0]):
            t0 = time.perf_counter()
            outputs.append(np.asarray(run(batch[i : i + 1])))
            latencies.append((time.perf_counter() - t0) * 1000.0)
        result = np.concatenate(outputs, axis=0)
        report["mode"] = "one request per input" + note
    except Exception as single:
        try:
            t0 = time.perf_counter()
            result = np.asarray(run(batch))
            latencies = [(time.perf_counter() - t0) * 1000.0 / max(batch.shape[0], 1)]
            report["mode"] = (
                f"whole batch (per-input requests failed: {type(single).__name__}){note}"
            )
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
