"""Public third-party architectures, written from torch.nn building blocks after their
published designs, set up as a team would train them.

- ``resnet18``: torchvision's ResNet-18 layout (7×7 stem, max-pool, BasicBlock ×[2, 2, 2, 2],
  64–512 channels), SGD lr 0.1 with momentum, as in the ImageNet recipe.
- ``bn_cnn_sgd``: a BatchNorm CNN trained with SGD lr 0.1.
- ``fsdl_cnn`` / ``line_cnn_simple``: the FSDL text recognizer's character ``CNN`` and its
  ``LineCNNSimple`` (the CNN slid over a line image, one prediction per window).
- ``resnet_transformer``: FSDL's ``ResnetTransformer`` idea — a conv encoder, its feature
  map as the memory of an ``nn.TransformerDecoder``, teacher forcing with a causal mask,
  outputs ``(B, C, Sy)``.
- ``seq2seq_transformer``: ``nn.Transformer`` on a copy task, causal target mask.
- ``lstm_packed``: an LSTM classifier over padded token sequences, packed with
  ``pack_padded_sequence`` and read as ``_, (h, _) = lstm(packed)``.
- ``embedding_bag``: PyTorch's text-classification tutorial model, ``nn.EmbeddingBag``
  with ``offsets`` (here with sparse gradients), with and without a ``take_samples`` hook.
- ``gaussian_nll``: a regressor of mean and log-variance under ``F.gaussian_nll_loss`` (a
  loss that legitimately goes below zero).
- ``sigmoid_autoencoder``: a sigmoid autoencoder under ``BCELoss`` on soft pixel targets
  (a loss with a non-zero floor).

Each builder returns a zoo :class:`Setup`; the buggy variants carry one planted bug and
name the check that exists for it in ``flags``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from zoo import Setup, _long, _split, digits_images, standardized

# ----------------------------------------------------------------------------- data


def _images(size: int, channels: int, n: int | None = None) -> tuple[torch.Tensor, ...]:
    """Digits upsampled to ``size``×``size`` with ``channels`` channels, normalized."""
    Xtr, ytr, Xva, yva = digits_images()

    def up(x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        return x.expand(-1, channels, -1, -1).contiguous()

    if n is not None:
        Xtr, ytr = Xtr[:n], ytr[:n]
    return up(Xtr), ytr, up(Xva[:256]), yva[:256]


def _lines(n: int, digits: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Lines of ``digits`` digit images side by side: (n, 1, 8, 8·digits), labels (n, digits)."""
    Xtr, ytr, _, _ = digits_images()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(Xtr), (n, digits), generator=g)
    images = torch.cat([Xtr[idx[:, k]] for k in range(digits)], dim=3)  # (n, 1, 8, 8·digits)
    return images, ytr[idx]


# ----------------------------------------------------------------------------- ResNet-18


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: conv3×3-BN-ReLU-conv3×3-BN, plus the (projected) input."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """torchvision.models.resnet18's layout: (B, 3, H, W) → (B, classes)."""

    def __init__(self, num_classes: int = 10, width: int = 64, bn_momentum: float = 0.1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, inplanes = [], width
        for i, planes in enumerate((width, 2 * width, 4 * width, 8 * width)):
            stride = 1 if i == 0 else 2
            layers.append(
                nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes))
            )
            inplanes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                m.momentum = bn_momentum
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _sgd(
    lr: float, momentum: float = 0.9, wd: float = 0.0
) -> Callable[[Any], torch.optim.Optimizer]:
    return lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, weight_decay=wd)


def resnet18(bn_momentum: float = 0.1) -> Setup:
    x, y, _, _ = _images(32, 3, n=16)
    bug = None if bn_momentum else "train_eval"
    return Setup(
        "resnet18_sgd_0.1" if bn_momentum else "resnet18_bn_momentum_0",
        bug,
        ResNet18(bn_momentum=bn_momentum),
        (x, y),
        nn.CrossEntropyLoss(),
        _sgd(0.1, wd=1e-4),
        flags=("overfit_one_batch",),
    )


# ----------------------------------------------------------------------------- BN CNN + SGD


class BNCNN(nn.Module):
    """conv-BN-ReLU ×3 with pooling, global average pool, linear head."""

    def __init__(self, bn_momentum: float = 0.1) -> None:
        super().__init__()
        chans = (1, 32, 64, 64)
        blocks: list[nn.Module] = []
        for i in range(3):
            blocks += [
                nn.Conv2d(chans[i], chans[i + 1], 3, padding=1, bias=False),
                nn.BatchNorm2d(chans[i + 1], momentum=bn_momentum),
                nn.ReLU(),
            ]
            if i < 2:
                blocks.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))


def bn_cnn_sgd(bn_momentum: float = 0.1) -> Setup:
    Xtr, ytr, Xva, yva = digits_images()
    return Setup(
        "bn_cnn_sgd_0.1" if bn_momentum else "bn_cnn_momentum_0",
        None if bn_momentum else "train_eval",
        BNCNN(bn_momentum),
        (Xtr[:64], ytr[:64]),
        nn.CrossEntropyLoss(),
        _sgd(0.1),
        {"train": (Xtr, ytr), "val": (Xva, yva)} if bn_momentum else None,
        flags=("overfit_one_batch",),
    )


# ----------------------------------------------------------------------------- FSDL CNNs


class ConvBlock(nn.Module):
    """FSDL's ConvBlock: 3×3 conv (same padding) and ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x))


class CNN(nn.Module):
    """FSDL text recognizer's character CNN: two ConvBlocks, max-pool, dropout, two FCs."""

    def __init__(
        self, num_classes: int = 10, conv_dim: int = 32, fc_dim: int = 128, size: int = 8
    ) -> None:
        super().__init__()
        self.conv1 = ConvBlock(1, conv_dim)
        self.conv2 = ConvBlock(conv_dim, conv_dim)
        self.dropout = nn.Dropout(0.25)
        self.max_pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear((size // 2) ** 2 * conv_dim, fc_dim)
        self.fc2 = nn.Linear(fc_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.max_pool(self.conv2(self.conv1(x)))  # (B, C, H/2, W/2)
        x = self.dropout(x)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(self.dropout(x))


def fsdl_cnn() -> Setup:
    Xtr, ytr, Xva, yva = digits_images()
    return Setup(
        "fsdl_cnn",
        None,
        CNN(),
        (Xtr[:64], ytr[:64]),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.Adam(p, lr=1e-3),
        {"train": (Xtr, ytr), "val": (Xva, yva)},
    )


class LineCNNSimple(nn.Module):
    """FSDL's LineCNNSimple: the character CNN applied to windows slid along the line,
    stacked into (B, C, S) logits for a cross entropy against (B, S) labels."""

    def __init__(
        self, num_classes: int = 10, window_width: int = 8, window_stride: int = 8, length: int = 4
    ) -> None:
        super().__init__()
        self.ww, self.ws, self.limit = window_width, window_stride, length
        self.cnn = CNN(num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, _, w = x.shape  # (B, 1, H, W)
        s = math.floor((w - self.ww) / self.ws + 1)
        activations = torch.zeros((b, self.cnn.fc2.out_features, s), device=x.device)
        for i in range(s):
            window = x[:, :, :, i * self.ws : i * self.ws + self.ww]
            activations[:, :, i] = self.cnn(window)
        return activations[:, :, : self.limit]  # (B, C, S)


def line_cnn_simple() -> Setup:
    x, y = _lines(256)
    xv, yv = _lines(128, seed=1)
    return Setup(
        "fsdl_line_cnn_simple",
        None,
        LineCNNSimple(),
        (x[:32], y[:32]),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.Adam(p, lr=1e-3),
        {"train": (x, y), "val": (xv, yv)},
    )


# ----------------------------------------------------------------------------- Transformers


class PositionalEncoding(nn.Module):
    """The sinusoidal encoding of "Attention is all you need", batch-first."""

    def __init__(self, d_model: int, max_len: int = 64) -> None:
        super().__init__()
        pos = torch.arange(max_len)[:, None]
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]]


START, END, PAD = 10, 11, 12
TOKENS = 13


class ResnetTransformer(nn.Module):
    """A conv encoder whose feature map is the memory of a Transformer decoder.

    ``forward(image, tgt)`` with teacher forcing: ``tgt`` (B, Sy) starts with START; the
    output is (B, TOKENS, Sy) logits of the next tokens.
    """

    def __init__(self, d: int = 64, causal: bool = True) -> None:
        super().__init__()
        self.causal = causal
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, d, 3, padding=1),
            nn.BatchNorm2d(d),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )  # (B, d, 4, 16)
        self.pos = PositionalEncoding(d)
        self.embed = nn.Embedding(TOKENS, d)
        layer = nn.TransformerDecoderLayer(d, 4, 4 * d, dropout=0.1, batch_first=True)
        self.decoder = nn.TransformerDecoder(layer, 2)
        self.fc = nn.Linear(d, TOKENS)

    def forward(self, image: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        memory = self.encoder(image).flatten(2).transpose(1, 2)  # (B, Sx, d)
        memory = self.pos(memory)
        y = self.pos(self.embed(tgt) * math.sqrt(self.embed.embedding_dim))  # (B, Sy, d)
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1]) if self.causal else None
        out = self.decoder(y, memory, tgt_mask=mask)  # (B, Sy, d)
        return self.fc(out).transpose(1, 2)  # (B, TOKENS, Sy)


def _teacher_forcing(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    b = labels.shape[0]
    seq = torch.cat([torch.full((b, 1), START), labels, torch.full((b, 1), END)], dim=1)
    return seq[:, :-1], seq[:, 1:]  # decoder input, next-token targets


def resnet_transformer(causal: bool = True) -> Setup:
    x, y = _lines(32)
    tgt_in, tgt_out = _teacher_forcing(y)
    return Setup(
        "resnet_transformer" if causal else "resnet_transformer_no_causal_mask",
        None if causal else "causality",
        ResnetTransformer(causal=causal),
        ((x, tgt_in), tgt_out),
        nn.CrossEntropyLoss(ignore_index=PAD),
        lambda p: torch.optim.Adam(p, lr=1e-3),
        kwargs={"causal_dim": {"inputs[1]": 1}},
        flags=("causality",),
    )


class Seq2SeqTransformer(nn.Module):
    """``nn.Transformer`` over token sequences, batch-first, causal target mask."""

    def __init__(self, d: int = 64, causal: bool = True) -> None:
        super().__init__()
        self.causal = causal
        self.src_embed, self.tgt_embed = nn.Embedding(TOKENS, d), nn.Embedding(TOKENS, d)
        self.pos = PositionalEncoding(d)
        self.transformer = nn.Transformer(d, 4, 2, 2, 4 * d, dropout=0.1, batch_first=True)
        self.fc = nn.Linear(d, TOKENS)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        mask = (
            self.transformer.generate_square_subsequent_mask(tgt.shape[1]) if self.causal else None
        )
        out = self.transformer(
            self.pos(self.src_embed(src)), self.pos(self.tgt_embed(tgt)), tgt_mask=mask
        )  # (B, Sy, d)
        return self.fc(out)  # (B, Sy, TOKENS)


def seq2seq_transformer(causal: bool = True) -> Setup:
    g = torch.Generator().manual_seed(0)
    src = torch.randint(0, 10, (32, 6), generator=g)
    tgt_in, tgt_out = _teacher_forcing(src.flip(1))  # reverse the sequence
    return Setup(
        "nn_transformer_reverse" if causal else "nn_transformer_no_causal_mask",
        None if causal else "causality",
        Seq2SeqTransformer(causal=causal),
        ((src, tgt_in), tgt_out),
        lambda out, y: F.cross_entropy(out.transpose(1, 2), y),
        lambda p: torch.optim.Adam(p, lr=1e-3),
        kwargs={"causal_dim": {"inputs[1]": 1}},
        flags=("causality",),
    )


# ----------------------------------------------------------------------------- LSTM, packed


class LSTMClassifier(nn.Module):
    """Embedding → packed LSTM → last hidden state → linear, read as ``_, (h, _)``."""

    def __init__(self, vocab: int = 21, random_state: bool = False) -> None:
        super().__init__()
        self.random_state = random_state
        self.embedding = nn.Embedding(vocab, 32, padding_idx=0)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.fc = nn.Linear(64, 2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            self.embedding(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        if self.random_state:  # bug: a fresh random initial state on every call
            state = (torch.randn(1, tokens.shape[0], 64), torch.randn(1, tokens.shape[0], 64))
            _, (h, _) = self.lstm(packed, state)
        else:
            _, (h, _) = self.lstm(packed)
        return self.fc(h[-1])  # (B, 2)


def _token_sequences(n: int, seed: int) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Padded sequences of tokens 1..20 (length 4..12); label: mostly small tokens."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(4, 13, (n,), generator=g)
    tokens = torch.randint(1, 21, (n, 12), generator=g)
    tokens = tokens * (torch.arange(12)[None] < lengths[:, None])
    small = ((tokens > 0) & (tokens <= 10)).sum(1).float()
    labels = (small > lengths.float() / 2).long()
    return (tokens, lengths), labels


def lstm_packed(random_state: bool = False) -> Setup:
    (tok, lens), y = _token_sequences(512, 0)
    (vtok, vlens), vy = _token_sequences(256, 1)
    return Setup(
        "lstm_packed_sequences" if not random_state else "lstm_random_initial_state",
        None if not random_state else "train_eval",
        LSTMClassifier(random_state=random_state),
        ((tok[:64], lens[:64]), y[:64]),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.Adam(p, lr=3e-3),
        {"train": ((tok, lens), y), "val": ((vtok, vlens), vy)} if not random_state else None,
        flags=("eval_mode",),
    )


# ----------------------------------------------------------------------------- EmbeddingBag


class TextClassificationModel(nn.Module):
    """PyTorch's text-classification tutorial model: EmbeddingBag(text, offsets) → fc."""

    def __init__(self, vocab_size: int, embed_dim: int, num_class: int, mix: bool = False) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=True)
        self.fc = nn.Linear(embed_dim, num_class)
        self.mix = mix
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(text, offsets)  # (B, D)
        if self.mix:  # bug: centres each bag on the batch mean
            embedded = embedded - embedded.mean(0)
        return self.fc(embedded)


def take_bags(inputs: Any, index: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``take_samples`` hook of (text, offsets) batches: the bags ``index``, re-packed."""
    text, offsets = inputs
    ends = torch.cat([offsets[1:], torch.tensor([len(text)])])
    bags = [text[offsets[i] : ends[i]] for i in index]
    new_offsets = torch.tensor([0] + [len(b) for b in bags[:-1]]).cumsum(0)
    return torch.cat(bags), new_offsets


def _bags(n: int, seed: int) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Bags of 3..10 token ids from 100; the label is which half of the vocabulary dominates."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, 11, (n,), generator=g)
    labels = torch.randint(0, 4, (n,), generator=g)
    bags = []
    for length, label in zip(lengths.tolist(), labels.tolist(), strict=True):
        topical = torch.randint(25 * label, 25 * label + 25, (length,), generator=g)
        noise = torch.randint(0, 100, (length,), generator=g)
        bags.append(torch.where(torch.rand(length, generator=g) < 0.7, topical, noise))
    offsets = torch.tensor([0, *lengths[:-1].tolist()]).cumsum(0)
    return (torch.cat(bags), offsets), labels


def embedding_bag(hook: bool = True, mix: bool = False) -> Setup:
    inputs, y = _bags(64, 0)
    name = "embedding_bag_offsets" + ("" if hook else "_no_hook") + ("_batch_mean" if mix else "")
    return Setup(
        name,
        "batch_mixing" if mix else None,
        TextClassificationModel(100, 32, 4, mix=mix),
        (inputs, y),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.SGD(p, lr=5.0),  # the tutorial's optimizer
        kwargs={"take_samples": take_bags} if hook else {},
        flags=("batch_independence",),
    )


def embedding_bag_default_optimizer() -> Setup:
    s = embedding_bag()
    return Setup(
        "embedding_bag_sparse_default_optimizer",
        None,
        s.model,
        s.batch,
        s.loss_fn,
        None,
        kwargs=s.kwargs,
    )


# ----------------------------------------------------------------------------- Gaussian NLL


class MeanVariance(nn.Module):
    """An MLP predicting the mean and the log-variance: (B, F) → (B, 2)."""

    def __init__(self, n_in: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def gaussian_nll_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.gaussian_nll_loss(out[:, 0], y, out[:, 1].exp())


def negated_gaussian_nll_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -gaussian_nll_loss(out, y)  # bug: the log-likelihood without its minus


def gaussian_nll(negated: bool = False) -> Setup:
    Xtr, ytr, Xva, yva = standardized("diabetes")
    mu, sd = ytr.mean(), ytr.std()
    t = lambda v: torch.tensor((v - mu) / sd, dtype=torch.float32)  # noqa: E731
    return Setup(
        "gaussian_nll_regressor" + ("_negated" if negated else ""),
        "sign" if negated else None,
        MeanVariance(10),
        (Xtr[:64], t(ytr[:64])),
        negated_gaussian_nll_loss if negated else gaussian_nll_loss,
        lambda p: torch.optim.Adam(p, lr=3e-3),
        {"train": (Xtr, t(ytr)), "val": (Xva, t(yva))},
        flags=("overfit_one_batch",),
    )


# ----------------------------------------------------------------------------- autoencoder


def sigmoid_autoencoder() -> Setup:
    Xtr, _, Xva, _ = _split("digits")
    x, xv = (torch.tensor(a / 16.0, dtype=torch.float32) for a in (Xtr, Xva))  # soft targets
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 16),
        nn.ReLU(),
        nn.Linear(16, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.Sigmoid(),
    )
    return Setup(
        "sigmoid_autoencoder_bce_soft_targets",
        None,
        model,
        (x[:64], x[:64]),
        nn.BCELoss(),
        lambda p: torch.optim.Adam(p, lr=3e-3),
        {"train": (x, x), "val": (xv, xv)},
    )


# ------------------------------------------- Lightning's demo Transformer (third-party code)


def lightning_demo_transformer(masked: bool = False) -> Setup:
    """``lightning.pytorch.demos.transformer.Transformer`` as shipped: an encoder-decoder
    language model whose output is ``view(-1, vocab)`` rows and whose encoder reads the
    source without the causal mask it builds (``src_mask`` is computed, never passed), so
    position t sees token t+1 — its own label. ``masked=True`` passes the mask."""
    from lightning.pytorch.demos.transformer import Transformer

    class MaskedSourceTransformer(Transformer):
        def forward(
            self, inputs: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
        ) -> torch.Tensor:
            causal = self.generate_square_subsequent_mask(inputs.shape[1]).to(inputs.device)
            src = self.pos_encoder(self.embedding(inputs) * math.sqrt(self.ninp))
            tgt = self.pos_encoder(self.embedding(target) * math.sqrt(self.ninp))
            out = self.transformer(
                src,
                tgt,
                src_mask=causal,
                tgt_mask=causal if mask is None else mask,
                memory_mask=causal,
            )
            return F.log_softmax(self.decoder(out), dim=-1).view(-1, self.vocab_size)

    vocab, batch, length = 50, 16, 12
    chunk = torch.randint(0, vocab, (batch, length + 1), generator=torch.Generator().manual_seed(0))
    inputs, target = chunk[:, :-1], chunk[:, 1:]
    cls = MaskedSourceTransformer if masked else Transformer
    return Setup(
        "lightning_demo_transformer" + ("_masked" if masked else ""),
        None if masked else "causality",
        cls(vocab_size=vocab, ninp=32, nhead=2, nhid=64, nlayers=1, dropout=0.0),
        ((inputs, target), target),
        lambda out, y: F.nll_loss(out, y.reshape(-1)),  # the demo LightningTransformer's loss
        kwargs={"causal_dim": 1},
        flags=("causality",),
    )


CORRECT: dict[str, Callable[[], Setup]] = {
    "resnet18": resnet18,
    "bn_cnn_sgd": bn_cnn_sgd,
    "fsdl_cnn": fsdl_cnn,
    "line_cnn_simple": line_cnn_simple,
    "resnet_transformer": resnet_transformer,
    "seq2seq_transformer": seq2seq_transformer,
    "lstm_packed": lstm_packed,
    "embedding_bag": embedding_bag,
    "embedding_bag_no_hook": lambda: embedding_bag(hook=False),
    "embedding_bag_default_optimizer": embedding_bag_default_optimizer,
    "gaussian_nll": gaussian_nll,
    "sigmoid_autoencoder": sigmoid_autoencoder,
    "lightning_demo_transformer_masked": lambda: lightning_demo_transformer(masked=True),
}

BUGGY: dict[str, Callable[[], Setup]] = {
    "resnet_transformer_no_causal_mask": lambda: resnet_transformer(causal=False),
    "seq2seq_transformer_no_causal_mask": lambda: seq2seq_transformer(causal=False),
    "lstm_random_initial_state": lambda: lstm_packed(random_state=True),
    "embedding_bag_batch_mean": lambda: embedding_bag(mix=True),
    "resnet18_bn_momentum_0": lambda: resnet18(bn_momentum=0.0),
    "bn_cnn_momentum_0": lambda: bn_cnn_sgd(bn_momentum=0.0),
    "lightning_demo_transformer": lightning_demo_transformer,
    "gaussian_nll_negated": lambda: gaussian_nll(negated=True),
}

ALL = {**CORRECT, **BUGGY}


def build(name: str) -> Setup:
    torch.manual_seed(0)
    return ALL[name]()


_ = _long
