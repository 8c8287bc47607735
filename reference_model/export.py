"""Export for serving: ONNX (torch's dynamo exporter), run with onnxruntime.

``export_model`` writes one self-contained ``.onnx`` file with a dynamic batch axis,
records the architecture and input size in its metadata, and checks that onnxruntime
reproduces the torch outputs before it returns. ``load_exported`` gives a callable that
needs only numpy and onnxruntime; so does the serving entry point, which a separate
process runs for canary checks::

    python -m mltestscore.reference_model.export serve-canary \\
        --model model.onnx --inputs canary.npy --outputs out.npy

It prints one JSON object: load time, latency per batch and per line, predictions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .vocab import decode_output

if TYPE_CHECKING:
    import torch

    from .models import LineRecognizer

__all__ = ["ExportError", "ExportedRecognizer", "export_model", "load_exported", "main"]

INPUT, OUTPUT = "images", "output"


class ExportError(Exception):
    """An export failed, or an exported artifact cannot be loaded or run."""


def export_model(
    model: LineRecognizer,
    path: str | os.PathLike[str],
    example_input: torch.Tensor,
    *,
    tolerance: float = 1e-4,
) -> Path:
    """Export ``model`` to ONNX at ``path`` and verify it with onnxruntime.

    ``example_input``: images ``(B, 1, H, W)``; the batch axis is exported dynamic.
    Raises :class:`ExportError` when the exporter fails or onnxruntime's outputs differ
    from torch's by more than ``tolerance`` (CTC logits) or at all (token ids).
    """
    import copy
    import logging
    import warnings

    import onnx
    import torch

    from mltestscore import __version__

    from .checkpoint import write_atomic

    model.check_images(example_input)
    target = Path(path)
    cpu_model = copy.deepcopy(model).cpu().eval()
    example = example_input.detach().cpu().float()
    if example.shape[0] == 1:  # a batch of 1 would be specialised as a constant
        example = example.repeat(2, 1, 1, 1)  # (2, 1, H, W)
    batch = torch.export.Dim("batch", min=1, max=65536)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                cpu_model,
                (example,),
                dynamo=True,
                dynamic_shapes=({0: batch},),
                input_names=[INPUT],
                output_names=[OUTPUT],
                external_data=False,
                optimize=False,  # onnxruntime optimizes the graph when it loads it
                verbose=False,
            )
    except Exception as exc:
        raise ExportError(f"ONNX export of {type(model).__name__} failed: {exc}") from exc
    finally:
        exporter_log.setLevel(level)
    if program is None:
        raise ExportError("torch.onnx.export returned no program")
    proto = program.model_proto
    props = {
        "architecture": cpu_model.architecture,
        "height": str(cpu_model.height),
        "width": str(cpu_model.width),
        "mltestscore_version": __version__,
    }
    onnx.helper.set_model_props(proto, props)
    write_atomic(target, proto.SerializeToString())

    exported = load_exported(target)
    with torch.no_grad():
        expected = cpu_model(example).float().numpy()
    got = exported(example.numpy())
    if cpu_model.architecture == "cnn_ctc":
        difference = float(np.max(np.abs(got - expected)))
        ok = difference <= tolerance
    else:
        difference = float(np.mean(got != expected))
        ok = difference == 0.0
    if not ok:
        target.unlink(missing_ok=True)
        raise ExportError(
            f"onnxruntime output differs from torch by {difference:.3g} "
            f"(tolerance {tolerance:g}); {target} removed"
        )
    return target


class ExportedRecognizer:
    """An exported model in an onnxruntime session: ``session(images) -> output``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ExportError(f"exported model {self.path} does not exist")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ExportError(f"onnxruntime cannot load {self.path}: {exc}") from None
        props = self.session.get_modelmeta().custom_metadata_map
        try:
            self.architecture = props["architecture"]
            self.height, self.width = int(props["height"]), int(props["width"])
        except (KeyError, ValueError):
            raise ExportError(
                f"{self.path} lacks the recognizer metadata (architecture, height, width)"
            ) from None

    def __call__(self, images: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Images ``(B, 1, H, W)`` float32 in [0, 1] → raw output (logits or token ids)."""
        batch = np.asarray(images)
        if batch.ndim != 4 or batch.shape[1:] != (1, self.height, self.width):
            raise ValueError(
                f"{self.path.name} expects images (B, 1, {self.height}, {self.width}), "
                f"got {batch.shape}"
            )
        output: npt.NDArray[Any] = self.session.run(
            [OUTPUT], {INPUT: batch.astype(np.float32, copy=False)}
        )[0]
        return output

    def predict(self, images: npt.NDArray[Any]) -> list[str]:
        return decode_output(self.architecture, self(images))


def load_exported(path: str | os.PathLike[str]) -> ExportedRecognizer:
    """An onnxruntime-backed callable for the ONNX file at ``path``."""
    return ExportedRecognizer(path)


def _load_inputs(path: Path) -> npt.NDArray[np.float32]:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot read inputs {path}: {exc}") from None
    if array.ndim == 3:  # (B, H, W)
        array = array[:, None]
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    if array.dtype.kind != "f" or not np.isfinite(array).all():
        raise ExportError(
            f"inputs {path} must be finite floats in [0, 1] or uint8, got {array.dtype}"
        )
    return np.asarray(array, dtype=np.float32)


def serve_canary(model: Path, inputs: Path, outputs: Path | None, repeat: int) -> dict[str, Any]:
    """Load ``model`` fresh, run ``inputs``, save raw outputs; timings and predictions."""
    import onnxruntime as ort

    started = time.perf_counter()
    session = load_exported(model)
    load_seconds = time.perf_counter() - started
    images = _load_inputs(inputs)
    timings = []
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        try:
            output = session(images)
        except Exception as exc:  # onnxruntime's errors: one line, not a traceback
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportError(
                f"onnxruntime could not run {model} on inputs of shape {images.shape}: {first}"
            ) from None
        timings.append(time.perf_counter() - t0)
    if outputs is not None:
        np.save(outputs, output)
    latency = float(np.median(timings))
    return {
        "model": str(model),
        "runtime": f"onnxruntime {ort.__version__}",
        "architecture": session.architecture,
        "lines": int(images.shape[0]),
        "load_seconds": load_seconds,
        "latency_ms": 1e3 * latency,
        "latency_ms_per_line": 1e3 * latency / max(images.shape[0], 1),
        "predictions": decode_output(session.architecture, output),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mltestscore.reference_model.export")
    commands = parser.add_subparsers(dest="command", required=True)
    canary = commands.add_parser("serve-canary", help="run an exported model in this process")
    canary.add_argument("--model", type=Path, required=True, metavar="MODEL.onnx")
    canary.add_argument("--inputs", type=Path, required=True, metavar="IN.npy")
    canary.add_argument("--outputs", type=Path, default=None, metavar="OUT.npy")
    canary.add_argument("--repeat", type=int, default=5, metavar="N", help="timed runs (default 5)")
    export = commands.add_parser("export", help="export a stored version to ONNX")
    export.add_argument("--store", type=Path, required=True, metavar="DIR")
    export.add_argument("--name", default="recognizer", metavar="NAME")
    export.add_argument("--version", type=int, default=None, metavar="N")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve-canary":
            report = serve_canary(args.model, args.inputs, args.outputs, args.repeat)
        else:
            from .store import ModelStore

            path = ModelStore(args.store).export(args.name, args.version)
            report = {"exported": str(path)}
    except (ExportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
