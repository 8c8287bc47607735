"""The team's own tests of its Lightning module (evidence for infra.2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch


@pytest.mark.ml_score("infra.2")
def test_a_training_step_lowers_the_loss_on_one_batch(ml_infra2_model: Any, ml_batch: Any) -> None:
    images, targets = ml_batch
    module = copy.deepcopy(ml_infra2_model)  # the session's spec stays untrained
    opt = module.configure_optimizers()["optimizer"]
    for group in opt.param_groups:  # at the one-cycle schedule's peak
        group["lr"] = module.config.lr
    with torch.no_grad():
        before = module.loss_fn(module(images), targets).item()
    for step in range(3):
        opt.zero_grad()
        module.training_step((images, targets), step).backward()
        opt.step()
    with torch.no_grad():
        assert module.loss_fn(module(images), targets).item() < before


def test_logits_have_one_column_per_symbol(ml_infra2_model: Any) -> None:
    logits = ml_infra2_model(torch.zeros(2, 1, 28, 256))  # (B, T, C)
    assert logits.shape[0] == 2 and logits.ndim == 3
