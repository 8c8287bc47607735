"""The digit lines as a ``LightningDataModule``: batches of images and padded CTC targets."""

from __future__ import annotations

from typing import Any

import lightning as L
from digits_app.losses import encode_targets
from torch.utils.data import DataLoader, TensorDataset

from mltestscore.reference_model.data import DigitLinesConfig, LineDataset, make_splits


class DigitLinesDataModule(L.LightningDataModule):
    """``lines[split]`` keeps the labelled lines; loaders yield ``(images, targets)``."""

    def __init__(self, config: DigitLinesConfig, batch_size: int = 32) -> None:
        super().__init__()
        self.config, self.batch_size = config, batch_size
        self.lines: dict[str, LineDataset] = {}

    def setup(self, stage: str | None = None) -> None:
        if not self.lines:
            self.lines = make_splits(self.config)

    def _tensors(self, split: str) -> TensorDataset:
        lines = self.lines[split]
        return TensorDataset(lines.images, encode_targets(list(lines.labels)))

    def train_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self._tensors("train"), batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self._tensors("val"), batch_size=256)

    def test_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self._tensors("test"), batch_size=256)
