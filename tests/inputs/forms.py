"""Synthetic team inputs, and every documented form of each shared input (docs/inputs.md).

One small world serves every check: a table of four numeric features and float class
labels (``y`` is ``0.0``/``1.0``) where the truth is ``x0 + 0.5·x1 > 0`` with 10 % of the
labels flipped, so every model form below (bf16 torch, scikit-learn, a plain object)
computes the *same* function and scores the same known accuracy. Rows close to the
decision boundary are dropped so that bfloat16 rounding cannot flip a prediction.

``MODEL_FORMS`` and ``SLICE_FORMS`` hold the forms themselves; ``TABLE_FORMS`` (and the
``(X, y)``/Dataset/records forms) map a form's name to ``render(frame, tmp_path) -> value``,
the same table handed over another way. ``base_inputs(test_id, takes, case_input)`` gives
the canonical value of every input a check takes, from :data:`DEFAULTS`, so a check that
starts taking ``slices`` or ``eval_data`` is covered without touching this file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TARGET = "y"
FEATURES = ("x0", "x1", "x2", "age")
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _world() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 800
    frame = pd.DataFrame(
        {
            "x0": rng.normal(size=n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "age": rng.integers(18, 60, n),
        }
    )
    score = frame["x0"] + 0.5 * frame["x1"]
    frame = frame[np.abs(score) >= 0.15].reset_index(drop=True)  # no bf16 rounding flips
    truth = (frame["x0"] + 0.5 * frame["x1"] > 0).to_numpy()
    flip = np.random.default_rng(1).random(len(frame)) < 0.1
    frame[TARGET] = np.where(truth ^ flip, 1.0, 0.0)  # float class labels
    return frame


WORLD = _world()
TRAIN = WORLD.iloc[:300].reset_index(drop=True)
EVAL = WORLD.iloc[300:520].reset_index(drop=True)


def rule(features: Any) -> np.ndarray:
    """The one decision every model form computes: ``x0 + 0.5·x1 > 0`` as 0.0/1.0."""
    if hasattr(features, "columns"):
        values = features[["x0", "x1"]].to_numpy(dtype=float)
    else:
        values = np.asarray(features, dtype=float)[:, :2]
    return (values[:, 0] + 0.5 * values[:, 1] > 0).astype(np.float64)


EVAL_ACCURACY = float(np.mean(rule(EVAL) == EVAL[TARGET].to_numpy()))


def accuracy(y_true: Any, y_pred: Any) -> float:
    """A plain callable metric, as a team writes it (no ``Metric`` wrapper)."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


# -- model forms ---------------------------------------------------------------------


class PlainModel:
    """fit/predict, not a scikit-learn ``BaseEstimator``; reads DataFrames or arrays."""

    def __init__(self, shift: float = 0.0) -> None:
        self.shift = shift

    def fit(self, X: Any, y: Any) -> PlainModel:
        return self

    def predict(self, X: Any) -> np.ndarray:
        if hasattr(X, "columns"):
            values = X[["x0", "x1"]].to_numpy(dtype=float)
        else:
            values = np.asarray(X, dtype=float)[:, :2]
        return (values[:, 0] + 0.5 * values[:, 1] > self.shift).astype(np.float64)


def sklearn_model() -> Any:
    """A fitted ``LogisticRegression`` (``predict_proba``, ``feature_names_in_``) set to the rule."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(TRAIN[list(FEATURES)], TRAIN[TARGET])
    model.coef_ = np.array([[8.0, 4.0, 0.0, 0.0]])
    model.intercept_ = np.array([0.0])
    return model


def torch_model(train_mode: bool = False) -> Any:
    """``Linear(4, 2)`` set to the rule, in bfloat16; with a dropout when left in train mode.

    The dropout scrambles the predictions of a check that forgets ``eval()``.
    """
    import torch

    linear = torch.nn.Linear(len(FEATURES), 2)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[-1.0, -0.5, 0.0, 0.0], [1.0, 0.5, 0.0, 0.0]]))
        linear.bias.zero_()
    model = torch.nn.Sequential(linear, torch.nn.Dropout(0.5)).to(torch.bfloat16)
    return model.train(train_mode)


MODEL_FORMS: dict[str, Callable[[], Any]] = {
    "torch bf16": torch_model,
    "torch bf16 left in train mode": lambda: torch_model(train_mode=True),
    "sklearn predict_proba": sklearn_model,
    "plain fit/predict object": PlainModel,
}


# -- table and log forms -------------------------------------------------------------


def _write(suffix: str, writer: Callable[[pd.DataFrame, Path], None], as_str: bool) -> Any:
    def render(frame: pd.DataFrame, tmp_path: Path) -> Any:
        path = tmp_path / f"table{suffix}"
        writer(frame, path)
        return str(path) if as_str else path

    return render


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts with every float written exactly (pandas' writer rounds)."""
    return [{k: v.item() if hasattr(v, "item") else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]  # fmt: skip


def _json(frame: pd.DataFrame, path: Path) -> None:
    path.write_text(json.dumps(_json_rows(frame)), encoding="utf-8")


def _jsonl(frame: pd.DataFrame, path: Path) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in _json_rows(frame)), encoding="utf-8")


# The formats of the one table reader (mltestscore.inputs.tables.read_table), for every table.
TABLE_FORMS: dict[str, Callable[[pd.DataFrame, Path], Any]] = {
    "DataFrame": lambda frame, tmp_path: frame.copy(),
    "CSV path (str)": _write(".csv", lambda f, p: f.to_csv(p, index=False), as_str=True),
    "TSV path": _write(".tsv", lambda f, p: f.to_csv(p, sep="\t", index=False), as_str=False),
    "Parquet path": _write(".parquet", lambda f, p: f.to_parquet(p, index=False), as_str=False),
    "JSON records path": _write(".json", _json, as_str=True),
    "JSONL path": _write(".jsonl", _jsonl, as_str=False),
}
# Documented for the logs and tables that are "rows": model.2, model.3, model.4, monitor.3.
RECORDS_FORM = {"list of dicts": lambda frame, tmp_path: _json_rows(frame)}
RECORDS_INPUTS = ("metric_log", "sweep_results", "staleness_table", "serving_log")

# ``(X, y)`` and a torch Dataset: documented for train/eval data. The pair with a feature
# frame keeps the column names (compared with the tables); arrays and a Dataset do not.
XY_FRAME_FORM = {
    "(X frame, y)": lambda frame, tmp_path: (frame.drop(columns=[TARGET]), frame[TARGET].to_numpy())
}
UNNAMED_FORMS: dict[str, Callable[[pd.DataFrame, Path], Any]] = {
    "(X, y) arrays": lambda frame, tmp_path: (
        frame.drop(columns=[TARGET]).to_numpy(dtype=np.float32),
        frame[TARGET].to_numpy(),
    ),
    "torch TensorDataset": lambda frame, tmp_path: _dataset(frame),
}


def _dataset(frame: pd.DataFrame) -> Any:
    import torch

    X = torch.tensor(frame.drop(columns=[TARGET]).to_numpy(dtype=np.float32))
    return torch.utils.data.TensorDataset(X, torch.tensor(frame[TARGET].to_numpy()))


# Which inputs are tables, and whether ``(X, y)`` and Dataset forms are documented for them.
TABLE_INPUTS: dict[str, bool] = {
    "train_data": True,
    "eval_data": True,
    "recent_data": True,
    "serving_data": False,
    "serving_log": False,
    "metric_log": False,
    "sweep_results": False,
    "staleness_table": False,
    "raw_data": False,
}


# -- slices ----------------------------------------------------------------------------


def with_country(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus a string column ``country`` (a, b, c), for slicing by value."""
    countries = np.array(["a", "b", "c"])[np.arange(len(frame)) % 3]
    return frame.assign(country=countries)


def with_contacts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus a free-text ``note`` column where every tenth row holds an email."""
    notes = [f"call back user{i}@example.com" if i % 10 == 0 else "ok" for i in range(len(frame))]
    return frame.assign(note=notes)


SLICED = with_country(EVAL)
YOUNG = (SLICED["age"] < 25).to_numpy()
IS_A = (SLICED["country"] == "a").to_numpy()

# form -> (ml_slices value, the rows each named slice must hold)
SLICE_FORMS: dict[str, tuple[Any, dict[str, np.ndarray]]] = {
    "column + bin": ({"young": ("age", (0, 25))}, {"young": YOUNG}),
    "dict bin": ({"young": {"column": "age", "bin": [None, 25]}}, {"young": YOUNG}),
    "predicate": ({"young": lambda df: df["age"] < 25}, {"young": YOUNG}),
    "boolean mask": ({"young": YOUNG.copy()}, {"young": YOUNG}),
    "column names (one slice per value)": (
        ["country"],
        {f"country={c}": (SLICED["country"] == c).to_numpy() for c in "abc"},
    ),
    "dict value": ({"a": {"column": "country", "value": "a"}}, {"a": IS_A}),
    "column value": ({"a": ("country", "a")}, {"a": IS_A}),
    "TOML column value": ({"a": ["country", "a"]}, {"a": IS_A}),
    "dict values": (
        {"a or b": {"column": "country", "values": ["a", "b"]}},
        {"a or b": (SLICED["country"] != "c").to_numpy()},
    ),
}


# -- the other inputs checks need ------------------------------------------------------


@dataclass(frozen=True)
class Info:
    version: int
    created_at: str


class MemoryStore:
    """Three versions of the rule model, older ones worse (model.4's ``list``/``load``)."""

    AGES = (60, 30, 0)

    def __init__(self) -> None:
        self.models = {
            i + 1: (PlainModel(shift=age / 40), NOW - dt.timedelta(days=age))
            for i, age in enumerate(self.AGES)
        }

    def names(self) -> list[str]:
        return ["rule"]

    def list(self, name: str = "rule") -> list[Info]:
        return [Info(v, created.isoformat()) for v, (_, created) in self.models.items()]

    def load(self, name: str, version: int) -> Any:
        return self.models[version][0]

    def serving_version(self, name: str = "rule") -> int:
        return max(self.models)


def schema() -> Any:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "x0": pa.Column(float, pa.Check.in_range(-6, 6)),
            "x1": pa.Column(float, pa.Check.in_range(-6, 6)),
            "x2": pa.Column(float, pa.Check.in_range(-6, 6)),
            "age": pa.Column(int, pa.Check.in_range(0, 130)),
            TARGET: pa.Column(float, pa.Check.isin([0.0, 1.0]), required=False),
        }
    )


def raw_requests() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame({"income": rng.lognormal(10, 0.5, 120), "age": rng.integers(18, 90, 120)})


def training_features(raw: pd.DataFrame) -> pd.DataFrame:
    """monitor.3's training-side feature code."""
    return pd.DataFrame(
        {"log_income": np.log1p(raw["income"]), "age_bucket": (raw["age"] // 10).astype(int)},
        index=raw.index,
    )


def serving_log() -> pd.DataFrame:
    raw = raw_requests()
    return pd.concat([raw, training_features(raw).add_prefix("served_")], axis=1)


def metric_log() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    offline = np.sort(rng.uniform(0.80, 0.95, 8))
    online = 0.02 + 0.1 * (offline - 0.8) + 0.0005 * rng.normal(size=8)
    return pd.DataFrame({"version": range(1, 9), "offline": offline, "online": online})


def sweep_results() -> pd.DataFrame:
    rows = [
        {"C": c, "penalty": p, "metric": 0.8 + 0.05 * np.log10(c) / 2 + (0.01 if p == "l2" else 0)}
        for c in (0.01, 0.1, 1.0)
        for p in ("l1", "l2")
    ]
    return pd.DataFrame(rows)


def staleness_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"version": [1, 2, 3, 4], "age_days": [90, 60, 30, 0], "metric": [0.7, 0.8, 0.85, 0.9]}
    )


def train_fn(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(random_state=seed).fit(TRAIN[list(FEATURES)], TRAIN[TARGET])


def feature_fns() -> dict[str, Callable[[Any], Any]]:
    return {name: (lambda raw, name=name: raw[name].to_numpy()) for name in FEATURES}


def perf_predict() -> Callable[[Any], Any]:
    model = PlainModel()
    return model.predict


def _batch() -> Any:
    import torch

    X = torch.tensor(TRAIN[list(FEATURES)].to_numpy(dtype=np.float32)[:32])
    return X, torch.tensor(TRAIN[TARGET].to_numpy()[:32]).long()


def batch_for(model: Any) -> Any:
    """The training batch in ``model``'s floating dtype (a torch module's parameters)."""
    X, y = _batch()
    parameters = getattr(model, "parameters", None)
    if callable(parameters):
        X = X.to(next(iter(parameters())).dtype)
    return X, y


def _loss_fn() -> Any:
    import torch

    return torch.nn.functional.cross_entropy


# One canonical value per input name: a check gets every input it takes that is known here.
DEFAULTS: dict[str, Callable[[], Any]] = {
    "model": PlainModel,
    "serving_model": PlainModel,
    "previous_model": PlainModel,
    "baseline_model": PlainModel,
    "train_data": TRAIN.copy,
    "eval_data": EVAL.copy,
    "recent_data": EVAL.copy,
    "target": lambda: TARGET,
    "metric": lambda: accuracy,
    "slices": lambda: {"young": ("age", (0, 25))},
    "schema": schema,
    "serving_data": lambda: EVAL.drop(columns=[TARGET]),
    "serving_log": serving_log,
    "feature_fn": lambda: training_features,
    "metric_log": metric_log,
    "sweep_results": sweep_results,
    "hyperparameters": lambda: ["C", "penalty"],
    "chosen_config": lambda: {"C": 1.0, "penalty": "l2"},
    "staleness_table": staleness_table,
    "model_store": MemoryStore,
    "model_name": lambda: "rule",
    "feature_fns": feature_fns,
    "raw_data": TRAIN.copy,
    "feature_rules": lambda: {"deny_features": ["ssn*"]},
    "groups": lambda: {"age band": np.where(EVAL["age"] < 40, "under 40", "40+")},
    "train_fn": lambda: train_fn,
    "canary_inputs": lambda: EVAL[list(FEATURES)].head(8).to_numpy(dtype=np.float32),
    "predict": perf_predict,
    "perf_inputs": lambda: EVAL[list(FEATURES)],
    "reference_metric": lambda: EVAL_ACCURACY,
    "batch": _batch,
    "loss_fn": _loss_fn,
}

# Per check: the canonical value of an input when it differs from DEFAULTS (monitor.3's
# train_data is the training *features*), and inputs left out because they would take
# another path than the one under test (model.4 judges a staleness table *or* a store).
CANONICAL: dict[str, dict[str, Callable[[], Any]]] = {
    "monitor.3": {"train_data": lambda: training_features(raw_requests())},
    "data.5": {"train_data": lambda: with_contacts(TRAIN)},  # something for the scan to find
}
LEAVE_OUT: dict[str, tuple[str, ...]] = {
    "monitor.5": ("batch", "loss_fn"),  # the training step is torch-only; outputs are the point
    "infra.4": ("model_store",),  # the serving model is given directly
}
# Inputs left out when the case feeds a given one: monitor.7 calls ``predict`` before ``model``.
LEAVE_OUT_FOR: dict[tuple[str, str], tuple[str, ...]] = {
    ("monitor.7", "model"): ("predict",),
}
# model.4 reads a staleness table *or* a store + eval data: feeding one leaves out the other.
ALTERNATIVE: dict[str, tuple[str, tuple[str, ...]]] = {
    "model.4": ("staleness_table", ("model_store", "eval_data", "metric", "target", "model_name")),
}

# Thresholds that keep each check fast and its verdict about the inputs.
THRESHOLDS: dict[str, dict[str, Any]] = {
    "data.2": {"n_repeats": 2},
    "data.3": {  # timings vary on a shared machine: judge what the inputs decide, not speed
        "repeats": 1,
        "max_ms_per_1k_rows": 1e6,
        "max_peak_mb_per_1k_rows": 1e6,
        "min_ms_per_1k_rows": 1e6,
    },
    "infra.4": {"min_slice_rows": 5},
    "model.3": {"min_values": 2, "tolerance": 0.5},
    "model.4": {"as_of": NOW.isoformat()},
    "model.6": {"min_size": 5},
    "model.7": {"min_group_size": 5, "max_gap": 0.5},
    "monitor.6": {"warmup": 1, "repeats": 6, "max_seconds": 5.0, "tolerance": 100.0},
    "monitor.7": {"bootstrap": 50},
}


def base_inputs(test_id: str, takes: tuple[str, ...], case_input: str) -> dict[str, Any]:
    """The canonical value of every input ``test_id`` takes that this module knows."""
    left_out = set(LEAVE_OUT.get(test_id, ())) | set(LEAVE_OUT_FOR.get((test_id, case_input), ()))
    if test_id in ALTERNATIVE:
        table, path = ALTERNATIVE[test_id]
        left_out |= set(path) if case_input == table else {table}
    own = CANONICAL.get(test_id, {})
    return {
        name: (own.get(name) or DEFAULTS[name])()
        for name in takes
        if (name in own or name in DEFAULTS) and name not in left_out
    }
