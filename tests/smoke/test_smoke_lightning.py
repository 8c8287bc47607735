"""``smoke.run`` on a LightningModule alone: through its own training_step and optimizers."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mltestscore.checks import smoke

L = pytest.importorskip("lightning")


class Regressor(L.LightningModule):  # type: ignore[misc]
    """Serves its own loaders, as a LightningModule may."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
        self.criterion = nn.MSELoss()
        g = torch.Generator().manual_seed(0)
        x = torch.randn(256, 4, generator=g)
        self.data = TensorDataset(x, x @ torch.randn(4, 1, generator=g))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 1)

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return self.criterion(self(x), y)

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.05)

    def train_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self.data, batch_size=32, shuffle=True)


class StepLeavesEvalOn(Regressor):
    def __init__(self) -> None:
        super().__init__()
        self.net.insert(2, nn.Dropout(0.2))

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        self.eval()  # left over from a validation helper
        return super().training_step(batch, batch_idx)


CHECKS = ["forward", "params_update", "training_step", "overfit_one_batch"]


def test_smoke_run_on_a_lightning_module_alone_passes() -> None:
    report = smoke.run(Regressor(), checks=CHECKS)
    statuses = {f.name: f.status.value for f in report.findings}
    assert statuses == dict.fromkeys(CHECKS, "pass"), report.findings


def test_smoke_run_on_a_lightning_module_alone_catches_eval_mode_in_its_step() -> None:
    report = smoke.run(StepLeavesEvalOn(), checks=["training_step"])
    step = report.findings[0]
    assert step.status.value == "fail" and "eval mode" in step.message, step.message


def test_a_plain_module_still_needs_batch_and_loss_not_lightning() -> None:
    with pytest.raises(TypeError, match="only a LightningModule supplies its own"):
        smoke.run(nn.Linear(2, 1))
