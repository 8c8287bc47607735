"""A zoo of small, realistic training setups on scikit-learn's bundled datasets.

Each builder returns a :class:`Setup`: a model, one batch, a loss, an optimizer factory,
optional train/val data and the kind of bug it carries (``None`` for a correct setup).
``flags`` names the findings that exist to catch the bug (any one failing is right).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn import datasets
from torch import nn
from torch.utils.data import Dataset, TensorDataset

BATCH = 64


@dataclass(frozen=True)
class Setup:
    name: str
    bug: str | None
    model: nn.Module
    batch: tuple[Any, Any]
    loss_fn: Callable[[Any, Any], torch.Tensor]
    optimizer: Callable[[Any], torch.optim.Optimizer] | None = None
    data: dict[str, Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)  # extra smoke.run keywords
    flags: tuple[str, ...] = ()

    def as_tuple(self) -> tuple[Any, ...]:
        return self.model, self.batch, self.loss_fn, self.optimizer, self.data, self.bug


# ----------------------------------------------------------------------------- data


@cache
def _split(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_val, y_val), shuffled with a fixed seed, 80/20."""
    loader = {
        "digits": datasets.load_digits,
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "cancer": datasets.load_breast_cancer,
        "diabetes": datasets.load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order].astype(np.float64), y[order]
    cut = int(0.8 * len(X))
    return X[:cut], y[:cut], X[cut:], y[cut:]


def standardized(name: str) -> tuple[torch.Tensor, np.ndarray, torch.Tensor, np.ndarray]:
    """Features standardized with training statistics (constant features left at 0)."""
    Xtr, ytr, Xva, yva = _split(name)
    mean, std = Xtr.mean(0), Xtr.std(0)
    std = np.where(std > 0, std, 1.0)
    f = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)  # noqa: E731
    return f(Xtr), ytr, f(Xva), yva


def _long(y: np.ndarray) -> torch.Tensor:
    return torch.tensor(y, dtype=torch.long)


def _float(y: np.ndarray) -> torch.Tensor:
    return torch.tensor(y, dtype=torch.float32)


def digits_images() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits as (N, 1, 8, 8) images normalized with the training mean/std."""
    Xtr, ytr, Xva, yva = _split("digits")
    mean, std = Xtr.mean(), Xtr.std()
    f = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32).reshape(-1, 1, 8, 8)  # noqa: E731
    return f(Xtr), _long(ytr), f(Xva), _long(yva)


def _classifier_data(name: str) -> dict[str, Any]:
    Xtr, ytr, Xva, yva = standardized(name)
    return {"train": TensorDataset(Xtr, _long(ytr)), "val": TensorDataset(Xva, _long(yva))}


def _mlp(n_in: int, n_out: int, hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def _adam(lr: float) -> Callable[[Any], torch.optim.Optimizer]:
    return lambda params: torch.optim.Adam(params, lr=lr)


# ----------------------------------------------------------------------------- models


class DigitsCNN(nn.Module):
    """Two conv blocks with BatchNorm, dropout, a linear head: (B, 1, 8, 8) → (B, 10)."""

    def __init__(self, batchnorm: bool = True) -> None:
        super().__init__()
        norm: Callable[[int], nn.Module] = (
            nn.BatchNorm2d if batchnorm else (lambda c: nn.Identity())
        )
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            norm(8),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1),
            norm(16),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 16, 4, 4)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(16 * 16, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class RowGRU(nn.Module):
    """Reads a digit's 8 rows as a sequence of 8-pixel vectors: (B, 8, 8) → (B, 10)."""

    def __init__(self, batch_first: bool = True) -> None:
        super().__init__()
        self.gru = nn.GRU(8, 32, batch_first=batch_first)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x)
        last = out[:, -1]  # (B, 32)
        return self.head(last)


class RowConvTimeMajor(nn.Module):
    """Time-major input (T, B, F) → 1-D conv over time → (B, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(8, 32, 3, padding=1)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(x.permute(1, 2, 0)))  # (B, 32, T)
        return self.head(h.mean(-1))


class TwoInputIris(nn.Module):
    """Sepal and petal measurements as two inputs; log-probabilities out (for NLLLoss)."""

    def __init__(self) -> None:
        super().__init__()
        self.sepal = nn.Linear(2, 16)
        self.petal = nn.Linear(2, 16)
        self.head = nn.Linear(32, 3)

    def forward(self, sepal: torch.Tensor, petal: torch.Tensor) -> torch.Tensor:
        h = torch.cat([F.relu(self.sepal(sepal)), F.relu(self.petal(petal))], dim=1)
        return F.log_softmax(self.head(h), dim=1)


class DictWine(nn.Module):
    """Dict inputs {"chem": (B, 10), "color": (B, 3)}."""

    def __init__(self) -> None:
        super().__init__()
        self.chem = nn.Linear(10, 32)
        self.color = nn.Linear(3, 8)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.1), nn.Linear(40, 3))

    def forward(self, chem: torch.Tensor, color: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.chem(chem), self.color(color)], dim=1))


# ----------------------------------------------------------------------------- correct


def mlp_digits() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "mlp_digits",
        None,
        _mlp(64, 10),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        _classifier_data("digits"),
    )


def cnn_digits() -> Setup:
    Xtr, ytr, Xva, yva = digits_images()
    data = {"train": TensorDataset(Xtr, ytr), "val": TensorDataset(Xva, yva)}
    return Setup(
        "cnn_bn_dropout_digits",
        None,
        DigitsCNN(),
        (Xtr[:BATCH], ytr[:BATCH]),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        data,
    )


def binary_cancer() -> Setup:
    Xtr, ytr, Xva, yva = standardized("cancer")
    model = nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))
    data = {"train": (Xtr, _float(ytr)), "val": (Xva, _float(yva))}
    return Setup(
        "binary_bce_cancer",
        None,
        model,
        (Xtr[:BATCH], _float(ytr[:BATCH])),
        nn.BCEWithLogitsLoss(),
        _adam(1e-3),
        data,
    )


def gru_digits() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    x = Xtr[:BATCH].reshape(-1, 8, 8)  # (B, T=8 rows, F=8 pixels)
    return Setup(
        "gru_rows_digits",
        None,
        RowGRU(),
        (x, _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(3e-3),
    )


def regression_diabetes() -> Setup:
    Xtr, ytr, Xva, yva = standardized("diabetes")
    mu, sd = ytr.mean(), ytr.std()
    t = lambda y: _float((y - mu) / sd).unsqueeze(1)  # noqa: E731 - (N, 1) like the output
    data = {"train": (Xtr, t(ytr)), "val": (Xva, t(yva))}
    return Setup(
        "mlp_mse_diabetes",
        None,
        _mlp(10, 1, 32),
        (Xtr[:BATCH], t(ytr[:BATCH])),
        nn.MSELoss(),
        _adam(3e-3),
        data,
    )


def time_major_conv() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    x = Xtr[:BATCH].reshape(-1, 8, 8).transpose(0, 1).contiguous()  # (T, B, F)
    return Setup(
        "conv1d_time_major_digits",
        None,
        RowConvTimeMajor(),
        (x, _long(ytr[:BATCH])),
        lambda out, y: F.cross_entropy(out, y),
        _adam(3e-3),
        kwargs={"batch_dim": 1},
    )


def iris_two_inputs_nll() -> Setup:
    Xtr, ytr, _, _ = standardized("iris")
    return Setup(
        "iris_tuple_inputs_nll",
        None,
        TwoInputIris(),
        ((Xtr[:BATCH, :2], Xtr[:BATCH, 2:]), _long(ytr[:BATCH])),
        nn.NLLLoss(),
        _adam(3e-3),
    )


def wine_dict_label_smoothing() -> Setup:
    Xtr, ytr, _, _ = standardized("wine")
    inputs = {"chem": Xtr[:BATCH, :10], "color": Xtr[:BATCH, 10:]}
    return Setup(
        "wine_dict_inputs_smoothing",
        None,
        DictWine(),
        (inputs, _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(label_smoothing=0.05),
        None,  # the default optimizer
    )


CORRECT: dict[str, Callable[[], Setup]] = {
    f.__name__: f
    for f in (
        mlp_digits,
        cnn_digits,
        binary_cancer,
        gru_digits,
        regression_diabetes,
        time_major_conv,
        iris_two_inputs_nll,
        wine_dict_label_smoothing,
    )
}


# ----------------------------------------------------------------------------- buggy
# Each carries exactly one bug, written the way it shows up in real code.


def broadcast_regression() -> Setup:
    """Shape: (B, 1) predictions against (B,) targets; MSELoss broadcasts to (B, B)."""
    Xtr, ytr, _, _ = standardized("diabetes")
    y = _float((ytr - ytr.mean()) / ytr.std())  # (N,) — the model outputs (N, 1)
    return Setup(
        "broadcast_mse_diabetes",
        "shape",
        _mlp(10, 1, 32),
        (Xtr[:BATCH], y[:BATCH]),
        nn.MSELoss(),
        _adam(3e-3),
        flags=("output_shape", "overfit_one_batch"),
    )


def broadcast_custom_l1() -> Setup:
    """Shape: a hand-written L1 loss on (B, 1) vs (B,): silent, no warning from torch."""
    Xtr, ytr, _, _ = standardized("diabetes")
    y = _float((ytr - ytr.mean()) / ytr.std())
    return Setup(
        "broadcast_custom_l1_diabetes",
        "shape",
        _mlp(10, 1, 32),
        (Xtr[:BATCH], y[:BATCH]),
        lambda out, t: (out - t).abs().mean(),
        _adam(3e-3),
        flags=("output_shape", "overfit_one_batch"),
    )


class TimeMajorFlatten(nn.Module):
    """Batch mixing: runs the GRU time-major, then flattens (T, B, H) as if it were (B, T*H)."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(8, 16)
        self.head = nn.Linear(8 * 16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, T, F)
        out, _ = self.gru(x.transpose(0, 1))  # (T, B, H)
        return self.head(out.reshape(x.shape[0], -1))  # bug: mixes samples


def reshape_mixes_batch() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "reshape_mixes_batch_gru",
        "batch_mixing",
        TimeMajorFlatten(),
        (Xtr[:BATCH].reshape(-1, 8, 8), _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(3e-3),
        flags=("batch_independence",),
    )


def gru_missing_batch_first() -> Setup:
    """Batch mixing: batch-first data into a GRU built without batch_first=True."""
    Xtr, ytr, _, _ = standardized("digits")
    n = BATCH // 2  # the GRU runs over the batch as if it were time: keep it short
    return Setup(
        "gru_without_batch_first",
        "batch_mixing",
        RowGRU(batch_first=False),
        (Xtr[:n].reshape(-1, 8, 8), _long(ytr[:n])),
        nn.CrossEntropyLoss(),
        _adam(3e-3),
        flags=("batch_independence",),
    )


class SoftmaxOverBatch(nn.Module):
    """Batch mixing: attention-style weights normalized over dim 0 instead of the features."""

    def __init__(self) -> None:
        super().__init__()
        self.score = nn.Linear(64, 64)
        self.head = _mlp(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.softmax(self.score(x), dim=0)  # bug: should be dim=1
        return self.head(x * gate * x.shape[1])


def softmax_wrong_dim() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "softmax_over_batch_dim",
        "batch_mixing",
        SoftmaxOverBatch(),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("batch_independence",),
    )


def softmax_before_ce() -> Setup:
    """Loss input: the model ends in Softmax, then CrossEntropyLoss applies log_softmax."""
    Xtr, ytr, _, _ = standardized("digits")
    model = nn.Sequential(_mlp(64, 10), nn.Softmax(dim=1))
    return Setup(
        "softmax_then_cross_entropy",
        "loss_input",
        model,
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("loss_input", "overfit_one_batch"),
    )


def sigmoid_before_bce_logits() -> Setup:
    """Loss input: torch.sigmoid in forward, then BCEWithLogitsLoss."""
    Xtr, ytr, _, _ = standardized("cancer")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = _mlp(30, 1, 32)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.net(x)).squeeze(1)

    return Setup(
        "sigmoid_then_bce_with_logits",
        "loss_input",
        Net(),
        (Xtr[:BATCH], _float(ytr[:BATCH])),
        nn.BCEWithLogitsLoss(),
        _adam(1e-3),
        flags=("loss_input", "overfit_one_batch"),
    )


def nll_on_logits() -> Setup:
    """Loss input: NLLLoss on raw logits (log_softmax forgotten)."""
    Xtr, ytr, _, _ = standardized("wine")
    return Setup(
        "nll_loss_on_raw_logits",
        "loss_input",
        _mlp(13, 3, 32),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.NLLLoss(),
        _adam(1e-3),
        flags=("loss_input", "initial_loss", "overfit_one_batch"),
    )


def plus_minus_one_labels() -> Setup:
    """Loss input: SVM-style ±1 labels given to BCEWithLogitsLoss."""
    Xtr, ytr, _, _ = standardized("cancer")
    model = nn.Sequential(_mlp(30, 1, 32), nn.Flatten(0))
    return Setup(
        "plus_minus_one_bce_labels",
        "loss_input",
        model,
        (Xtr[:BATCH], _float(2 * ytr[:BATCH] - 1)),
        nn.BCEWithLogitsLoss(),
        _adam(1e-3),
        flags=("loss_input", "overfit_one_batch"),
    )


def log_likelihood_sign() -> Setup:
    """Sign: a hand-written log-likelihood minimized instead of its negative."""
    Xtr, ytr, _, _ = standardized("digits")

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(out, dim=1).gather(1, y[:, None]).mean()  # missing minus

    return Setup(
        "log_likelihood_missing_minus",
        "sign",
        _mlp(64, 10),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        loss,
        _adam(1e-3),
        flags=("overfit_one_batch", "loss_input", "initial_loss"),
    )


def gradient_ascent_optimizer() -> Setup:
    """Sign: the optimizer maximizes (maximize=True copied from a reward-style config)."""
    Xtr, ytr, _, _ = standardized("iris")
    return Setup(
        "optimizer_maximizes_loss",
        "sign",
        _mlp(4, 3, 32),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.SGD(p, lr=0.05, maximize=True),
        flags=("overfit_one_batch",),
    )


def raw_cancer_features() -> Setup:
    """Pre-processing: raw breast-cancer features (areas in the thousands), no scaling."""
    Xtr, ytr, _, _ = _split("cancer")
    x = torch.tensor(Xtr[:BATCH], dtype=torch.float32)
    model = nn.Sequential(_mlp(30, 1, 32), nn.Flatten(0))
    return Setup(
        "unnormalized_tabular_cancer",
        "preprocessing",
        model,
        (x, _float(ytr[:BATCH])),
        nn.BCEWithLogitsLoss(),
        _adam(1e-3),
        flags=("input_scaling", "initial_loss"),
    )


def pixels_0_255() -> Setup:
    """Pre-processing: images in 0–255 fed to a CNN without BatchNorm (forgot / 255)."""
    Xtr, ytr, _, _ = _split("digits")
    x = torch.tensor(Xtr[:BATCH] * 255 / 16, dtype=torch.float32).reshape(-1, 1, 8, 8)
    return Setup(
        "unnormalized_pixels_cnn",
        "preprocessing",
        DigitsCNN(batchnorm=False),
        (x, _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        None,
        flags=("input_scaling", "initial_loss"),
    )


class FunctionalDropoutMLP(nn.Module):
    """Train/eval: F.dropout without training=self.training stays on at eval."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(64, 128), nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.dropout(F.relu(self.fc1(x)), p=0.3))  # bug: always training


def functional_dropout() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "functional_dropout_at_eval",
        "train_eval",
        FunctionalDropoutMLP(),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("eval_mode",),
    )


class BatchStatsNorm(nn.Module):
    """Train/eval: a home-made batch norm that always uses the batch's statistics."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.gamma, self.beta = nn.Parameter(torch.ones(n)), nn.Parameter(torch.zeros(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - x.mean(0)) / (x.std(0) + 1e-5)  # bug: no running statistics for eval
        return self.gamma * x + self.beta


def homemade_batchnorm() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    model = nn.Sequential(nn.Linear(64, 64), BatchStatsNorm(64), nn.ReLU(), nn.Linear(64, 10))
    return Setup(
        "batch_stats_norm_at_eval",
        "train_eval",
        model,
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("batch_independence",),
    )


def lr_too_high() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "learning_rate_too_high",
        "lr_high",
        _mlp(64, 10),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.SGD(p, lr=8.0, momentum=0.9),
        flags=("overfit_one_batch",),
    )


def lr_too_low() -> Setup:
    Xtr, ytr, _, _ = standardized("wine")
    return Setup(
        "learning_rate_too_low",
        "lr_low",
        _mlp(13, 3, 32),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-6),
        flags=("overfit_one_batch",),
    )


def heavy_weight_decay() -> Setup:
    """Regularization: weight decay of 1.0 (a typo for 1e-4)."""
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "weight_decay_too_strong",
        "regularization",
        _mlp(64, 10),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1.0),
        flags=("overfit_one_batch",),
    )


class DetachedEncoder(nn.Module):
    """Detached: features .detach()-ed (copied from a frozen-feature-extractor recipe)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x).detach())


def detached_encoder() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "detached_encoder",
        "detached",
        DetachedEncoder(),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("params_update",),
    )


def dead_relu_init() -> Setup:
    """Dead units: first-layer biases initialized to a large negative constant."""
    Xtr, ytr, _, _ = standardized("wine")
    model = _mlp(13, 3, 32)
    nn.init.constant_(model[0].bias, -20.0)
    return Setup(
        "dead_relus_from_init",
        "dead",
        model,
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("params_update", "overfit_one_batch"),
    )


def biases_only_optimizer() -> Setup:
    """Frozen: the weight-decay split keeps only the no-decay group (biases)."""
    Xtr, ytr, _, _ = standardized("digits")

    def make(params: Any) -> torch.optim.Optimizer:
        params = list(params)
        no_decay = [p for p in params if p.ndim == 1]
        decay = [p for p in params if p.ndim > 1]  # noqa: F841 - the forgotten group
        return torch.optim.AdamW([{"params": no_decay, "weight_decay": 0.0}], lr=1e-3)

    return Setup(
        "optimizer_missing_weight_group",
        "frozen",
        _mlp(64, 10),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        make,
        flags=("params_update",),
    )


class PlainListBlocks(nn.Module):
    """Frozen: hidden blocks kept in a Python list, so they are never registered."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = [nn.Linear(64, 64), nn.Linear(64, 64)]  # bug: not nn.ModuleList
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = F.relu(block(x))
        return self.head(x)


def plain_list_layers() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    return Setup(
        "layers_in_plain_list",
        "frozen",
        PlainListBlocks(),
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("params_update",),
    )


class Standardize(nn.Module):
    """Numerics: standardizes with per-pixel std, which is 0 for always-blank pixels."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std  # bug: 0 / 0 for constant pixels


def zero_std_standardize() -> Setup:
    Xtr, ytr, _, _ = _split("digits")
    model = nn.Sequential(Standardize(Xtr.mean(0), Xtr.std(0)), _mlp(64, 10))
    x = torch.tensor(Xtr[:BATCH], dtype=torch.float32)
    return Setup(
        "zero_std_standardization",
        "numerics",
        model,
        (x, _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("finite",),
    )


def unstable_handwritten_bce() -> Setup:
    """Numerics: BCE written as log(sigmoid) — log(0) once the logits saturate."""
    Xtr, ytr, _, _ = standardized("cancer")

    def loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(z)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

    model = nn.Sequential(_mlp(30, 1, 64), nn.Flatten(0))
    return Setup(
        "log_sigmoid_saturates",
        "numerics",
        model,
        (Xtr[:BATCH], _float(ytr[:BATCH])),
        loss,
        _adam(0.05),
        flags=("overfit_one_batch",),
    )


class MaskedRows(nn.Module):
    """Ignores input: the padding mask is inverted, so every real row is zeroed."""

    def __init__(self) -> None:
        super().__init__()
        self.row = nn.Linear(8, 32)
        self.head = nn.Linear(32, 10)

    def forward(self, rows: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        rows = rows * (1 - mask)[..., None]  # bug: mask is 1 for real rows
        h = F.relu(self.row(rows))  # (B, T, 32)
        return self.head((h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True))


def inverted_mask() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    rows = Xtr[:BATCH].reshape(-1, 8, 8)
    inputs = {"rows": rows, "mask": torch.ones(BATCH, 8)}
    return Setup(
        "inverted_padding_mask",
        "ignores_input",
        MaskedRows(),
        (inputs, _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(3e-3),
        flags=("input_dependence",),
    )


class NoisyAugment(nn.Module):
    """Augmentation: Gaussian noise far stronger than the signal, in train mode only."""

    def __init__(self, sigma: float) -> None:
        super().__init__()
        self.sigma = sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.sigma * torch.randn_like(x) if self.training else x


def too_strong_augmentation() -> Setup:
    Xtr, ytr, _, _ = standardized("digits")
    model = nn.Sequential(NoisyAugment(8.0), _mlp(64, 10))
    return Setup(
        "augmentation_destroys_signal",
        "augmentation",
        model,
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        flags=("overfit_one_batch",),
    )


def shuffled_labels() -> Setup:
    """Labels: the training labels were shuffled separately from the features."""
    Xtr, ytr, Xva, yva = standardized("digits")
    y_bad = np.random.default_rng(1).permutation(ytr)
    data = {"train": TensorDataset(Xtr, _long(y_bad)), "val": TensorDataset(Xva, _long(yva))}
    return Setup(
        "labels_shuffled_apart",
        "labels",
        _mlp(64, 10),
        (Xtr[:BATCH], _long(y_bad[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        data,
        flags=("val_improves",),
    )


class RandomLabelDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Labels: a lookup bug — each read returns the label of a random sample."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        j = int(torch.randint(len(self.y), ()).item())  # bug: should be self.y[i]
        return self.x[i], self.y[j]


def random_label_reads() -> Setup:
    Xtr, ytr, Xva, yva = standardized("wine")
    data = {"train": RandomLabelDataset(Xtr, _long(ytr)), "val": (Xva, _long(yva))}
    x, y = data["train"][0]
    _ = (x, y)
    batch = (Xtr[:BATCH], _long(ytr[:BATCH]))
    return Setup(
        "dataset_returns_random_labels",
        "labels",
        _mlp(13, 3, 32),
        batch,
        nn.CrossEntropyLoss(),
        _adam(3e-3),
        data,
        flags=("memorize", "val_improves"),
    )


def val_inside_train() -> Setup:
    """Leakage: the validation set was cut from the training set after oversampling."""
    Xtr, ytr, _, _ = standardized("cancer")
    val = (Xtr[:100], _float(ytr[:100]))
    model = nn.Sequential(_mlp(30, 1, 32), nn.Flatten(0))
    return Setup(
        "validation_overlaps_train",
        "leakage",
        model,
        (Xtr[:BATCH], _float(ytr[:BATCH])),
        nn.BCEWithLogitsLoss(),
        _adam(1e-3),
        {"train": (Xtr, _float(ytr)), "val": val},
        flags=("train_val_overlap",),
    )


# ----------------------------------------------------------------------------- training steps
# The team's own training step, ``train_step(model, (x, y), optimizer, step) -> loss``.

TrainStepFn = Callable[[nn.Module, tuple[Any, Any], torch.optim.Optimizer, int], Any]


def correct_step(model: nn.Module, batch: tuple[Any, Any], opt: Any, step: int) -> torch.Tensor:
    x, y = batch
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def accumulating_step(scale: bool) -> TrainStepFn:
    """Gradient accumulation over 4 micro-batches; ``scale=False`` forgets to divide."""

    def step(model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int) -> torch.Tensor:
        x, y = batch
        opt.zero_grad()
        total = torch.zeros(())
        for xc, yc in zip(x.chunk(4), y.chunk(4), strict=True):
            loss = F.cross_entropy(model(xc), yc)
            (loss / 4 if scale else loss).backward()
            total = total + loss.detach() / 4
        opt.step()
        return total

    return step


def scaler_step(misuse: bool) -> TrainStepFn:
    """AMP's GradScaler; ``misuse=True`` steps the optimizer directly on scaled gradients."""
    scalers: dict[int, Any] = {}

    def step(model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int) -> torch.Tensor:
        scaler = scalers.setdefault(id(opt), torch.amp.GradScaler("cpu"))
        x, y = batch
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        if misuse:
            opt.step()  # bug: the optimizer steps on scaled gradients
            return loss
        scaler.step(opt)  # unscales, skips the step on inf/NaN
        scaler.update()
        return loss

    return step


def scheduled_step(make: Callable[[Any], Any]) -> TrainStepFn:
    """A per-batch LR scheduler built on the optimizer it is handed."""
    schedulers: dict[int, Any] = {}

    def step(model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int) -> torch.Tensor:
        sched = schedulers.setdefault(id(opt), make(opt))
        loss = correct_step(model, batch, opt, i)
        sched.step()
        return loss

    return step


def no_zero_grad_step(model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int) -> torch.Tensor:
    x, y = batch
    loss = F.cross_entropy(model(x), y)  # bug: gradients of every step add up
    loss.backward()
    opt.step()
    return loss


def step_before_backward(
    model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int
) -> torch.Tensor:
    x, y = batch
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    opt.step()  # bug: before backward
    loss.backward()
    return loss


def zero_grad_after_backward(
    model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int
) -> torch.Tensor:
    x, y = batch
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.zero_grad()  # bug: clears what backward just computed
    opt.step()
    return loss


def eval_mode_step(model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int) -> torch.Tensor:
    model.eval()  # bug: copied from the validation loop
    return correct_step(model, batch, opt, i)


def clip_to_zero_step(model: nn.Module, batch: tuple[Any, Any], opt: Any, i: int) -> torch.Tensor:
    x, y = batch
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.0)  # bug: a 0 from a config
    opt.step()
    return loss


def _step_setup(name: str, step: TrainStepFn, bug: str | None, dropout: bool = False) -> Setup:
    Xtr, ytr, Xva, yva = standardized("digits")
    model = (
        nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
        if dropout
        else _mlp(64, 10)
    )
    data = {"train": TensorDataset(Xtr, _long(ytr)), "val": TensorDataset(Xva, _long(yva))}
    return Setup(
        name,
        bug,
        model,
        (Xtr[:BATCH], _long(ytr[:BATCH])),
        nn.CrossEntropyLoss(),
        _adam(1e-3),
        data if bug is None else None,
        kwargs={"train_step": step},
        flags=("training_step",),
    )


def step_correct() -> Setup:
    return _step_setup("team_step_correct", correct_step, None, dropout=True)


def step_accumulation_scaled() -> Setup:
    return _step_setup("team_step_accumulation_scaled", accumulating_step(True), None)


def step_amp_scaler() -> Setup:
    return _step_setup("team_step_amp_grad_scaler", scaler_step(False), None)


def step_cosine_schedule() -> Setup:
    sched = lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10_000)  # noqa: E731
    return _step_setup("team_step_cosine_schedule", scheduled_step(sched), None)


def step_missing_zero_grad() -> Setup:
    return _step_setup("team_step_missing_zero_grad", no_zero_grad_step, "train_step")


def step_optimizer_before_backward() -> Setup:
    return _step_setup("team_step_step_before_backward", step_before_backward, "train_step")


def step_zero_grad_after_backward() -> Setup:
    return _step_setup("team_step_zero_grad_after_backward", zero_grad_after_backward, "train_step")


def step_left_in_eval_mode() -> Setup:
    return _step_setup("team_step_eval_mode", eval_mode_step, "train_step", dropout=True)


def step_scheduler_to_zero() -> Setup:
    sched = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)  # noqa: E731
    return _step_setup("team_step_lr_to_zero", scheduled_step(sched), "train_step")


def step_clip_to_zero() -> Setup:
    return _step_setup("team_step_clip_to_zero", clip_to_zero_step, "train_step")


def step_accumulation_unscaled() -> Setup:
    return _step_setup("team_step_accumulation_unscaled", accumulating_step(False), "train_step")


def step_scaler_misused() -> Setup:
    return _step_setup("team_step_amp_scaler_misused", scaler_step(True), "train_step")


STEP_CORRECT = (step_correct, step_accumulation_scaled, step_amp_scaler, step_cosine_schedule)
STEP_BUGGY = (
    step_missing_zero_grad,
    step_optimizer_before_backward,
    step_zero_grad_after_backward,
    step_left_in_eval_mode,
    step_scheduler_to_zero,
    step_clip_to_zero,
    step_accumulation_unscaled,
    step_scaler_misused,
)
CORRECT.update({f.__name__: f for f in STEP_CORRECT})


BUGGY: dict[str, Callable[[], Setup]] = {
    f.__name__: f
    for f in (
        broadcast_regression,
        broadcast_custom_l1,
        reshape_mixes_batch,
        gru_missing_batch_first,
        softmax_wrong_dim,
        softmax_before_ce,
        sigmoid_before_bce_logits,
        nll_on_logits,
        plus_minus_one_labels,
        log_likelihood_sign,
        gradient_ascent_optimizer,
        raw_cancer_features,
        pixels_0_255,
        functional_dropout,
        homemade_batchnorm,
        lr_too_high,
        lr_too_low,
        heavy_weight_decay,
        detached_encoder,
        dead_relu_init,
        biases_only_optimizer,
        plain_list_layers,
        zero_std_standardize,
        unstable_handwritten_bce,
        inverted_mask,
        too_strong_augmentation,
        shuffled_labels,
        random_label_reads,
        val_inside_train,
        *STEP_BUGGY,
    )
}

ALL: dict[str, Callable[[], Setup]] = {**CORRECT, **BUGGY}


def build(name: str) -> Setup:
    """Build one setup by its builder name, with torch seeded so models are reproducible."""
    torch.manual_seed(0)
    return ALL[name]()


_ = math
