"""CTC loss in the two forms the team's code needs.

:func:`ctc_loss` takes the label strings (training loops); :func:`ctc_loss_fn` takes
``(logits, targets)`` with targets a padded ``(B, S)`` tensor of character ids
(0 = padding, which is also the CTC blank), the ``loss_fn(output, targets)`` form
the smoke suite calls (infra.2, monitor.5). :func:`encode_targets` pads labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from mltestscore.reference_model.vocab import VOCAB


def encode_targets(labels: Sequence[str]) -> torch.Tensor:
    """Labels as a padded ``(B, S)`` long tensor of character ids (0 = padding)."""
    longest = max((len(label) for label in labels), default=0)
    targets = torch.zeros((len(labels), max(longest, 1)), dtype=torch.long)
    for row, label in enumerate(labels):
        ids = VOCAB.encode(label)
        targets[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return targets


def ctc_loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean CTC loss of logits ``(B, T, C)`` for padded targets ``(B, S)``."""
    if logits.ndim != 3 or targets.ndim != 2 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            f"ctc_loss_fn needs logits (B, T, C) and targets (B, S), got "
            f"{tuple(logits.shape)} and {tuple(targets.shape)}"
        )
    log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T, B, C)
    steps, batch = log_probs.shape[:2]
    target_lengths = (targets != VOCAB.blank).sum(dim=1)
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=logits.device)
    return F.ctc_loss(
        log_probs,
        targets,
        input_lengths,
        target_lengths,
        blank=VOCAB.blank,
        zero_infinity=True,
    )


def ctc_loss(logits: torch.Tensor, labels: Sequence[str]) -> torch.Tensor:
    """Mean CTC loss of logits ``(B, T, C)`` for label strings."""
    return ctc_loss_fn(logits, encode_targets(labels).to(logits.device))
