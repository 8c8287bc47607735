"""Characters, token ids and output decoding for the reference recognizer.

Torch-free on purpose: the serving process (``export serve-canary``) decodes
onnxruntime outputs with these functions without importing torch.

Token ids are shared by both model families::

    0      CTC blank (CNN + CTC) / padding (Transformer)
    1..10  the characters "0".."9"
    11     start of sequence (Transformer only)
    12     end of sequence (Transformer only)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

CHARACTERS = "0123456789"

__all__ = [
    "CHARACTERS",
    "VOCAB",
    "Vocab",
    "decode_output",
]


@dataclass(frozen=True)
class Vocab:
    """Maps label strings to token ids and back."""

    characters: str = CHARACTERS

    @property
    def blank(self) -> int:
        """The CTC blank id (also the padding id of the Transformer)."""
        return 0

    @property
    def pad(self) -> int:
        return 0

    @property
    def start(self) -> int:
        return len(self.characters) + 1

    @property
    def end(self) -> int:
        return len(self.characters) + 2

    @property
    def ctc_size(self) -> int:
        """Number of CTC classes: blank + characters."""
        return len(self.characters) + 1

    @property
    def seq_size(self) -> int:
        """Number of Transformer tokens: pad + characters + start + end."""
        return len(self.characters) + 3

    def encode(self, text: str) -> list[int]:
        """Character ids (1-based) of ``text``; raises ``ValueError`` on unknown characters."""
        index = {c: i + 1 for i, c in enumerate(self.characters)}
        try:
            return [index[c] for c in text]
        except KeyError as exc:
            raise ValueError(
                f"label {text!r} holds character {exc.args[0]!r}, "
                f"outside the vocabulary {self.characters!r}"
            ) from None

    def decode(self, ids: Iterable[int]) -> str:
        """Characters of ``ids``, skipping blank/pad/start/end ids."""
        n = len(self.characters)
        return "".join(self.characters[i - 1] for i in ids if 1 <= i <= n)

    def ctc_collapse(self, ids: Sequence[int]) -> str:
        """Greedy CTC decoding of one path: merge repeats, then drop blanks."""
        out: list[int] = []
        previous = -1
        for i in ids:
            if i != previous and i != self.blank:
                out.append(i)
            previous = i
        return self.decode(out)

    def until_end(self, ids: Sequence[int]) -> str:
        """Decode Transformer tokens up to the first end token."""
        out: list[int] = []
        for i in ids:
            if i == self.end:
                break
            out.append(i)
        return self.decode(out)


VOCAB = Vocab()


def decode_output(
    architecture: str, output: npt.NDArray[np.generic], vocab: Vocab = VOCAB
) -> list[str]:
    """Turn a model's serving output into strings.

    ``cnn_ctc``: ``output`` is logits ``(B, T, C)``; greedy CTC decoding.
    ``transformer``: ``output`` is greedy token ids ``(B, S)``; read up to the end token.
    """
    if architecture == "cnn_ctc":
        if output.ndim != 3:
            raise ValueError(f"CTC output must be (B, T, C) logits, got shape {output.shape}")
        paths = np.asarray(output).argmax(axis=-1)  # (B, T)
        return [vocab.ctc_collapse(row.tolist()) for row in paths]
    if architecture == "transformer":
        if output.ndim != 2:
            raise ValueError(f"Transformer output must be (B, S) token ids, got {output.shape}")
        return [vocab.until_end(row.tolist()) for row in np.asarray(output, dtype=np.int64)]
    raise ValueError(f"unknown architecture {architecture!r}; expected 'cnn_ctc' or 'transformer'")
