"""The planted bugs of the broken copy, each one a mistake real ML teams make.

Every function here replaces one piece of the healthy project (``examples/recognizer``);
``conftest.py`` wires each into the fixture it corrupts. See README.md for the rubric
test each one must fail.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from digits_app import pipeline
from digits_app.features import HEIGHT, WIDTH
from digits_app.model_config import AppConfig
from torch import nn
from torch.nn import functional as F

from mltestscore.reference_model.config import RecognizerConfig
from mltestscore.reference_model.lines_cnn import LineCNNCTC
from mltestscore.reference_model.models import LineRecognizer
from mltestscore.reference_model.store import ModelStore
from mltestscore.reference_model.train import train


# 1. infra.1 -- the data loader shuffles with an unseeded generator ------------------------
def unseeded_fast_train(app: AppConfig, data: pipeline.Splits, seed: int) -> LineRecognizer:
    """Fast-subset training whose line order comes from an unseeded RNG: ``seed`` is not enough."""
    subset = pipeline.fast_subset(data)
    order = np.random.default_rng().permutation(len(subset["train"]))  # BUG: no seed
    subset["train"] = subset["train"].select(order.tolist())
    return train(app.recognizer, data=subset, seed=seed, max_epochs=1, log=None).model


# 2. infra.2 -- a debugging `torch.no_grad()` left in the model code ------------------------
class FrozenTemporalCNN(LineCNNCTC):
    """LineCNN + CTC whose temporal convolution runs under ``no_grad``: it never learns."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.check_images(images)
        x = self.encoder(images).permute(0, 3, 1, 2).flatten(2)  # (B, T, C * H/4)
        x = F.relu(self.project(x))  # (B, T, hidden)
        with torch.no_grad():  # BUG: left over from a debugging session
            context = F.relu(self.temporal(x.transpose(1, 2))).transpose(1, 2)
        logits: torch.Tensor = self.head(self.dropout(x + context))
        return logits


# 3. infra.4 -- the candidate was trained on a truncated dataset ----------------------------
def truncated_candidate(app: AppConfig, data: pipeline.Splits) -> LineRecognizer:
    """A candidate whose data loader stopped after the first 192 lines (6 steps)."""
    return pipeline.fast_train(app, data, app.seed)


# 4. infra.6 -- the exporter fixes the batch size to one ----------------------------------
def export_batch_of_one(model: LineRecognizer, path: Path, example: torch.Tensor) -> Path:
    """Export to ONNX from a single example without a dynamic batch axis."""
    import onnx

    work = copy.deepcopy(model).cpu().eval()
    torch.onnx.export(
        work, (example[:1],), str(path), input_names=["images"], output_names=["output"],
        dynamo=False,
    )  # fmt: skip  # BUG: no dynamic_axes, so the artifact only takes batches of 1
    proto = onnx.load(str(path))
    props = {"architecture": model.architecture, "height": str(HEIGHT), "width": str(WIDTH)}
    onnx.helper.set_model_props(proto, props)
    onnx.save(proto, str(path))
    return Path(path)


# 5. infra.7 -- the release job prunes old versions to save disk ---------------------------
def pruned_store(store: ModelStore, root: Path, name: str) -> ModelStore:
    """A copy of ``store`` holding only its serving version."""
    serving = store.serving_version(name)
    target = root / name / "1"
    shutil.copytree(store.path(name, serving), target)
    pruned = ModelStore(root)
    pruned.promote(name, 1)
    return pruned


# 6. monitor.2 and monitor.3 -- the serving preprocessing was rewritten ---------------------
def careless_prepare(scan: Any) -> npt.NDArray[np.float32]:
    """Serving preprocessing that divides by 256 (skew) and checks no ranges (bad inputs pass)."""
    array = np.asarray(scan)
    if array.ndim == 3:
        array = array[0]
    pixels = array.astype(np.float32)
    if array.dtype == np.uint8:
        pixels = pixels / 256.0  # BUG: training divides by 255
    model_input = np.zeros((1, HEIGHT, WIDTH), dtype=np.float32)
    model_input[0, :, : pixels.shape[1]] = pixels  # BUG: floats are not checked to lie in [0, 1]
    return model_input


# 7. monitor.5 -- log-compressed activations without an epsilon ----------------------------
class LogScale(nn.Module):
    """``log(x)``: -inf wherever a ReLU output is 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)  # BUG: needs log(x + eps)


class LogCompressedCNN(LineCNNCTC):
    """The trained model with a log compression of its column features."""

    def __init__(self, config: RecognizerConfig, trained: LineCNNCTC) -> None:
        super().__init__(config)
        self.load_state_dict(trained.state_dict())
        self.compress = LogScale()
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.check_images(images)
        x = self.encoder(images).permute(0, 3, 1, 2).flatten(2)  # (B, T, C * H/4)
        x = self.compress(F.relu(self.project(x)))  # (B, T, hidden)
        x = x + F.relu(self.temporal(x.transpose(1, 2))).transpose(1, 2)
        logits: torch.Tensor = self.head(self.dropout(x))
        return logits
