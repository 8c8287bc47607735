"""@model_contract annotates, get_contract reads, discover finds, guard enforces."""

from __future__ import annotations

import functools
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
import torch
from torch import nn

import mltestscore
from mltestscore.contracts import (
    Contract,
    ContractError,
    ContractViolation,
    InputSpec,
    check_output,
    discover,
    get_contract,
    guard,
    model_contract,
)


@model_contract(input={"shape": (None, 4), "dtype": "float32"}, output_range=(0.0, 1.0),
                latency_ms=50)  # fmt: skip
class Scorer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.linear(x))


def test_decorator_annotates_and_returns_the_class_unchanged() -> None:
    assert Scorer.__name__ == "Scorer" and issubclass(Scorer, nn.Module)
    contract = get_contract(Scorer)
    assert contract is not None
    assert contract.output_range == (0.0, 1.0) and contract.latency_ms == 50
    assert contract.input == InputSpec(shape=(None, 4), dtype="float32")
    model = Scorer()
    assert get_contract(model) is contract  # instances
    assert get_contract(model.forward) is contract  # bound methods fall back to their object
    assert get_contract(functools.partial(model)) is contract
    assert mltestscore.model_contract is model_contract  # the package's lazy export
    assert get_contract(nn.Linear(2, 2)) is None
    assert contract.to_dict()["input"] == {"shape": [None, 4], "dtype": "float32", "finite": False}


def test_decorating_twice_is_a_clear_error_but_subclasses_may_declare() -> None:
    with pytest.raises(ContractError, match="already has a model contract"):
        model_contract(finite=True)(Scorer)

    class Derived(Scorer):
        pass

    assert get_contract(Derived) is get_contract(Scorer)  # inherited
    model_contract(output_range=(-1, 1))(Derived)
    assert get_contract(Derived).output_range == (-1.0, 1.0)  # type: ignore[union-attr]


def test_predict_functions_and_bad_declarations() -> None:
    @model_contract(finite=True, output_range=(0, None))
    def predict(x: Any) -> Any:
        return x

    assert predict(3) == 3
    assert get_contract(predict) == Contract(output_range=(0.0, None))
    with pytest.raises(ContractError, match="lo <= hi"):
        model_contract(output_range=(1, 0))
    with pytest.raises(ContractError, match="latency_ms"):
        model_contract(latency_ms=-5)
    with pytest.raises(ContractError, match="decorate the class"):
        model_contract()(Scorer())
    assert Contract(input=[None, 4]).input == InputSpec(shape=(None, 4))
    with pytest.raises(ContractError, match="numbers or None"):
        model_contract(output_range=(float("nan"), None))
    with pytest.raises(ContractError, match="unknown"):
        model_contract(input={"shape": (1,), "colour": "red"})


def test_discover_finds_decorated_objects_defined_in_named_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team_models.py").write_text(
        "import mltestscore\n"
        "from tests_helper_contracts import Imported\n"
        "@mltestscore.model_contract(latency_ms=5)\n"
        "class Net:\n"
        "    pass\n"
        "class Service:\n"
        "    @mltestscore.model_contract(finite=True)\n"
        "    def predict(self, x):\n"
        "        return x\n"
        "@mltestscore.model_contract(output_range=(0, 1))\n"
        "def predict(x):\n"
        "    return x\n"
    )
    (tmp_path / "tests_helper_contracts.py").write_text(
        "import mltestscore\n@mltestscore.model_contract()\nclass Imported:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover(["team_models"])
    assert [name for name, _, _ in found] == [
        "team_models.Net", "team_models.Service.predict", "team_models.predict",
    ]  # fmt: skip
    assert found[0][2].latency_ms == 5
    service = sys.modules["team_models"].Service()
    assert get_contract(service.predict) is found[1][2]
    with pytest.raises(ImportError, match="contract_modules: cannot import 'no_such_module'"):
        discover(["no_such_module"])


def test_guard_passes_clean_inputs_and_counts_bad_ones() -> None:
    model = Scorer()
    wrapped = guard(model, on_violation="count")
    assert mltestscore.guard is guard
    x = torch.randn(8, 4)
    assert torch.equal(wrapped(x), model(x))
    assert wrapped.stats.calls == 1 and wrapped.stats.total_violations == 0
    with pytest.raises(RuntimeError):  # "count" lets the call through: the model fails on it
        wrapped(torch.randn(8, 5))
    assert wrapped.stats.violations == {"input_shape": 1}  # counted before the model ran
    with pytest.raises(RuntimeError):
        wrapped(torch.randn(8, 4, dtype=torch.float64))
    assert wrapped.stats.violations["input_dtype"] == 1
    assert wrapped.stats.violating_calls == 2 and wrapped.stats.calls == 3
    assert wrapped.stats.to_dict()["violation_rate"] == pytest.approx(2 / 3)
    wrapped.stats.reset()
    assert wrapped.stats.to_dict()["calls"] == 0


def test_guard_checks_outputs_finite_and_in_range() -> None:
    contract = Contract(output_range=(0.0, 1.0))
    wrapped = guard(lambda x: x * 2.0, contract, on_violation="count")
    wrapped(np.array([0.1, 0.2]))
    wrapped(np.array([0.1, 0.9]))  # 1.8 > 1
    wrapped(np.array([np.nan, 0.1]))
    assert wrapped.stats.violations == {"output_range": 1, "output_nonfinite": 1}
    spec = InputSpec(shape=(2,), dtype="floating")
    assert spec.problems(np.zeros(2, np.float32)) == []
    assert spec.problems(np.zeros(2, np.int64)) == [("input_dtype", "dtype int64 is not floating")]
    assert InputSpec(dtype="float32").problems([1.0]) == [
        ("input_dtype", "dtype list is not float32")
    ]
    problems = check_output(Contract(finite=True), torch.tensor([1.0, float("inf")]))
    assert problems == [("output_nonfinite", "1 of 2 output values are NaN/Inf")]
    assert check_output(Contract(), ["cat", "dog"]) == []  # labels: nothing numeric to check


def test_guard_raise_mode_stops_bad_inputs_before_the_model_runs() -> None:
    calls: list[Any] = []

    def predict(x: Any) -> Any:
        calls.append(x)
        return np.ones(len(x))

    wrapped = guard(predict, Contract(input=InputSpec(shape=(None, 3), finite=True)),
                    on_violation="raise")  # fmt: skip
    wrapped(np.zeros((2, 3)))
    with pytest.raises(ContractViolation, match="input_nonfinite") as info:
        wrapped(np.array([[1.0, np.nan, 2.0]]))
    assert info.value.kind == "input_nonfinite"
    assert len(calls) == 1  # the model never saw the bad input
    assert wrapped.stats.violations == {"input_nonfinite": 1}


def test_guard_logs_without_values(caplog: pytest.LogCaptureFixture) -> None:
    wrapped = guard(lambda x: x, Contract(input=InputSpec(shape=(None, 2))))
    secret = 987654.321
    with caplog.at_level(logging.WARNING, logger="mltestscore.guard"):
        for _ in range(12):
            wrapped(np.array([secret, secret, secret]))
    assert wrapped.stats.violations == {"input_shape": 12}
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2  # the 1st and the 10th: rate-limited
    assert "input_shape" in messages[0] and "987654" not in " ".join(messages)


def test_guard_with_a_pandera_schema_and_latency_budget() -> None:
    schema = pa.DataFrameSchema({"age": pa.Column(int, pa.Check.in_range(0, 120))})
    wrapped = guard(lambda df: df["age"].to_numpy() / 100.0, on_violation="count", schema=schema)
    wrapped(pd.DataFrame({"age": [30, 40]}))
    wrapped(pd.DataFrame({"age": [30, 400]}))
    assert wrapped.stats.violations == {"input_schema": 1}
    assert "age" in wrapped.stats.last_violation

    def slow(x: Any) -> Any:
        time.sleep(0.02)
        return x

    timed = guard(slow, Contract(latency_ms=1.0), on_violation="raise")
    timed(np.ones(2))  # a slow call is counted, never raised
    assert timed.stats.violations == {"latency": 1}


def test_guard_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="on_violation"):
        guard(lambda x: x, on_violation="shout")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        guard(42)  # type: ignore[arg-type]
    assert get_contract(guard(lambda x: x, Contract(latency_ms=3))).latency_ms == 3  # type: ignore[union-attr]
