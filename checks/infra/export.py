"""infra.6's mechanism: exporting a model for serving — built-in exporters or ``export_fn``.

Built-in: ONNX (``torch.onnx.export``; ``onnx`` uses the TorchScript-based exporter
with a dynamic batch axis, fast and offline; ``onnx-dynamo`` the ``torch.export``
one) or TorchScript (``torch.jit.trace``). What C++ exporters print is silenced. The
traced example is the first canary input as the model takes it (its device and dtype,
:func:`mltestscore.inputs.predict.to_model_input`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import Array, is_torch_module
from mltestscore.inputs.predict import model_device_dtype, to_model_input

SUFFIX = {"onnx": ".onnx", "onnx-dynamo": ".onnx", "torchscript": ".pt"}
FORMATS = ("auto", "onnx", "onnx-dynamo", "torchscript")


class ExportFailed(Exception):
    """The exporter could not produce an artifact (message says why)."""


@contextlib.contextmanager
def quiet_fds() -> Iterator[list[str]]:
    """Silence what C++ exporters print on fds 1/2; the captured text is yielded back.

    Where the descriptors cannot be duplicated (no fd 1/2), nothing is redirected.
    """
    captured: list[str] = []
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield captured
        finally:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                sys.stdout.flush()
                sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))


def choose_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"export_format must be one of {FORMATS}, got {fmt!r}")
    if fmt != "auto":
        return fmt
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return "torchscript"
    return "onnx"


def export_builtin(model: Any, example: Any, fmt: str, directory: Path) -> Path:
    """Export ``model`` (eval mode) with ``example`` as the traced input."""
    import torch

    path = directory / f"model{SUFFIX[fmt]}"
    was_training = model.training
    model.eval()
    try:
        with quiet_fds(), warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            if fmt == "torchscript":
                traced = torch.jit.trace(model, example)  # type: ignore[no-untyped-call]
                traced.save(str(path))
            elif fmt == "onnx":
                torch.onnx.export(
                    model,
                    (example,),
                    str(path),
                    dynamo=False,
                    input_names=["input"],
                    output_names=["output"],
                    dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                )
            else:
                batch = torch.export.Dim("batch", min=1)
                torch.onnx.export(
                    model,
                    (example,),
                    str(path),
                    dynamo=True,
                    input_names=["input"],
                    dynamic_shapes=({0: batch},),
                    verbose=False,
                )
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ExportFailed(f"{type(exc).__name__}: {first}"[:400]) from exc
    finally:
        model.train(was_training)
    return path


def export_team(export_fn: Callable[..., Any], model: Any, example: Any, directory: Path) -> Path:
    target = directory / "model"
    try:
        returned = export_fn(model, target, example)
    except Exception as exc:
        raise ExportFailed(f"export_fn raised {type(exc).__name__}: {exc}"[:400]) from exc
    path = Path(returned) if isinstance(returned, (str, os.PathLike)) else target
    if not path.exists():
        candidates = sorted(p for p in directory.iterdir() if p.name != "canary_inputs.npy")
        if not candidates:
            raise ExportFailed(
                f"export_fn wrote nothing at {path.name} (and returned {returned!r})"
            )
        path = candidates[0]
    return path


def format_of(path: Path) -> str:
    return "torchscript" if path.suffix in (".pt", ".pth", ".ts", ".torchscript") else "onnx"


def example_input(model: object, inputs: Array) -> Any:
    """The first canary input (a batch of one), as a tensor on the device of a torch model."""
    if not is_torch_module(model):
        return inputs[:1]
    return to_model_input(model, inputs[:1], "canary_inputs")


def numpy_float(model: object) -> Any:
    """The numpy dtype of a torch model's floating parameters (float32 when numpy has none)."""
    import torch

    _, dtype = model_device_dtype(model)
    try:
        return torch.empty((), dtype=dtype).numpy().dtype
    except (TypeError, RuntimeError):  # bfloat16 has no numpy dtype
        return np.float32
