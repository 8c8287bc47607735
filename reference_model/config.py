"""Recognizer configurations: one dataclass, three presets (``tiny``, ``default``, ``gpu``).

==========  ===========  ======================================  ============================
preset      model        data (train / val / test lines)          meant for
==========  ===========  ======================================  ============================
tiny        CNN + CTC,   6,000 / 500 / 1,000, 2 epochs            CI on a 2-core CPU (~1 min)
            166k params
default     CNN + CTC,   12,000 / 1,000 / 1,000, 6 epochs         a laptop CPU (minutes)
            0.4M params
gpu         CNN +        40,000 / 2,000 / 2,000, 20 epochs        one CUDA GPU, bf16 autocast
            Transformer
            5.6M params
==========  ===========  ======================================  ============================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .data import DigitLinesConfig

__all__ = ["CONFIGS", "RecognizerConfig", "get_config"]

ARCHITECTURES = ("cnn_ctc", "transformer")


@dataclass(frozen=True)
class RecognizerConfig:
    """Model, data and training settings of one recognizer run."""

    name: str = "default"
    architecture: str = "cnn_ctc"  # "cnn_ctc" (LineCNN + CTC) or "transformer"
    data: DigitLinesConfig = field(default_factory=DigitLinesConfig)
    # encoder: 3x3 conv blocks; the first two halve H and W, so CTC gets W/4 time steps
    channels: tuple[int, ...] = (16, 32, 64, 64)
    hidden: int = 128  # CTC: per-column feature size; Transformer: d_model
    dropout: float = 0.1
    # Transformer decoder (architecture="transformer")
    heads: int = 4
    decoder_layers: int = 2
    feedforward: int = 512
    # optimisation: AdamW with a one-cycle schedule over max_epochs
    batch_size: int = 32
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    max_epochs: int = 10
    patience: int = 3  # early stopping: epochs without a better validation CER
    # wall-clock budget: training stops at the first step past it. Makes the result depend on
    # machine speed, so presets leave it off (same seed → bitwise-identical weights on CPU).
    max_seconds: float | None = None
    eval_batch_size: int = 256
    bf16: bool = True  # bf16 autocast on CUDA (ignored on CPU)

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}"
            )
        if len(self.channels) < 2 or min(self.channels) < 1:
            raise ValueError(f"channels needs >= 2 positive widths, got {self.channels}")
        if self.data.height % 4 or self.data.width % 4:
            raise ValueError(
                f"data height and width must be multiples of 4 (two 2x poolings), "
                f"got {self.data.height}x{self.data.width}"
            )
        if self.architecture == "transformer" and self.hidden % self.heads:
            raise ValueError(f"hidden={self.hidden} must be divisible by heads={self.heads}")
        for key in ("batch_size", "max_epochs", "eval_batch_size", "hidden"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")

    def replace(self, **changes: Any) -> RecognizerConfig:
        """A copy with ``changes``; ``data=`` takes a config or a dict of data changes."""
        data = changes.get("data")
        if isinstance(data, dict):
            changes["data"] = dataclasses.replace(self.data, **data)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RecognizerConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError`` naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        data_known = {f.name for f in dataclasses.fields(DigitLinesConfig)}
        data = dict(values.get("data", {}))
        unknown = sorted(set(values) - known) + [
            f"data.{k}" for k in sorted(set(data) - data_known)
        ]
        if unknown:
            raise ValueError(f"unknown recognizer config keys: {', '.join(unknown)}")
        data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        rest: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k != "data"
        }
        return cls(**rest, data=DigitLinesConfig(**data))

    @classmethod
    def preset(cls, name: str) -> RecognizerConfig:
        return get_config(name)


CONFIGS: dict[str, RecognizerConfig] = {
    "tiny": RecognizerConfig(
        name="tiny",
        data=DigitLinesConfig(train_size=6000, val_size=500, test_size=1000),
        channels=(8, 32, 64, 64),  # 8 full-resolution channels: ~1.6x faster than 16 on CPU
        max_epochs=2,  # 12,000 line-steps: ~1 % test CER (one-cycle schedule over 2 epochs)
        patience=1,
        batch_size=32,
        lr=4e-3,
    ),
    "default": RecognizerConfig(
        name="default",
        data=DigitLinesConfig(train_size=12000, val_size=1000, test_size=1000),
        channels=(16, 32, 64, 96),
        hidden=192,
        max_epochs=6,
    ),
    "gpu": RecognizerConfig(
        name="gpu",
        architecture="transformer",
        data=DigitLinesConfig(train_size=40000, val_size=2000, test_size=2000),
        channels=(64, 128, 256, 256),
        hidden=256,
        heads=8,
        decoder_layers=4,
        feedforward=1024,
        batch_size=128,
        lr=1e-3,
        max_epochs=20,
        patience=4,
        eval_batch_size=512,
    ),
}


def get_config(name: str) -> RecognizerConfig:
    """The preset called ``name``; raises ``ValueError`` listing the presets."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; presets: {', '.join(CONFIGS)}") from None
