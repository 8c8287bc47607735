from __future__ import annotations

import pytest
import torch

from mltestscore.reference_model.config import CONFIGS, RecognizerConfig
from mltestscore.reference_model.metrics import character_error_rate
from mltestscore.reference_model.models import build_model, count_parameters

TINY_TRANSFORMER = dict(
    architecture="transformer",
    channels=(8, 16, 32),
    hidden=64,
    heads=2,
    decoder_layers=1,
    feedforward=128,
    dropout=0.0,
)


def _overfit(config: RecognizerConfig, images, labels, *, steps: int, lr: float) -> list[str]:
    torch.manual_seed(0)
    model = build_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        model.loss(images, labels).backward()
        optimizer.step()
        if _ % 10 == 9 and model.predict(images) == labels:
            break
    return model.predict(images)


def test_cnn_ctc_output_shape_and_size():
    model = build_model(CONFIGS["tiny"])
    logits = model(torch.zeros(3, 1, 28, 256))
    assert logits.shape == (3, 64, 11)
    assert 120_000 < count_parameters(model) < 250_000


def test_models_reject_wrong_shapes_with_the_shapes():
    for config in (CONFIGS["tiny"], CONFIGS["tiny"].replace(**TINY_TRANSFORMER)):
        model = build_model(config)
        with pytest.raises(ValueError, match=r"\(B, 1, 28, 256\).*\(2, 1, 32, 256\)"):
            model(torch.zeros(2, 1, 32, 256))
        with pytest.raises(ValueError, match="2 images but 1 labels"):
            model.loss(torch.zeros(2, 1, 28, 256), ["1"])


def test_cnn_ctc_overfits_one_batch(small_splits):
    images, labels = small_splits["train"].images[:8], small_splits["train"].labels[:8]
    predictions = _overfit(CONFIGS["tiny"].replace(dropout=0.0), images, labels, steps=300, lr=3e-3)
    assert character_error_rate(predictions, labels) == 0.0, (predictions, labels)


def test_transformer_overfits_one_batch(small_splits):
    images, labels = small_splits["train"].images[:8], small_splits["train"].labels[:8]
    config = CONFIGS["tiny"].replace(**TINY_TRANSFORMER)
    predictions = _overfit(config, images, labels, steps=400, lr=2e-3)
    assert character_error_rate(predictions, labels) == 0.0, (predictions, labels)


def test_transformer_greedy_output_is_padded_after_end():
    model = build_model(CONFIGS["tiny"].replace(**TINY_TRANSFORMER)).eval()
    tokens = model(torch.rand(2, 1, 28, 256))
    assert tokens.shape == (2, 13) and tokens.dtype == torch.long
    for row in tokens.tolist():
        if 12 in row:
            assert all(t == 0 for t in row[row.index(12) + 1 :])


def test_unknown_architecture_is_rejected():
    with pytest.raises(ValueError, match="architecture"):
        RecognizerConfig(architecture="rnn")
