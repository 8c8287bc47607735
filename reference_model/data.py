"""DigitLines: synthetic lines of real handwritten digits.

Dataset card
------------
*What.* Grey-scale images of a line of 1–12 handwritten digits, white ink on black,
``height`` × ``width`` pixels (28 × 256 by default), float32 in [0, 1], with the digit
string as label ("0"–"9" only).

*How made.* Composed in memory, the way FSDL's EMNISTLines composes EMNIST characters,
from the 1,797 real 8×8 scans of scikit-learn's bundled ``load_digits`` (UCI optdigits,
43 writers, 16 grey levels). Each image is assigned once to train / val / test (stratified
by digit, 70/15/15 %, fixed by ``glyph_split_seed``), so lines of one split use only that
split's scans and test lines hold digit images the model never saw. A line draws a length
uniformly in [min_length, max_length], digits uniformly, then for each digit a scan of that
class, a square size (``glyph_size`` px, bilinear upsampling of the 8×8 scan), a vertical
shift and an advance of ``step`` × size (below ~0.75 neighbouring ink touches/overlaps;
overlapping ink is merged with ``max``). Lines too long for the width are squeezed
horizontally; shorter ones start at a random offset. Each line gets a random ink contrast
and Gaussian pixel noise. Deterministic: same config → bitwise-identical images.

*Sizes.* Scans: 1,258 train / 270 val / 269 test. Lines: any number; presets use
12,000 / 1,000 / 1,000 (``default``) and 6,000 / 500 / 1,000 (``tiny``). Generating
10,000 lines takes a few seconds on one CPU core.

*Known limits.* Scans are 8×8 (16 grey levels): upsampled glyphs are blurry and carry little
stroke detail, so this is easier than real handwriting lines. ``load_digits`` has no writer
ids, so a writer can appear in several splits (the scans differ, the hand may not). No
real line effects (slant, baseline drift, connected strokes, ruling, paper texture).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset

from .vocab import CHARACTERS, VOCAB, Vocab

__all__ = [
    "SPLITS",
    "VOCAB",
    "DigitLines",
    "DigitLinesConfig",
    "LineDataset",
    "Split",
    "Vocab",
    "make_splits",
    "render_line",
    "render_lines",
]

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DigitLinesConfig:
    """How DigitLines are made. Defaults are the ``default`` preset's data."""

    seed: int = 0  # composition of lines (lengths, digits, scans, placement, noise)
    glyph_split_seed: int = 0  # scan → split assignment; keep fixed so test scans stay unseen
    split_fractions: tuple[float, float, float] = (0.70, 0.15, 0.15)  # train, val, test scans
    train_size: int = 12000
    val_size: int = 1000
    test_size: int = 1000
    min_length: int = 1
    max_length: int = 12
    height: int = 28
    width: int = 256  # 12 digits at the mean advance (~18 px) fit without squeezing
    glyph_size: tuple[int, int] = (18, 26)  # square side of an upsampled scan, inclusive range
    step: tuple[float, float] = (0.65, 1.0)  # advance per glyph, as a fraction of its size
    contrast: tuple[float, float] = (0.7, 1.0)  # ink intensity multiplier per line
    noise: float = 0.08  # maximum std of the additive Gaussian pixel noise per line
    margin: int = 2  # empty pixels kept at the left and right ends

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.min_length <= self.max_length:
            problems.append(
                f"need 1 <= min_length <= max_length, got {self.min_length}, {self.max_length}"
            )
        lo, hi = self.glyph_size
        if not 1 <= lo <= hi <= self.height:
            problems.append(
                f"glyph_size {self.glyph_size} must lie within [1, height={self.height}]"
            )
        if self.width < hi + 2 * self.margin:
            problems.append(f"width {self.width} cannot hold one glyph of {hi} px plus margins")
        if min(self.train_size, self.val_size, self.test_size) < 0:
            problems.append("split sizes must be >= 0")
        if len(self.split_fractions) != 3 or min(self.split_fractions) <= 0:
            problems.append(
                f"split_fractions must be 3 positive numbers, got {self.split_fractions}"
            )
        if not 0 < self.step[0] <= self.step[1]:
            problems.append(f"step must be 0 < low <= high, got {self.step}")
        if problems:
            raise ValueError("invalid DigitLinesConfig: " + "; ".join(problems))

    def size(self, split: Split) -> int:
        return {"train": self.train_size, "val": self.val_size, "test": self.test_size}[split]


@dataclass(eq=False)
class LineDataset(Dataset[tuple[torch.Tensor, str]]):
    """Lines of one split: ``dataset[i] -> (image (1, H, W) float32 in [0, 1], label)``."""

    images: torch.Tensor  # (N, 1, H, W)
    labels: list[str]
    line_glyph_ids: list[tuple[int, ...]]  # load_digits indices used by each line, in order
    split: str = "train"
    config: DigitLinesConfig = field(default_factory=DigitLinesConfig)

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.shape[1] != 1:
            raise ValueError(f"images must be (N, 1, H, W), got {tuple(self.images.shape)}")
        if not len(self.labels) == len(self.line_glyph_ids) == self.images.shape[0]:
            raise ValueError(
                f"{self.images.shape[0]} images, {len(self.labels)} labels and "
                f"{len(self.line_glyph_ids)} glyph id rows must match"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, str]:
        return self.images[index], self.labels[index]

    @property
    def glyph_ids(self) -> npt.NDArray[np.int64]:
        """Sorted unique ``load_digits`` indices used anywhere in this split."""
        used = [i for row in self.line_glyph_ids for i in row]
        return np.unique(np.asarray(used, dtype=np.int64))

    @property
    def lengths(self) -> list[int]:
        return [len(label) for label in self.labels]

    def head(self, n: int) -> LineDataset:
        """The first ``n`` lines (a cheap subset for fast pipeline runs)."""
        return self.select(range(min(n, len(self))))

    def select(self, indices: range | list[int]) -> LineDataset:
        idx = list(indices)
        return LineDataset(
            images=self.images[idx],
            labels=[self.labels[i] for i in idx],
            line_glyph_ids=[self.line_glyph_ids[i] for i in idx],
            split=self.split,
            config=self.config,
        )


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[FloatArray, npt.NDArray[np.int64]]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (np.asarray(bunch.images, dtype=np.float32) / 16.0).clip(0.0, 1.0)  # (1797, 8, 8)
    return images, np.asarray(bunch.target, dtype=np.int64)


@functools.lru_cache(maxsize=4)
def _glyph_bank(lo: int, hi: int) -> dict[int, FloatArray]:
    """Every scan upsampled (bilinear) to each square size in [lo, hi]."""
    images, _ = _digits()
    source = torch.from_numpy(images)[:, None]  # (1797, 1, 8, 8)
    bank = {}
    for size in range(lo, hi + 1):
        up = torch.nn.functional.interpolate(source, size=(size, size), mode="bilinear")
        bank[size] = up[:, 0].clamp(0.0, 1.0).numpy()  # (1797, size, size)
    return bank


class DigitLines:
    """Renders DigitLines for one :class:`DigitLinesConfig`."""

    def __init__(self, config: DigitLinesConfig | None = None) -> None:
        self.config = config or DigitLinesConfig()
        _, targets = _digits()
        rng = np.random.default_rng(self.config.glyph_split_seed)
        fractions = np.asarray(self.config.split_fractions, dtype=np.float64)
        cuts = np.cumsum(fractions / fractions.sum())[:2]
        self._pools: dict[str, dict[str, npt.NDArray[np.int64]]] = {s: {} for s in SPLITS}
        for digit, char in enumerate(CHARACTERS):
            members = rng.permutation(np.flatnonzero(targets == digit))
            bounds = (np.round(cuts * len(members))).astype(int)
            for split, part in zip(SPLITS, np.split(members, bounds), strict=True):
                self._pools[split][char] = np.sort(part)

    def scan_ids(self, split: Split) -> npt.NDArray[np.int64]:
        """All ``load_digits`` indices assigned to ``split``."""
        return np.sort(np.concatenate(list(self._pools[split].values())))

    def _line_rng(
        self, split: Split, seed: int | None, index: int, stream: int
    ) -> np.random.Generator:
        """Line ``index``'s own stream (0: label, 1: rendering): subsets are prefixes."""
        base = self.config.seed if seed is None else seed
        return np.random.default_rng([base, SPLITS.index(split), index, stream])

    def _random_label(self, rng: np.random.Generator) -> str:
        length = rng.integers(self.config.min_length, self.config.max_length + 1)
        return "".join(CHARACTERS[d] for d in rng.integers(0, len(CHARACTERS), size=length))

    def _compose(
        self, label: str, split: Split, rng: np.random.Generator
    ) -> tuple[FloatArray, tuple[int, ...]]:
        """One line (H, W) showing ``label`` and the scans it used."""
        c = self.config
        if not label or any(ch not in CHARACTERS for ch in label):
            raise ValueError(f"label must be 1+ characters from {CHARACTERS!r}, got {label!r}")
        bank = _glyph_bank(*c.glyph_size)
        pools = [self._pools[split][ch] for ch in label]
        picks = rng.integers(0, [len(p) for p in pools])
        ids = tuple(int(p[k]) for p, k in zip(pools, picks, strict=True))
        sizes = rng.integers(c.glyph_size[0], c.glyph_size[1] + 1, size=len(label))
        advances = sizes[:-1] * rng.uniform(*c.step, size=len(label) - 1)
        starts = np.concatenate([[0.0], np.cumsum(advances)])  # left edge of each glyph
        room = c.width - 2 * c.margin
        extent = starts[-1] + sizes[-1]
        if extent > room and starts[-1] > 0:  # squeeze: more overlap, same glyph sizes
            starts *= max(room - sizes[-1], 0) / starts[-1]
            extent = starts[-1] + sizes[-1]
        offset = c.margin + rng.integers(0, max(int(room - extent), 0) + 1)
        canvas = np.zeros((c.height, c.width), dtype=np.float32)  # (H, W)
        for glyph_id, size, start in zip(ids, sizes, starts, strict=True):
            x = min(int(offset + start), c.width - size)
            y = int(rng.integers(0, c.height - size + 1))
            region = canvas[y : y + size, x : x + size]
            np.maximum(region, bank[int(size)][glyph_id], out=region)
        canvas *= np.float32(rng.uniform(*c.contrast))
        # torch's normal sampler is several times faster than numpy's; seeded from rng
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        noise = torch.randn(canvas.shape, generator=generator).numpy()  # (H, W)
        canvas += np.float32(rng.uniform(0.0, c.noise)) * noise
        return np.clip(canvas, 0.0, 1.0, out=canvas), ids

    def render(
        self, labels: list[str], split: Split = "test", seed: int | None = None
    ) -> LineDataset:
        """Lines showing the given ``labels``, made from ``split``'s scans."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        canvases = np.zeros((len(labels), self.config.height, self.config.width), np.float32)
        used = []
        for i, label in enumerate(labels):
            canvases[i], ids = self._compose(label, split, self._line_rng(split, seed, i, 1))
            used.append(ids)
        images = torch.from_numpy(canvases)[:, None]  # (N, 1, H, W)
        return LineDataset(images, list(labels), used, split=split, config=self.config)

    def generate(self, split: Split, n: int | None = None, seed: int | None = None) -> LineDataset:
        """``n`` random lines (default: the config's size for ``split``).

        Line ``i`` depends only on (seed, split, i), so ``generate(s, 100)`` is the first
        100 lines of ``generate(s, 1000)``.
        """
        count = self.config.size(split) if n is None else n
        labels = [self._random_label(self._line_rng(split, seed, i, 0)) for i in range(count)]
        return self.render(labels, split, seed)

    def splits(self) -> dict[str, LineDataset]:
        return {split: self.generate(split) for split in SPLITS}


def make_splits(config: DigitLinesConfig | None = None) -> dict[str, LineDataset]:
    """``{"train", "val", "test"}`` → :class:`LineDataset`, deterministic for ``config``."""
    return DigitLines(config).splits()


def render_lines(
    labels: list[str],
    split: Split = "test",
    seed: int = 0,
    config: DigitLinesConfig | None = None,
) -> LineDataset:
    """A dataset of lines showing ``labels`` (e.g. canary or "serving" data)."""
    return DigitLines(config).render(labels, split, seed=seed)


def render_line(
    label: str,
    split: Split = "test",
    seed: int = 0,
    config: DigitLinesConfig | None = None,
) -> FloatArray:
    """One line showing ``label`` as a float32 ``(H, W)`` array in [0, 1]; deterministic."""
    return render_lines([label], split, seed, config).images[0, 0].numpy()
