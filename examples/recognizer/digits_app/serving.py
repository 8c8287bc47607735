"""The serving side: the request handler in production, separate from the training code.

:class:`LineService` takes uploaded scans, prepares them with its *own* code (a
lookup table from grey level to float, written for speed, not
:mod:`digits_app.features`), runs the exported ONNX model with onnxruntime and
logs every request: its scan and the fingerprint of the tensor it gave the model.
That log is what monitor.3 checks against the training feature code, and the
logged model inputs are what monitor.2 validates against the schema.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from digits_app.features import HEIGHT, WIDTH, fingerprint

Runner = Callable[[npt.NDArray[np.float32]], list[str]]  # (N, 1, H, W) -> strings
_GREY = np.arange(256, dtype=np.float32) / np.float32(255.0)  # uint8 grey level -> [0, 1]


class BadRequest(ValueError):
    """A request the service refuses (HTTP 400): what was wrong with the scan."""


def prepare(scan: Any) -> npt.NDArray[np.float32]:
    """A scan as the model's input ``(1, 28, 256)``: validated, scaled, padded."""
    array = np.asarray(scan)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2 or array.shape[0] != HEIGHT or not 1 <= array.shape[1] <= WIDTH:
        raise BadRequest(
            f"expected a grey scan {HEIGHT} px high, 1..{WIDTH} wide; got {array.shape}"
        )
    if array.dtype == np.uint8:
        pixels = _GREY[array]
    elif (
        array.dtype.kind == "f"
        and np.isfinite(array).all()
        and 0 <= array.min() <= array.max() <= 1
    ):
        pixels = array.astype(np.float32)
    else:
        raise BadRequest(f"pixels must be uint8 or floats in [0, 1]; got {array.dtype}")
    model_input = np.zeros((1, HEIGHT, WIDTH), dtype=np.float32)
    model_input[0, :, : pixels.shape[1]] = pixels
    return model_input


class LineService:
    """Reads lines with ``runner`` (e.g. an onnxruntime session) and logs each request."""

    def __init__(self, runner: Runner, prepare_fn: Callable[[Any], npt.NDArray[Any]] = prepare):
        self.runner = runner
        self.prepare = prepare_fn
        self._ids: list[str] = []
        self._scans: list[npt.NDArray[Any]] = []
        self._inputs: list[npt.NDArray[np.float32]] = []

    @classmethod
    def from_onnx(cls, path: str | os.PathLike[str]) -> LineService:
        """Serve the exported model at ``path`` (onnxruntime; no torch in this process)."""
        from mltestscore.reference_model.export import load_exported

        session = load_exported(Path(path))
        return cls(session.predict)

    def predict(self, scans: Sequence[Any]) -> list[str]:
        """Transcriptions of a batch of scans, not logged (monitor.6 times this)."""
        batch = np.stack([self.prepare(scan) for scan in scans])  # (N, 1, H, W)
        return self.runner(batch)

    def handle(self, request_ids: Sequence[str], scans: Sequence[Any]) -> list[str]:
        """Answer a batch of requests and log them."""
        if len(request_ids) != len(scans):
            raise BadRequest(f"{len(request_ids)} request ids for {len(scans)} scans")
        inputs = [self.prepare(scan) for scan in scans]
        answers = self.runner(np.stack(inputs))
        self._ids.extend(request_ids)
        self._scans.extend(np.asarray(scan) for scan in scans)
        self._inputs.extend(inputs)
        return answers

    def logged_inputs(self) -> npt.NDArray[np.float32]:
        """Every model input served so far ``(N, 1, H, W)`` (monitor.2's sample)."""
        return np.stack(self._inputs)

    def request_log(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(raw requests, served features)``, both indexed by request id (monitor.3)."""
        index = pd.Index(self._ids, name="request_id")
        raw = pd.DataFrame({"image": pd.Series(self._scans, index=index, dtype=object)})
        raw["width"] = [scan.shape[-1] for scan in self._scans]
        served = fingerprint(self.logged_inputs()).set_axis(index, axis=0)
        return raw, served
