"""infra.6 — models are canaried before serving: export, serve in another process, compare.

Export: the team's ``export_fn(model, path, example_input) -> path | None`` when given,
else ONNX or TorchScript (:mod:`.export`). Serving: the team's ``serve_command`` when
given, else :mod:`.serve` run as a script with ``sys.executable`` (:mod:`.serving` runs
the process and reads its answer). A scikit-learn estimator or pipeline without
``export_fn``/``serve_command`` is converted by skl2onnx and served by onnxruntime in the
same way (:mod:`mltestscore.checks.integrations.sklearn_onnx`). The in-process answer is
the model's own, through :mod:`mltestscore.inputs.predict`; here the two are compared and
judged.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.checks.infra.export import (
    ExportFailed,
    choose_format,
    example_input,
    export_builtin,
    export_team,
    format_of,
    numpy_float,
)
from mltestscore.checks.infra.serving import latency_summary, serve_in_subprocess
from mltestscore.inputs.arrays import (
    Array,
    compare_outputs,
    is_sklearn_estimator,
    is_torch_module,
    rounded,
    to_numpy,
)
from mltestscore.inputs.predict import predict, torch_forward
from mltestscore.inputs.tables import head
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("infra.6")
def canaried_before_serving(
    model: Any,
    canary_inputs: Any,
    export_fn: Callable[..., Any] | None = None,
    serve_command: str | Sequence[str] | None = None,
    *,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    export_format: str = "auto",
    timeout_s: float = 120.0,
    max_latency_ms: float | None = None,
) -> CheckResult:
    """The exported model loads in a separate serving process and reproduces its outputs.

    Inputs: ``model``, ``canary_inputs`` (a numeric batch: rows are inputs);
    optional ``export_fn(model, path, example_input) -> path`` (the team's exporter)
    and ``serve_command`` (the team's serving loader: a command line with
    ``{artifact}``, ``{inputs}`` (.npy), ``{outputs}`` (.npy to write), ``{report}``
    and ``{python}`` placeholders). By default a torch model is exported to ONNX
    (``export_format``: ``auto``/``onnx``/``onnx-dynamo``/``torchscript``) and served
    by onnxruntime (or ``torch.jit.load``) in a fresh ``sys.executable`` process that
    never imports the training code, one request per canary input; a scikit-learn
    estimator or pipeline is converted by skl2onnx (extra ``sklearn-onnx``; canary
    inputs may be a DataFrame, one graph input per column) and its ``predict_proba``
    (else ``predict``) reproduced by onnxruntime the same way. Fails when the
    export fails (e.g. an unsupported operator), when the serving runtime cannot
    load or run the artifact, when outputs differ beyond ``atol + rtol·|expected|``,
    or when latency p95 exceeds ``max_latency_ms``; ``timeout_s`` bounds the process.
    Evidence: export time, load time, latency p50/max per input, the comparison.
    """
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
            inputs = inputs.astype(numpy_float(model))
        expected = torch_forward(model, inputs) if torch_model else predict(model, inputs)
    fmt = choose_format(export_format) if export_fn is None and not sklearn else "custom"
    evidence: dict[str, Any] = {
        "canary_inputs": int(inputs.shape[0]),
        "input_shape": [int(d) for d in inputs.shape],
        "export": "export_fn" if export_fn is not None else "skl2onnx" if sklearn else fmt,
        "serving": "separate python process (onnxruntime, sklearn_serve)"
        if sklearn
        else "serve_command"
        if serve_command
        else "separate python process (infra.serve)",
    }
    with tempfile.TemporaryDirectory(prefix="mltestscore-canary-") as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        try:
            if sklearn:
                artifact = sklearn_onnx.export(model, head(frame, 1), directory)
                fmt = "onnx"
            elif export_fn is not None:
                artifact = export_team(export_fn, model, example_input(model, inputs), directory)
                fmt = format_of(artifact)
            else:
                artifact = export_builtin(model, example_input(model, inputs), fmt, directory)
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


def canary_array(canary_inputs: Any) -> Array:
    """Canary inputs as one numeric batch (rows = inputs; a list of tensors is stacked)."""
    array = to_numpy(canary_inputs, "canary_inputs")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"canary_inputs: expected numeric inputs, got dtype {array.dtype}")
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError("canary_inputs is empty: give a few serving inputs (a batch)")
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return np.ascontiguousarray(array)


def is_sklearn(model: object) -> bool:
    """A scikit-learn estimator or Pipeline (served through skl2onnx + onnxruntime)."""
    from sklearn.base import BaseEstimator

    return isinstance(model, BaseEstimator) and is_sklearn_estimator(model)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"
