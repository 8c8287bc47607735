"""The training loop: plain, top to bottom.

Device: CUDA when present (with bf16 autocast), else CPU. Seeds: Python, NumPy and torch
are seeded from ``seed``; on CPU, deterministic algorithms are switched on for the run, so
two runs with the same seed and thread count give bitwise-identical weights. Each epoch
logs train loss and validation CER; the weights of the best validation epoch are kept,
and training stops early after ``config.patience`` epochs without improvement.

Progress goes to the ``logging`` logger ``mltestscore.reference_model.train`` at INFO (so
``pytest --log-cli-level=INFO`` streams it); the loss of every step is kept in
:attr:`TrainResult.step_losses` (recorded on the device, read once at the end: no
per-step synchronization).
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .config import RecognizerConfig
from .data import DigitLines, LineDataset
from .metrics import character_error_rate
from .models import LineRecognizer, build_model, count_parameters

__all__ = [
    "EpochLog",
    "TrainResult",
    "evaluate",
    "predict_lines",
    "seed_everything",
    "select_device",
    "train",
]

Log = Callable[[str], None]
PROGRESS_EVERY_S = 15.0  # a progress line within an epoch at most this often
logger = logging.getLogger("mltestscore.reference_model.train")


@dataclass(frozen=True)
class EpochLog:
    epoch: int
    train_loss: float  # mean over the epoch's steps
    val_cer: float
    lr: float  # learning rate at the end of the epoch
    seconds: float  # wall time since training started


@dataclass
class TrainResult:
    model: LineRecognizer  # holds the best validation epoch's weights, in eval mode
    config: RecognizerConfig
    history: list[EpochLog]
    best_epoch: int
    val_cer: float
    test_cer: float | None
    wall_time: float  # seconds in the training loop (training + validation + test)
    data_seconds: float  # seconds spent generating data (0 when ``data`` was passed)
    device: str
    seed: int
    stopped: str  # "max_epochs", "early_stopping" or "max_seconds"
    train_lines: int
    parameters: int
    lines_seen: int = 0  # training lines processed (summed over epochs)
    extra: dict[str, Any] = field(default_factory=dict)
    step_losses: list[float] = field(default_factory=list)  # training loss of every step

    def metrics(self) -> dict[str, float]:
        """The numbers worth keeping with a checkpoint."""
        out = {
            "val_cer": self.val_cer,
            "train_loss": self.history[-1].train_loss if self.history else math.nan,
            "epochs": float(len(self.history)),
            "wall_time_s": self.wall_time,
        }
        if self.test_cer is not None:
            out["test_cer"] = self.test_cer
        return out


def select_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def _deterministic(enabled: bool) -> Iterator[None]:
    """Deterministic torch algorithms for the block; the previous setting is restored."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(enabled or previous)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def _autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager[Any]:
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def predict_lines(
    model: LineRecognizer,
    images: torch.Tensor,
    *,
    batch_size: int = 256,
    device: torch.device | None = None,
    bf16: bool = True,
) -> list[str]:
    """Decoded strings for images ``(N, 1, H, W)``, in batches."""
    device = device or next(model.parameters()).device
    out: list[str] = []
    for start in range(0, images.shape[0], batch_size):
        batch = images[start : start + batch_size].to(device)  # (B, 1, H, W)
        with _autocast(device, bf16):
            out.extend(model.predict(batch))
    return out


def evaluate(
    model: LineRecognizer,
    dataset: LineDataset,
    *,
    batch_size: int = 256,
    device: torch.device | None = None,
) -> float:
    """Character error rate of ``model`` on ``dataset``."""
    predictions = predict_lines(model, dataset.images, batch_size=batch_size, device=device)
    return character_error_rate(predictions, dataset.labels)


def train(
    config: RecognizerConfig,
    *,
    data: Mapping[str, LineDataset] | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    max_epochs: int | None = None,
    max_seconds: float | None = None,
    max_train_lines: int | None = None,
    log: Log | None = None,
) -> TrainResult:
    """Train a model for ``config`` and return it with its history.

    ``data``: splits from :func:`data.make_splits` (default: made from ``config.data``);
    "train" and "val" are required, "test" is scored at the end when present.
    ``max_epochs`` / ``max_seconds`` override the config; ``max_train_lines`` trains on the
    first lines only (fast pipeline runs). Progress lines go to the logger
    ``mltestscore.reference_model.train`` (INFO) and, when given, to ``log`` too (the CLI
    passes ``print``).
    """

    def say(message: str) -> None:
        logger.info(message)
        if log is not None:
            log(message)

    device = select_device(device)
    started = time.perf_counter()
    if data is not None:
        splits = dict(data)
    else:  # line i depends only on (seed, split, i): a subset is cheap and is the prefix
        lines = DigitLines(config.data)
        train_lines = min(max_train_lines or config.data.train_size, config.data.train_size)
        splits = {split: lines.generate(split) for split in ("val", "test")}
        splits["train"] = lines.generate("train", train_lines)
    data_seconds = 0.0 if data is not None else time.perf_counter() - started
    for required in ("train", "val"):
        if required not in splits:
            raise ValueError(f"data needs a {required!r} split, got {sorted(splits)}")
    train_set, val_set = splits["train"], splits["val"]
    if max_train_lines is not None:
        train_set = train_set.head(max_train_lines)
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"empty split: {len(train_set)} train and {len(val_set)} val lines")
    epochs = max_epochs or config.max_epochs
    budget = max_seconds if max_seconds is not None else config.max_seconds
    amp = config.bf16 and device.type == "cuda"

    seed_everything(seed)
    with _deterministic(device.type == "cpu"):
        # channels-last convolutions train ~1.4x faster on CPU (and suit bf16 on GPUs)
        model = build_model(config).to(device)
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=epochs * steps_per_epoch, pct_start=0.2
        )
        order_rng = torch.Generator().manual_seed(seed)
        say(
            f"training {config.name} ({config.architecture}, {count_parameters(model):,} "
            f"parameters) on {device} with {len(train_set):,} lines, up to {epochs} epochs"
            + (f" or {budget:.0f} s" if budget else "")
        )
        # on a GPU the whole training set fits in memory: no host-to-device copy per step
        train_images = train_set.images.to(device) if device.type == "cuda" else train_set.images
        t0 = time.perf_counter()
        # one slot per step, filled on the device: reading a loss each step would sync a GPU
        step_losses = torch.full((epochs * steps_per_epoch,), math.nan, device=device)
        total_steps = 0
        lines_seen = 0
        history: list[EpochLog] = []
        best_cer, best_epoch, best_state = math.inf, 0, None
        stopped = "max_epochs"
        for epoch in range(1, epochs + 1):
            model.train()
            order = torch.randperm(len(train_set), generator=order_rng)
            loss_sum, steps, last_progress = torch.zeros((), device=device), 0, time.perf_counter()
            for start in range(0, len(train_set), config.batch_size):
                index = order[start : start + config.batch_size]
                images = train_images[index.to(train_images.device)]  # (B, 1, H, W)
                images = images.contiguous(memory_format=torch.channels_last)
                labels = [train_set.labels[i] for i in index.tolist()]
                with _autocast(device, amp):
                    loss = model.loss(images, labels)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                schedule.step()
                loss_sum += loss.detach()
                step_losses[total_steps] = loss.detach().float()
                total_steps += 1
                steps += 1
                lines_seen += len(labels)
                now = time.perf_counter()
                if now - last_progress > PROGRESS_EVERY_S:
                    say(
                        f"  epoch {epoch} step {steps}/{steps_per_epoch} "
                        f"loss {loss_sum.item() / steps:.4f} ({now - t0:.0f} s)"
                    )
                    last_progress = now
                if budget is not None and now - t0 > budget:
                    stopped = "max_seconds"
                    break
            train_loss = loss_sum.item() / max(steps, 1)
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss became {train_loss} in epoch {epoch} of {config.name}: "
                    f"lower lr (now {config.lr:g}) or check the inputs for NaN/Inf"
                )
            val_cer = evaluate(model, val_set, batch_size=config.eval_batch_size, device=device)
            entry = EpochLog(
                epoch=epoch,
                train_loss=train_loss,
                val_cer=val_cer,
                lr=float(schedule.get_last_lr()[0]),
                seconds=time.perf_counter() - t0,
            )
            history.append(entry)
            say(
                f"epoch {epoch}: train loss {entry.train_loss:.4f}, val CER {val_cer:.4f}, "
                f"lr {entry.lr:.2e}, {entry.seconds:.1f} s"
            )
            if val_cer < best_cer:
                best_cer, best_epoch = val_cer, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= config.patience:
                stopped = "early_stopping"
            if stopped != "max_epochs":
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        # back to the standard layout, so a reloaded checkpoint computes bit for bit the same
        model.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
        model.eval()
        test_cer = None
        if "test" in splits and len(splits["test"]):
            test_cer = evaluate(
                model, splits["test"], batch_size=config.eval_batch_size, device=device
            )
        wall = time.perf_counter() - t0
    say(
        f"done ({stopped}): best epoch {best_epoch}, val CER {best_cer:.4f}"
        + (f", test CER {test_cer:.4f}" if test_cer is not None else "")
        + f", {wall:.1f} s"
    )
    return TrainResult(
        model=model,
        config=config,
        history=history,
        best_epoch=best_epoch,
        val_cer=best_cer,
        test_cer=test_cer,
        wall_time=wall,
        data_seconds=data_seconds,
        device=str(device),
        seed=seed,
        stopped=stopped,
        train_lines=len(train_set),
        parameters=count_parameters(model),
        lines_seen=lines_seen,
        step_losses=step_losses[:total_steps].cpu().tolist(),
    )
