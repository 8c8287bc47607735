"""model.2 (offline/online correlation) and model.3 (hyperparameter sweeps).

The sweep is real: logistic regression on the breast-cancer data, cross-validated
over C and the penalty's class weighting, so "best" and "chosen" are measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mltestscore.results import Status
from mltestscore.runner import run_builtin

# -- model.2 ---------------------------------------------------------------------------


def metric_log(online_noise: float, n: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    offline = np.sort(rng.uniform(0.80, 0.95, n))
    online = 0.02 + 0.1 * (offline - 0.8) + online_noise * rng.normal(size=n)
    return pd.DataFrame({"version": range(1, n + 1), "offline": offline, "online": online})


def test_correlated_online_metric_passes() -> None:
    result = run_builtin("model.2", {"metric_log": metric_log(online_noise=0.0005)})
    assert result.status is Status.PASS, result.message
    assert result.evidence["n_versions"] == 8
    assert result.evidence["spearman"] >= 0.7


def test_uncorrelated_online_metric_fails() -> None:
    log = metric_log(online_noise=0.0)
    log["online"] = np.random.default_rng(1).permutation(log["online"].to_numpy())[::-1]
    result = run_builtin("model.2", {"metric_log": log})
    assert result.status is Status.FAIL
    assert "correlate weakly" in result.message
    assert result.evidence["spearman"] < 0.7


def test_too_few_versions_fail_with_the_count() -> None:
    result = run_builtin("model.2", {"metric_log": metric_log(0.0, n=3)})
    assert result.status is Status.FAIL
    assert "rests on 3 model version(s); need ≥ 5" in result.message


def test_lower_is_better_online_metric_is_signed(tmp_path: Path) -> None:
    log = metric_log(online_noise=0.0)
    log["online"] = 1.0 - log["online"]  # e.g. bounce rate: lower is better
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    assert run_builtin("model.2", {"metric_log": str(path)}).status is Status.FAIL
    result = run_builtin("model.2", {"metric_log": str(path)},
                         thresholds={"online_higher_is_better": False})  # fmt: skip
    assert result.status is Status.PASS, result.message


def test_repeated_rows_per_version_are_averaged_and_gaps_dropped() -> None:
    rows = metric_log(0.0).to_dict("records")
    rows += [{"version": 1, "offline": rows[0]["offline"], "online": None}]
    result = run_builtin("model.2", {"metric_log": rows})
    assert result.status is Status.PASS
    assert result.evidence["rows_dropped_missing"] == 1


def test_metric_log_without_online_column_is_a_clear_error() -> None:
    result = run_builtin("model.2", {"metric_log": [{"version": 1, "offline": 0.9}]})
    assert result.status is Status.ERROR
    assert "metric_log has no column(s) 'online'" in result.message


# -- model.3 ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    x, y = load_breast_cancer(return_X_y=True)
    rows = []
    for c in (0.001, 0.1, 10.0):
        for weight in (None, "balanced"):
            model = make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight=weight))
            score = cross_val_score(model, x, y, cv=3).mean()
            rows.append({"C": c, "class_weight": str(weight), "metric": score, "max_iter": 100})
    return pd.DataFrame(rows)


def test_swept_hyperparameters_and_best_choice_pass(sweep: pd.DataFrame) -> None:
    best = sweep.iloc[int(np.argmax(sweep["metric"].to_numpy()))]
    chosen = {"C": float(best["C"]), "class_weight": best["class_weight"]}
    result = run_builtin("model.3", {"sweep_results": sweep, "hyperparameters": chosen},
                         thresholds={"min_values": 2})  # fmt: skip
    assert result.status is Status.PASS, result.message
    assert result.evidence["chosen"]["gap_to_best"] == pytest.approx(0.0)


def test_unswept_hyperparameter_fails(sweep: pd.DataFrame) -> None:
    result = run_builtin(
        "model.3", {"sweep_results": sweep, "hyperparameters": ["C", "max_iter", "tol"]}
    )
    assert result.status is Status.FAIL
    assert "not swept over ≥ 3 values: max_iter, tol" in result.message


def test_chosen_config_far_from_best_fails(sweep: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(sweep.to_dict("records")))
    result = run_builtin(
        "model.3",
        {"sweep_results": str(path), "hyperparameters": ["C"],
         "chosen_config": {"C": 0.001, "class_weight": "None"}},
    )  # fmt: skip
    assert result.status is Status.FAIL
    assert "worse than the best swept config" in result.message
    assert result.evidence["chosen"]["gap_to_best"] > 0.01


def test_chosen_config_that_was_never_run_fails(sweep: pd.DataFrame) -> None:
    result = run_builtin("model.3", {"sweep_results": sweep, "hyperparameters": {"C": 3.0}})
    assert result.status is Status.FAIL
    assert "never appears in the sweep" in result.message


def test_without_a_chosen_config_it_warns(sweep: pd.DataFrame) -> None:
    result = run_builtin("model.3", {"sweep_results": sweep, "hyperparameters": ["C"]})
    assert result.status is Status.WARN
    assert result.evidence["best"]["config"]["C"] in (0.1, 10.0)


def test_missing_sweep_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_builtin(
        "model.3", {"sweep_results": str(tmp_path / "nope.csv"), "hyperparameters": ["C"]}
    )
    assert result.status is Status.ERROR
    assert "nope.csv does not exist" in result.message
