"""The reference recognizer (LineCNN + CTC) as a ``LightningModule``."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
from digits_app.losses import ctc_loss_fn

from mltestscore.reference_model.config import RecognizerConfig
from mltestscore.reference_model.models import build_model


class LineReaderModule(L.LightningModule):
    """``forward(images (B, 1, H, W)) -> CTC logits (B, T, C)``; ``predict`` decodes strings."""

    def __init__(self, config: RecognizerConfig) -> None:
        super().__init__()
        self.config = config
        self.model = build_model(config)
        self.loss_fn = ctc_loss_fn  # (logits, padded targets) -> mean CTC loss

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)  # (B, T, C)

    def predict(self, images: torch.Tensor) -> list[str]:
        return self.model.predict(images)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        images, targets = batch  # (B, 1, H, W), (B, S)
        loss = self.loss_fn(self(images), targets)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        images, targets = batch
        self.log("val_loss", self.loss_fn(self(images), targets))

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        torch.nn.utils.clip_grad_norm_(self.parameters(), self.config.grad_clip)

    def configure_optimizers(self) -> Any:
        """AdamW with a one-cycle schedule over the spec's epochs, as the reference loop."""
        config = self.config
        opt = torch.optim.AdamW(self.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        steps = config.max_epochs * math.ceil(config.data.train_size / config.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=config.lr, total_steps=steps, pct_start=0.2
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
