"""infra.6 computations: export a model, serve it in a separate process, compare outputs.

Export: the team's ``export_fn(model, path, example_input) -> path | None`` when
given, else ONNX (``torch.onnx.export``, the TorchScript-based exporter with a
dynamic batch axis; ``onnx-dynamo`` uses the ``torch.export`` one) or TorchScript
(``torch.jit.trace``). Serving: the team's ``serve_command`` when given (a
command line with ``{artifact}``, ``{inputs}``, ``{outputs}``, ``{report}`` and
``{python}`` placeholders that writes the outputs as ``.npy``), else
:mod:`mltestscore.checks.infra_serve` run as a script with ``sys.executable``.
A scikit-learn estimator or pipeline without ``export_fn``/``serve_command`` is
converted by skl2onnx and served by onnxruntime in the same way
(:mod:`mltestscore.checks.integrations.sklearn_onnx`).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import (
    compare_outputs,
    is_sklearn_estimator,
    is_torch_module,
    rounded,
    to_numpy,
)
from mltestscore.checks.infra_canary_process import serve_in_subprocess
from mltestscore.checks.infra_export import (
    ExportFailed,
    choose_format,
    export_builtin,
    export_team,
    format_of,
)
from mltestscore.checks.infra_predict import (
    default_predict,
    model_device_dtype,
    take_rows,
    torch_forward,
)
from mltestscore.results import CheckResult, NotAutomated


def canary_array(canary_inputs: Any) -> np.ndarray:
    """Canary inputs as one numeric batch (rows = inputs)."""
    if (
        isinstance(canary_inputs, (list, tuple))
        and canary_inputs
        and not np.isscalar(canary_inputs[0])
    ):
        arrays = [to_numpy(x, "canary_inputs item") for x in canary_inputs]
        array = np.stack(arrays) if len({a.shape for a in arrays}) == 1 else np.asarray(arrays)
    else:
        array = to_numpy(canary_inputs, "canary_inputs")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"canary_inputs: expected numeric inputs, got dtype {array.dtype}")
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError("canary_inputs is empty: give a few serving inputs (a batch)")
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return np.ascontiguousarray(array)


def latency_summary(latencies: Sequence[float]) -> dict[str, float | None]:
    if not latencies:
        return {"p50_ms": None, "max_ms": None, "mean_ms": None}
    values = np.asarray(latencies, dtype=np.float64)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 4),
        "max_ms": round(float(values.max()), 4),
        "mean_ms": round(float(values.mean()), 4),
    }


def check_canary(
    model: Any,
    canary_inputs: Any,
    export_fn: Callable[..., Any] | None,
    serve_command: str | Sequence[str] | None,
    *,
    atol: float,
    rtol: float,
    export_format: str,
    timeout_s: float,
    max_latency_ms: float | None,
) -> CheckResult:
    """Export, serve in a separate process, compare; judge (see infra.6)."""
    torch_model = is_torch_module(model)
    sklearn = not torch_model and export_fn is None and serve_command is None and is_sklearn(model)
    if not torch_model and not sklearn and (export_fn is None or serve_command is None):
        raise NotAutomated(
            f"no built-in exporter for {type(model).__name__}: define ml_export_fn "
            "(model, path, example) -> path and ml_serve_command for its serving runtime"
        )
    if sklearn:  # skl2onnx + onnxruntime, see mltestscore.checks.integrations.sklearn_onnx
        from mltestscore.checks.integrations import sklearn_onnx

        sklearn_onnx.require_runtime()
        frame, inputs = sklearn_onnx.canary_frame(canary_inputs)
        expected = sklearn_onnx.expected_outputs(model, frame)
        serve_command = sklearn_onnx.SERVE_COMMAND
    else:
        inputs = canary_array(canary_inputs)
        if torch_model and inputs.dtype.kind == "f":
            inputs = inputs.astype(_numpy_float(model))
        expected = torch_forward(model, inputs) if torch_model else default_predict(model, inputs)
    fmt = choose_format(export_format) if export_fn is None and not sklearn else "custom"
    evidence: dict[str, Any] = {
        "canary_inputs": int(inputs.shape[0]),
        "input_shape": [int(d) for d in inputs.shape],
        "export": "export_fn" if export_fn is not None else "skl2onnx" if sklearn else fmt,
        "serving": "separate python process (onnxruntime, sklearn_serve)"
        if sklearn
        else "serve_command"
        if serve_command
        else "separate python process (infra_serve)",
    }
    with tempfile.TemporaryDirectory(prefix="mltestscore-canary-") as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        try:
            if sklearn:
                artifact = sklearn_onnx.export(model, take_rows(frame, 1), directory)
                fmt = "onnx"
            elif export_fn is not None:
                artifact = export_team(export_fn, model, _example(model, inputs), directory)
                fmt = format_of(artifact)
            else:
                artifact = export_builtin(model, _example(model, inputs), fmt, directory)
        except ExportFailed as exc:
            evidence["export_s"] = rounded(time.perf_counter() - start, 4)
            return CheckResult.failed(
                f"export failed, nothing can be canaried: {exc}",
                evidence,
                "Register a skl2onnx converter for the estimator, or define ml_export_fn "
                "and ml_serve_command."
                if sklearn
                else "Replace the unsupported operation, or export with another format "
                '(export_format = "torchscript" / "onnx-dynamo") or your own ml_export_fn.',
            )
        evidence.update(
            export_s=rounded(time.perf_counter() - start, 4),
            format=fmt,
            artifact_bytes=artifact.stat().st_size if artifact.is_file() else None,
        )
        served = serve_in_subprocess(artifact, fmt, inputs, directory, serve_command, timeout_s)
    report = served.report
    latencies = [float(v) for v in report.get("latencies_ms", [])]
    evidence.update(
        process_s=rounded(served.seconds, 4),
        returncode=served.returncode,
        import_s=rounded(report.get("import_s")),
        load_s=rounded(report.get("load_s")),
        runtime=report.get("runtime"),
        mode=report.get("mode"),
        serving_process_imported=report.get("imported"),
        latency=latency_summary(latencies),
    )
    if served.outputs is None:
        why = report.get("error") or served.stderr_tail or f"exit status {served.returncode}"
        why = str(why).replace(str(directory) + os.sep, "")
        evidence["stderr_tail"] = served.stderr_tail
        return CheckResult.failed(
            f"the serving runtime could not serve the exported {fmt} artifact: {why}"[:600],
            evidence,
            "Load the artifact the way serving does and fix the export (opset, "
            "unsupported ops, file written completely) before promoting.",
        )
    diff = compare_outputs(served.outputs, expected, atol=atol, rtol=rtol)
    evidence["comparison"] = diff.to_dict()
    if not diff.equal:
        return CheckResult.failed(
            f"served outputs differ from in-process outputs on {diff.mismatched} of "
            f"{diff.compared} values (max |diff| {_num(diff.max_abs_diff)}, atol {atol:g}, "
            f"rtol {rtol:g}{'; ' + diff.note if diff.note else ''})",
            evidence,
            "Look for behaviour the export froze (data-dependent branches traced once, "
            "dropout/batch-norm mode, dtype changes) and compare layer outputs.",
        )
    p95 = float(np.percentile(latencies, 95)) if latencies else None
    evidence["latency"]["p95_ms"] = rounded(p95, 4)
    if max_latency_ms is not None and p95 is not None and p95 > max_latency_ms:
        return CheckResult.failed(
            f"served outputs match, but latency p95 {p95:.3g} ms > max_latency_ms "
            f"{max_latency_ms:g}",
            evidence,
            "Profile the served model; reduce its cost.",
        )
    load = evidence["load_s"]
    summary = (
        f"exported {fmt} artifact served by a separate process"
        + (f" (loaded in {load:.3f} s)" if load is not None else "")
        + f" reproduced {diff.compared} canary output values (max |diff| "
        f"{_num(diff.max_abs_diff)})"
    )
    if p95 is None:
        if max_latency_ms is not None:
            return CheckResult.warned(
                summary + f"; but no latency was reported, so max_latency_ms {max_latency_ms:g} "
                "was not checked",
                evidence,
                'Have serve_command write {"latencies_ms": [...]} to {report}.',
            )
        return CheckResult.passed(summary, evidence)
    lat = evidence["latency"]
    return CheckResult.passed(
        summary + f"; latency p50 {lat['p50_ms']:.3g} ms, p95 {p95:.3g} ms per input", evidence
    )


def is_sklearn(model: Any) -> bool:
    """A scikit-learn estimator or Pipeline (served through skl2onnx + onnxruntime)."""
    from sklearn.base import BaseEstimator

    return isinstance(model, BaseEstimator) and is_sklearn_estimator(model)


def _numpy_float(model: Any) -> Any:
    """The numpy dtype matching the model's floating parameters (float32 if none match)."""
    import torch

    _, dtype = model_device_dtype(model)
    try:
        return torch.empty((), dtype=dtype).numpy().dtype
    except (TypeError, RuntimeError):  # bfloat16 has no numpy dtype
        return np.float32


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _example(model: Any, inputs: np.ndarray) -> Any:
    """The first canary input (batch of one), as a tensor for torch models."""
    if not is_torch_module(model):
        return inputs[:1]
    import torch

    device, _ = model_device_dtype(model)
    return torch.from_numpy(inputs[:1]).to(device)
