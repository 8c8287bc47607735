from __future__ import annotations

import logging

import pytest
import torch

from mltestscore.reference_model.train import select_device, train


def _tiny_run(config, splits, seed, **kwargs):
    data = {"train": splits["train"].head(64), "val": splits["val"].head(16)}
    return train(config, data=data, seed=seed, max_epochs=1, log=None, **kwargs)


def _same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_same_seed_gives_bitwise_identical_weights_and_other_seeds_differ(
    small_config, small_splits
):
    first = _tiny_run(small_config, small_splits, seed=7)
    second = _tiny_run(small_config, small_splits, seed=7)
    other = _tiny_run(small_config, small_splits, seed=8)
    assert _same_weights(first.model, second.model)
    assert not _same_weights(first.model, other.model)
    assert not torch.are_deterministic_algorithms_enabled()  # restored after training


def test_result_has_history_metrics_and_test_cer(trained):
    assert [e.epoch for e in trained.history] == [1, 2]
    assert trained.history[-1].train_loss < trained.history[0].train_loss
    assert trained.test_cer is not None and trained.test_cer >= 0.0
    assert trained.val_cer == min(e.val_cer for e in trained.history)
    metrics = trained.metrics()
    assert set(metrics) >= {"val_cer", "test_cer", "train_loss", "epochs", "wall_time_s"}
    assert trained.device == "cpu" and not trained.model.training


def test_progress_is_logged_per_epoch_and_subset_training_is_cheap(small_config, small_splits):
    lines: list[str] = []
    result = train(
        small_config,
        data=small_splits,
        seed=0,
        max_epochs=1,
        max_train_lines=32,
        log=lines.append,
    )
    assert result.train_lines == 32
    assert any(line.startswith("epoch 1: train loss") for line in lines)
    assert lines[-1].startswith("done (max_epochs)")


def test_time_budget_stops_training(small_config, small_splits):
    result = train(
        small_config, data=small_splits, seed=0, max_epochs=50, max_seconds=0.01, log=None
    )
    assert result.stopped == "max_seconds" and len(result.history) == 1


def test_early_stopping_on_validation_cer(small_config, small_splits):
    # a zero learning rate never improves validation CER after the first epoch
    config = small_config.replace(lr=1e-12, patience=1)
    data = {"train": small_splits["train"].head(32), "val": small_splits["val"].head(8)}
    result = train(config, data=data, seed=0, max_epochs=10, log=None)
    assert result.stopped == "early_stopping" and len(result.history) == 2


def test_missing_split_is_a_clear_error(small_config, small_splits):
    import pytest

    with pytest.raises(ValueError, match="'val' split"):
        train(small_config, data={"train": small_splits["train"]}, log=None)


def test_device_selection_defaults_to_what_is_available():
    assert select_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert select_device("cpu").type == "cpu"


def test_non_finite_loss_stops_training_with_a_message(small_config, small_splits):
    import pytest

    poisoned = small_splits["train"].head(16)
    poisoned.images[3, 0, 5, 5] = float("nan")
    with pytest.raises(FloatingPointError, match="training loss became nan in epoch 1"):
        train(small_config, data={"train": poisoned, "val": small_splits["val"]}, log=None)


def test_every_steps_loss_is_recorded_and_same_seed_runs_still_match(small_config, small_splits):
    first = _tiny_run(small_config, small_splits, seed=3)
    second = _tiny_run(small_config, small_splits, seed=3)
    steps = -(-64 // small_config.batch_size)  # one epoch over 64 lines
    assert len(first.step_losses) == steps
    assert all(isinstance(v, float) and v > 0 for v in first.step_losses)
    assert first.step_losses == second.step_losses
    assert _same_weights(first.model, second.model)
    assert sum(first.step_losses) / steps == pytest.approx(first.history[0].train_loss, rel=1e-5)


def test_progress_goes_to_the_train_logger_at_info(small_config, small_splits, caplog):
    with caplog.at_level(logging.INFO, logger="mltestscore.reference_model.train"):
        _tiny_run(small_config, small_splits, seed=0)
    messages = [
        r.getMessage() for r in caplog.records if r.name == "mltestscore.reference_model.train"
    ]
    assert any(m.startswith("epoch 1: train loss") for m in messages)
    assert all(r.levelno == logging.INFO for r in caplog.records)
