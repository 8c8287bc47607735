"""CNN encoder + Transformer decoder (FSDL's ResnetTransformer family), for a GPU.

The conv encoder turns the line into one feature vector per column (``W/4`` memory
tokens with sinusoidal positions); a causal Transformer decoder reads them and emits the
label token by token. Training uses teacher forcing (cross-entropy on ``label + <end>``
given ``<start> + label``); serving is greedy decoding for a fixed number of steps, so the
exported graph has no data-dependent control flow.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from .lines_cnn import ConvEncoder
from .models import LineRecognizer
from .vocab import VOCAB

if TYPE_CHECKING:
    from .config import RecognizerConfig

__all__ = ["CNNTransformer"]


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """(length, dim) sine/cosine position codes (Vaswani et al., 2017)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]  # (L, 1)
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(1e4) / dim))
    codes = torch.zeros(length, dim)
    codes[:, 0::2] = torch.sin(position * frequency)
    codes[:, 1::2] = torch.cos(position * frequency[: dim // 2])
    return codes


class CNNTransformer(LineRecognizer):
    """Conv encoder → column memory → Transformer decoder over character tokens."""

    architecture = "transformer"
    memory_positions: torch.Tensor
    forbidden: torch.Tensor

    def __init__(self, config: RecognizerConfig) -> None:
        super().__init__(config.data.height, config.data.width)
        d = config.hidden
        self.max_tokens = config.data.max_length + 1  # the label and <end>
        self.encoder = ConvEncoder(config.channels)
        self.project = nn.Linear(self.encoder.out_channels * (self.height // 4), d)
        self.register_buffer(
            "memory_positions", sinusoidal_positions(self.width // 4, d), persistent=False
        )
        forbidden = torch.zeros(VOCAB.seq_size)  # greedy decoding never emits <start>/<pad>
        forbidden[[VOCAB.start, VOCAB.pad]] = -math.inf
        self.register_buffer("forbidden", forbidden, persistent=False)
        self.embed = nn.Embedding(VOCAB.seq_size, d)
        self.token_positions = nn.Parameter(torch.zeros(self.max_tokens, d))
        nn.init.normal_(self.token_positions, std=0.02)
        layer = nn.TransformerDecoderLayer(
            d,
            config.heads,
            config.feedforward,
            config.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.decoder = nn.TransformerDecoder(layer, config.decoder_layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, VOCAB.seq_size)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, H, W) → memory (B, W/4, d)."""
        self.check_images(images)
        x = self.encoder(images)  # (B, C, H/4, W/4)
        x = x.permute(0, 3, 1, 2).flatten(2)  # (B, W/4, C * H/4)
        memory: torch.Tensor = self.project(x) + self.memory_positions  # (B, W/4, d)
        return memory

    def decode_step(self, memory: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Memory (B, M, d), tokens (B, S) → next-token logits at every position (B, S, V)."""
        steps = tokens.shape[1]
        if steps > self.max_tokens:
            raise ValueError(f"{steps} tokens exceed the {self.max_tokens} decoder positions")
        x = self.embed(tokens) + self.token_positions[:steps]  # (B, S, d)
        causal = torch.ones(steps, steps, dtype=torch.bool, device=tokens.device).triu(1)
        x = self.decoder(x, memory, tgt_mask=causal, tgt_is_causal=True)  # (B, S, d)
        logits: torch.Tensor = self.head(self.norm(x))  # (B, S, V)
        return logits

    def loss(self, images: torch.Tensor, labels: list[str]) -> torch.Tensor:
        """Teacher-forced cross-entropy per target token (label characters and <end>)."""
        if len(labels) != images.shape[0]:
            raise ValueError(f"{images.shape[0]} images but {len(labels)} labels")
        longest = max(len(label) for label in labels)
        if longest + 1 > self.max_tokens:
            raise ValueError(
                f"label of {longest} characters exceeds max_length {self.max_tokens - 1}"
            )
        rows = [[VOCAB.start, *VOCAB.encode(label), VOCAB.end] for label in labels]
        padded = torch.full((len(rows), longest + 2), VOCAB.pad, dtype=torch.long)
        for i, row in enumerate(rows):
            padded[i, : len(row)] = torch.tensor(row)
        padded = padded.to(images.device)  # (B, L + 2)
        logits = self.decode_step(self.encode(images), padded[:, :-1])  # (B, L + 1, V)
        return F.cross_entropy(
            logits.float().flatten(0, 1), padded[:, 1:].flatten(), ignore_index=VOCAB.pad
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Greedy decoding: images (B, 1, H, W) → token ids (B, max_length + 1), pad after <end>."""
        memory = self.encode(images)  # (B, M, d)
        batch = images.shape[0]
        tokens = torch.full((batch, 1), VOCAB.start, dtype=torch.long, device=images.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=images.device)
        for _ in range(self.max_tokens):
            logits = self.decode_step(memory, tokens)[:, -1]  # (B, V)
            step = (logits.float() + self.forbidden).argmax(-1)  # (B,)
            step = torch.where(finished, torch.full_like(step, VOCAB.pad), step)
            finished = finished | (step == VOCAB.end)
            tokens = torch.cat([tokens, step[:, None]], dim=1)  # (B, S + 1)
        return tokens[:, 1:]  # (B, max_length + 1)
