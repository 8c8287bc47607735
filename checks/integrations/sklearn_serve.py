"""The canary's serving process for scikit-learn models converted by skl2onnx (infra.6).

Run as a *script* in a fresh interpreter, not imported::

    python sklearn_serve.py --artifact model.onnx --inputs canary.npy \
        --outputs out.npy --report report.json

It imports onnxruntime and numpy only. ``canary.npy`` is a plain ``(N, F)`` array (one
graph input) or a structured array with one field per DataFrame column (one graph input
per column, matched by name, else by position). Each row is served as its own request
after one warm-up call; the answer is the ``probabilities`` output when the graph has
one, else its first output. Exit status: 0 served; 3 the runtime could not load the
artifact; 4 it loaded but could not run the inputs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

LOAD_FAILED, RUN_FAILED = 3, 4
WATCHED = {"torch", "mltestscore", "sklearn", "pandas"}
DTYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(int64)": "int64"}


def _feeds(session: Any, batch: Any) -> dict[str, Any]:
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


def serve(artifact: str, inputs_path: str) -> tuple[Any, dict[str, Any], int]:
    import numpy as np

    report: dict[str, Any] = {"format": "onnx"}
    batch = np.load(inputs_path, allow_pickle=False)
    start = time.perf_counter()
    try:
        import onnxruntime as ort
    except ImportError as exc:
        report["error"] = f"onnxruntime is not installed: {exc}"
        return None, report, LOAD_FAILED
    report["import_s"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        session = ort.InferenceSession(artifact, providers=["CPUExecutionProvider"])
    except Exception as exc:
        report["error"] = f"cannot load {Path(artifact).name}: {type(exc).__name__}: {exc}"
        return None, report, LOAD_FAILED
    report["load_s"] = time.perf_counter() - start
    report["runtime"] = f"onnxruntime {ort.__version__}"
    names = [o.name for o in session.get_outputs()]
    wanted = "probabilities" if "probabilities" in names else names[0]

    def run(rows: Any) -> Any:
        return np.asarray(session.run([wanted], _feeds(session, rows))[0])

    try:
        run(batch[:1])  # warm-up
        latencies, outputs = [], []
        for i in range(batch.shape[0]):
            t0 = time.perf_counter()
            outputs.append(run(batch[i : i + 1]))
            latencies.append((time.perf_counter() - t0) * 1000.0)
        result = np.concatenate(outputs, axis=0)
        report["mode"] = f"one request per input; output {wanted!r}"
    except Exception as exc:
        report["error"] = (
            f"loaded, but running the canary inputs failed: {type(exc).__name__}: {exc}"
        )
        return None, report, RUN_FAILED
    report["latencies_ms"] = latencies
    report["imported"] = sorted({m.split(".")[0] for m in sys.modules} & WATCHED)
    return result, report, 0


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == here:
        del sys.path[0]  # the script's folder holds generic module names
    parser = argparse.ArgumentParser(description="mltestscore canary serving (skl2onnx)")
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--outputs", required=True)
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    import numpy as np

    result, report, status = serve(args.artifact, args.inputs)
    if result is not None:
        np.save(args.outputs, result, allow_pickle=False)
    Path(args.report).write_text(json.dumps(report), encoding="utf-8")
    if status:
        print(report.get("error", "failed"), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
