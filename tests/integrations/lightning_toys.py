"""A small LightningModule + LightningDataModule, and the same module with planted bugs
inside ``training_step`` (what the smoke suite run through Lightning must catch)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(L.LightningModule):
    def __init__(self, lr: float = 1e-2) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(32, 3)
        self.loss_fn = nn.CrossEntropyLoss()
        self.lr = lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))  # (B, 3)

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_acc", (self(x).argmax(1) == y).float().mean())

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


class FlippedSign(Classifier):
    def training_step(self, batch: Any, batch_idx: int) -> Any:
        return -super().training_step(batch, batch_idx)


class EvalLeftOn(Classifier):
    def training_step(self, batch: Any, batch_idx: int) -> Any:
        self.eval()
        return super().training_step(batch, batch_idx)


class DetachedHead(Classifier):
    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return self.loss_fn(self.head(self.encoder(x).detach()), y)


class ManualWithoutZeroGrad(Classifier):
    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        opt = self.optimizers()
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self.manual_backward(loss)
        opt.step()
        return loss


class ManualCorrect(ManualWithoutZeroGrad):
    def training_step(self, batch: Any, batch_idx: int) -> Any:
        opt = self.optimizers()
        opt.zero_grad()
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self.manual_backward(loss)
        opt.step()
        return None  # the adapter reports the loss handed to manual_backward


class Blobs(L.LightningDataModule):
    def setup(self, stage: str | None = None) -> None:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(512, 8, generator=g)
        y = (x @ torch.randn(8, 3, generator=g)).argmax(1)
        self.train_ds = TensorDataset(x[:384], y[:384])
        self.val_ds = TensorDataset(x[384:], y[384:])

    def train_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self.train_ds, batch_size=32, shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self.val_ds, batch_size=64)


class OwnLoaders:
    """A module that serves its own loaders (Lightning's ``train_dataloader`` hook)."""

    def setup(self, stage: str | None = None) -> None:
        self.blobs = Blobs()
        self.blobs.setup(stage)

    def train_dataloader(self) -> DataLoader[Any]:
        return self.blobs.train_dataloader()

    def val_dataloader(self) -> DataLoader[Any]:
        return self.blobs.val_dataloader()


class SelfContained(OwnLoaders, Classifier):
    pass


class SelfContainedFlippedSign(OwnLoaders, FlippedSign):
    pass
