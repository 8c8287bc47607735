"""The smoke suite on Hugging Face Transformers models (third-party code, built from small
configs with random weights — nothing is downloaded): GPT-2 is causal and passes; BERT, a
bidirectional encoder, read as a token-by-token model fails ``causality``."""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch
import torch.nn.functional as F

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # configs only: no network at run time
transformers = pytest.importorskip("transformers")

from mltestscore.checks import smoke  # noqa: E402
from mltestscore.results import Status  # noqa: E402

V, B, T = 64, 8, 10


def _tokens(rows: int = B, length: int = T + 1) -> torch.Tensor:
    return torch.randint(0, V, (rows, length), generator=torch.Generator().manual_seed(0))


def _token_loss(out: object, y: torch.Tensor) -> torch.Tensor:
    logits = out.logits  # type: ignore[attr-defined]  # a transformers ModelOutput
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _gpt2() -> torch.nn.Module:
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=V, n_positions=32, n_embd=32, n_layer=2, n_head=2, bos_token_id=0, eos_token_id=0
    )
    return transformers.GPT2LMHeadModel(config)


def test_gpt2_language_model_passes_every_check_it_reaches() -> None:
    ids = _tokens()
    report = smoke.run(_gpt2(), ({"input_ids": ids[:, :-1]}, ids[:, 1:]), _token_loss, causal_dim=1)
    assert report.passed, [(f.name, f.message) for f in report.failed + report.errors]
    for name in ("causality", "batch_independence", "overfit_one_batch", "finite"):
        found = report.get(name)
        assert found is not None and found.status is Status.PASS, (name, found)


def _bert_config(num_labels: int) -> Any:
    """A small BERT (2 layers, width 32) over the test vocabulary, built from its config."""
    return transformers.BertConfig(
        vocab_size=V,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=num_labels,
    )


def test_bert_read_as_a_causal_token_model_fails_causality() -> None:
    torch.manual_seed(0)
    config = _bert_config(num_labels=V)
    bert = transformers.BertForTokenClassification(config)
    ids = _tokens()
    finding = smoke.causality(bert, ({"input_ids": ids[:, :-1]}, ids[:, 1:]), time_dim=1)
    assert finding.status is Status.FAIL, finding.message
    assert "future positions leak" in finding.message


def test_bert_classifier_passes_as_an_encoder() -> None:
    torch.manual_seed(0)
    config = _bert_config(num_labels=3)
    ids = _tokens(length=T)
    labels = torch.randint(0, 3, (B,), generator=torch.Generator().manual_seed(1))
    report = smoke.run(
        transformers.BertForSequenceClassification(config),
        ({"input_ids": ids, "attention_mask": torch.ones_like(ids)}, labels),
        lambda out, y: F.cross_entropy(out.logits, y),
    )
    assert report.passed, [(f.name, f.message) for f in report.failed + report.errors]
