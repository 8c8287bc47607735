"""The smoke suite on a model nobody here wrote: Lightning's demo Transformer
(``lightning.pytorch.demos.transformer``), whose output folds the batch into its rows
(``view(-1, vocab)``) and whose encoder reads the source without the causal mask it builds."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

pytest.importorskip("lightning")

import corpus

from mltestscore.checks import smoke
from mltestscore.results import Status

V, B, T = 50, 16, 12


def _run(name: str) -> smoke.SmokeReport:
    s = corpus.build(name)  # Lightning's demo Transformer, as shipped or with its mask
    return smoke.run(s.model, s.batch, s.loss_fn, num_threads=1, **s.kwargs)


def test_the_shipped_demo_leaks_future_tokens_through_its_unmasked_encoder() -> None:
    report = _run("lightning_demo_transformer")
    assert not report.errors, [f.message for f in report.errors]
    causality = report.get("causality")
    assert causality is not None and causality.status is Status.FAIL, causality
    assert "`inputs[0]`" in causality.message  # the encoder's source, not the decoder's
    assert causality.metrics["output_rows"] == "batch-major"
    independence = report.get("batch_independence")
    assert independence is not None and independence.status is Status.PASS, independence
    assert "read batch-major" in independence.message
    assert {f.name for f in report.failed} == {"causality"}


def test_the_demo_with_its_source_mask_passes() -> None:
    report = _run("lightning_demo_transformer_masked")
    assert report.passed, [(f.name, f.message) for f in report.failed + report.errors]
    causality = report.get("causality")
    assert causality is not None and causality.status is Status.PASS


class TimeMajorLM(nn.Module):
    """A GRU language model on (T, B) tokens that returns ``(T·B, V)`` rows."""

    def __init__(self, mix_batch: bool = False) -> None:
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(V, 16), nn.GRU(16, 16), nn.Linear(16, V)
        self.mix_batch = mix_batch

    def forward(self, tokens: Tensor) -> Tensor:
        h, _ = self.rnn(self.emb(tokens.t()))  # (T, B, H)
        if self.mix_batch:
            h = h - h.mean(1, keepdim=True)  # normalization over the batch: samples mix
        return self.head(h).reshape(-1, V)


def _time_major(flat_out: Tensor, y: Tensor) -> Tensor:
    return F.cross_entropy(flat_out, y.t().reshape(-1))


@pytest.mark.parametrize("mix", [False, True])
def test_time_major_rows_are_read_back_and_mixing_is_still_caught(mix: bool) -> None:
    torch.manual_seed(0)
    tokens = torch.randint(0, V, (B, T))
    finding: Any = smoke.batch_independence(TimeMajorLM(mix), (tokens, tokens), _time_major)
    if mix:
        assert finding.status is Status.FAIL, finding.message
    else:
        assert finding.status is Status.PASS, finding.message
        assert finding.metrics["output_rows"] == "time-major"
    causal = smoke.causality(TimeMajorLM(mix), (tokens, tokens), _time_major, time_dim=1)
    if mix:  # rows that cannot be told apart per sample: not judged, and why
        assert causal.status is Status.SKIP and "keeps the samples apart" in causal.message
    else:
        assert causal.status is Status.PASS, causal.message


def test_a_bidirectional_time_major_model_fails_causality() -> None:
    torch.manual_seed(0)
    model = TimeMajorLM()
    model.rnn = nn.GRU(16, 8, bidirectional=True)
    tokens = torch.randint(0, V, (B, T))
    causal = smoke.causality(model, (tokens, tokens), _time_major, time_dim=1)
    assert causal.status is Status.FAIL, causal.message
    assert causal.metrics["output_rows"] == "time-major"
