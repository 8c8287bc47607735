"""Adding a line-level feature to the recognizer, end to end on the fast subset (data.6).

A new feature (scanner model, paper type, a measured line property …) is a
function of the raw scans giving one number per line. :class:`ConditionedRecognizer`
feeds such numbers to the CNN as constant image planes, mixed into the pixels by a
1×1 convolution that starts as the identity on the image (so a useless feature
starts harmless). :func:`add_feature` computes the feature, trains on the fast
subset and reports what the model now reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from digits_app.features import FEATURE_NAMES
from digits_app.losses import ctc_loss
from digits_app.model_config import AppConfig
from digits_app.pipeline import Splits, fast_subset
from digits_app.traffic import scans
from mltestscore.reference_model.metrics import character_error_rate
from mltestscore.reference_model.models import LineRecognizer, build_model
from mltestscore.reference_model.train import seed_everything
from mltestscore.reference_model.vocab import VOCAB, decode_output

FeatureFn = Callable[[Sequence[Any]], Any]
STEPS = 6


class ConditionedRecognizer(nn.Module):
    """A recognizer reading the image plus ``extra`` standardized line features."""

    def __init__(self, base: LineRecognizer, feature_names: Sequence[str]) -> None:
        super().__init__()
        self.base = base
        self.feature_names = (*FEATURE_NAMES, *feature_names)
        self.mix = nn.Conv2d(1 + len(feature_names), 1, kernel_size=1)
        with torch.no_grad():
            self.mix.weight.zero_()
            self.mix.weight[0, 0] = 1.0  # identity on the image, 0 on the new planes
            if self.mix.bias is not None:
                self.mix.bias.zero_()

    def forward(self, images: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, H, W) and side features (B, F) → CTC logits (B, T, C)."""
        planes = side[:, :, None, None].expand(-1, -1, images.shape[2], images.shape[3])
        mixed = self.mix(torch.cat([images, planes], dim=1))  # (B, 1, H, W)
        logits: torch.Tensor = self.base(mixed)
        return logits


def _column(values: Any, rows: int, name: str) -> np.ndarray:
    column = np.asarray(values, dtype=np.float64).reshape(-1)
    if column.shape != (rows,) or not np.isfinite(column).all():
        raise ValueError(f"feature {name!r} must give one finite number per line ({rows} lines)")
    return column


def add_feature(app: AppConfig, data: Splits, name: str, feature_fn: FeatureFn) -> dict[str, Any]:
    """Compute ``feature_fn`` on the fast subset's scans, train with it, evaluate."""
    subset = fast_subset(data)
    train_set, val_set = subset["train"], subset["val"]
    train_values = _column(feature_fn(scans(train_set)), len(train_set), name)
    val_values = _column(feature_fn(scans(val_set)), len(val_set), name)
    mean, std = train_values.mean(), train_values.std() or 1.0
    side_train = torch.tensor((train_values - mean) / std, dtype=torch.float32)[:, None]
    side_val = torch.tensor((val_values - mean) / std, dtype=torch.float32)[:, None]

    seed_everything(app.seed)
    model = ConditionedRecognizer(build_model(app.recognizer), [name])
    optimizer = torch.optim.AdamW(model.parameters(), lr=app.recognizer.lr)
    batch = app.recognizer.batch_size
    order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(app.seed))
    model.train()
    losses = []
    for step in range(STEPS):
        index = order[(step * batch) % len(train_set) :][:batch]
        labels = [train_set.labels[i] for i in index.tolist()]
        loss = ctc_loss(model(train_set.images[index], side_train[index]), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        losses.append(float(loss.detach()))
    model.eval()
    with torch.no_grad():
        logits = model(val_set.images, side_val)
    predictions = decode_output("cnn_ctc", logits.numpy(), VOCAB)
    return {
        "model": model,
        "feature_names": list(model.feature_names),
        "metrics": {
            "train_loss": losses[-1],
            "val_cer": character_error_rate(predictions, val_set.labels),
        },
    }
