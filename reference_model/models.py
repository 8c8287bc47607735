"""What every recognizer model provides, and the factory that builds one from a config."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .vocab import VOCAB, decode_output

if TYPE_CHECKING:
    from .config import RecognizerConfig

__all__ = ["LineRecognizer", "build_model", "count_parameters"]


class LineRecognizer(nn.Module):
    """Base class of the recognizer models.

    ``forward(images)`` is the *serving* computation (what is exported): images
    ``(B, 1, H, W)`` float32 in [0, 1] → a tensor that :func:`vocab.decode_output`
    turns into strings (CTC logits ``(B, T, C)`` or greedy token ids ``(B, S)``).
    ``loss(images, labels)`` is the training objective.
    """

    architecture: str = ""

    def __init__(self, height: int, width: int) -> None:
        super().__init__()
        self.height = height
        self.width = width

    def check_images(self, images: torch.Tensor) -> None:
        """Raise ``ValueError`` naming the shapes when ``images`` is not ``(B, 1, H, W)``."""
        if images.ndim != 4 or tuple(images.shape[1:]) != (1, self.height, self.width):
            raise ValueError(
                f"{type(self).__name__} expects images (B, 1, {self.height}, {self.width}), "
                f"got {tuple(images.shape)}"
            )

    def loss(self, images: torch.Tensor, labels: list[str]) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> list[str]:
        """Decoded strings for a batch; runs in eval mode and restores the previous mode."""
        was_training = self.training
        self.eval()
        try:
            output = self(images)
        finally:
            self.train(was_training)
        output = output.float() if output.is_floating_point() else output  # bf16 → float32
        return decode_output(self.architecture, output.cpu().numpy(), VOCAB)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_model(config: RecognizerConfig) -> LineRecognizer:
    """A freshly initialized model for ``config`` (uses torch's global RNG)."""
    if config.architecture == "cnn_ctc":
        from .lines_cnn import LineCNNCTC

        return LineCNNCTC(config)
    if config.architecture == "transformer":
        from .transformer import CNNTransformer

        return CNNTransformer(config)
    raise ValueError(
        f"unknown architecture {config.architecture!r}; expected 'cnn_ctc' or 'transformer'"
    )
