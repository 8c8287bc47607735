"""infra.6 for scikit-learn: export with skl2onnx, serve with onnxruntime in another process.

- :func:`canary_frame` turns the canary inputs into what both sides read: a DataFrame
  keeps one input per column (float columns as float32, integers as int64, the rest as
  strings), an array becomes one float32 input ``X``. The serving process receives them
  as one ``.npy`` file (a structured array for a DataFrame: no pickle).
- :func:`expected_outputs` is what the estimator answers in process: ``predict_proba``
  for a classifier that has it (the ONNX graph is converted without ZipMap so it answers
  the same matrix), else ``predict`` (one column per output).
- :func:`export` converts with ``skl2onnx.to_onnx``; an estimator it cannot convert
  raises :class:`~mltestscore.checks.infra.export.ExportFailed` with the converter's own
  message and the fixtures that replace the built-in exporter.
- :data:`SERVE_COMMAND` runs :mod:`.sklearn_serve` as a script with ``sys.executable``:
  it imports onnxruntime and numpy, never scikit-learn or the team's code.

skl2onnx is the extra ``sklearn-onnx``; without it (or onnxruntime) infra.6 is not
automated for scikit-learn, and the message says what to install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.checks.infra.export import ExportFailed
from mltestscore.results import NotAutomated

SERVE_SCRIPT = Path(__file__).with_name("sklearn_serve.py")
SERVE_COMMAND = (
    "{python} "
    + str(SERVE_SCRIPT)
    + " --artifact {artifact} --inputs {inputs} --outputs {outputs} --report {report}"
)
FIXTURE_HINT = (
    "register a converter (skl2onnx.update_registered_converter), or define ml_export_fn "
    "(model, path, example) -> path and ml_serve_command for your serving runtime"
)


def require_runtime() -> None:
    """Raise :class:`NotAutomated` when skl2onnx or onnxruntime is missing."""
    missing = [m for m in ("skl2onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise NotAutomated(
            f"infra.6 exports scikit-learn models with skl2onnx and serves them with "
            f"onnxruntime; {' and '.join(missing)} not installed: pip install "
            f"'mltestscore[sklearn-onnx]' — or define ml_export_fn and ml_serve_command"
        )


def final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if isinstance(steps, list) and steps else model


def answers_probabilities(model: Any) -> bool:
    final = final_estimator(model)
    return hasattr(final, "classes_") and callable(getattr(model, "predict_proba", None))


def canary_frame(canary_inputs: Any) -> tuple[Any, np.ndarray]:
    """``(what the estimator reads, the .npy payload for the serving process)``."""
    if hasattr(canary_inputs, "columns") and hasattr(canary_inputs, "dtypes"):
        frame = canary_inputs.copy()
        if len(frame) == 0:
            raise ValueError("canary_inputs is an empty DataFrame: give a few serving rows")
        fields: list[tuple[str, Any]] = []
        for column in frame.columns:
            kind = frame[column].dtype.kind
            if kind == "f":
                frame[column] = frame[column].astype(np.float32)
                fields.append((str(column), np.float32))
            elif kind in "biu":
                frame[column] = frame[column].astype(np.int64)
                fields.append((str(column), np.int64))
            else:
                frame[column] = frame[column].astype(str)
                width = max(1, int(frame[column].str.len().max()))
                fields.append((str(column), f"<U{width}"))
        payload = np.zeros(len(frame), dtype=fields)
        for (name, _), column in zip(fields, frame.columns, strict=True):
            payload[name] = frame[column].to_numpy()
        return frame, payload
    array = np.asarray(canary_inputs)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"canary_inputs: expected numeric rows or a DataFrame, got dtype {array.dtype}"
        )
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"canary_inputs: expected rows × features, got shape {array.shape}")
    array = np.ascontiguousarray(array.astype(np.float32))
    return array, array


def expected_outputs(model: Any, inputs: Any) -> np.ndarray:
    """The in-process answer the served one must reproduce."""
    if answers_probabilities(model):
        return np.asarray(model.predict_proba(inputs), dtype=np.float64)
    out = np.asarray(model.predict(inputs))
    return out.reshape(len(out), -1)


def export(model: Any, sample: Any, directory: Path) -> Path:
    """Convert ``model`` with skl2onnx (``sample``: one row, typed as served) to model.onnx."""
    from skl2onnx import to_onnx

    final = final_estimator(model)
    options = {id(final): {"zipmap": False}} if answers_probabilities(model) else None
    try:
        onx = to_onnx(model, sample, options=options)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ExportFailed(
            f"skl2onnx cannot convert {type(model).__name__}: {type(exc).__name__}: "
            f"{first[:300]} — {FIXTURE_HINT}"
        ) from exc
    path = directory / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    return path
