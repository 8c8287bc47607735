"""LineCNN + CTC: a convolutional encoder read column by column, trained with CTC.

FSDL's LineCNN family: convolutions slide over the line, each of the ``W/4`` output
columns predicts a character or the CTC blank, and greedy CTC decoding (merge repeats,
drop blanks) turns the column predictions into the label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from .models import LineRecognizer
from .vocab import VOCAB

if TYPE_CHECKING:
    from .config import RecognizerConfig

__all__ = ["ConvEncoder", "LineCNNCTC"]


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class ConvEncoder(nn.Sequential):
    """3x3 conv blocks; a 2x2 max-pool after each of the first two: (B, 1, H, W) → (B, C, H/4, W/4)."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        layers: list[nn.Module] = []
        in_channels = 1
        for i, out_channels in enumerate(channels):
            layers.append(conv_block(in_channels, out_channels))
            if i < 2:
                layers.append(nn.MaxPool2d(2))
            in_channels = out_channels
        super().__init__(*layers)
        self.out_channels = in_channels


class LineCNNCTC(LineRecognizer):
    """Conv encoder → per-column projection → temporal conv (residual) → CTC classes."""

    architecture = "cnn_ctc"

    def __init__(self, config: RecognizerConfig) -> None:
        super().__init__(config.data.height, config.data.width)
        self.encoder = ConvEncoder(config.channels)
        column_features = self.encoder.out_channels * (self.height // 4)
        self.project = nn.Linear(column_features, config.hidden)
        self.temporal = nn.Conv1d(config.hidden, config.hidden, 3, padding=1)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, VOCAB.ctc_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, H, W) → logits (B, T=W/4, classes); class 0 is the CTC blank."""
        self.check_images(images)
        x = self.encoder(images)  # (B, C, H/4, W/4)
        x = x.permute(0, 3, 1, 2).flatten(2)  # (B, T, C * H/4): one vector per column
        x = F.relu(self.project(x))  # (B, T, hidden)
        x = x + F.relu(self.temporal(x.transpose(1, 2))).transpose(1, 2)  # (B, T, hidden)
        logits: torch.Tensor = self.head(self.dropout(x))  # (B, T, classes)
        return logits

    def loss(self, images: torch.Tensor, labels: list[str]) -> torch.Tensor:
        """Mean CTC loss per target character (``reduction="mean"``)."""
        if len(labels) != images.shape[0]:
            raise ValueError(f"{images.shape[0]} images but {len(labels)} labels")
        logits = self(images)  # (B, T, classes)
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T, B, classes)
        steps, batch = log_probs.shape[:2]
        longest = max(len(label) for label in labels)
        if longest > steps:
            raise ValueError(f"label of {longest} characters exceeds the {steps} CTC time steps")
        targets = torch.tensor(
            [i for label in labels for i in VOCAB.encode(label)], dtype=torch.long
        )
        target_lengths = torch.tensor([len(label) for label in labels], dtype=torch.long)
        input_lengths = torch.full((batch,), steps, dtype=torch.long)
        return F.ctc_loss(
            log_probs,
            targets.to(images.device),
            input_lengths.to(images.device),
            target_lengths.to(images.device),
            blank=VOCAB.blank,
            zero_infinity=True,
        )
