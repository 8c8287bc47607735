"""mltestscore.inputs.arrays: one conversion to numpy for tensors, frames and lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mltestscore.inputs.arrays import (
    compare_outputs,
    content_id,
    describe,
    first_output,
    is_sklearn_estimator,
    is_tensor,
    is_torch_module,
    to_numpy,
)

torch = pytest.importorskip("torch")


def test_bfloat16_tensor_becomes_float32() -> None:
    tensor = torch.tensor([[0.5, 1.5]], dtype=torch.bfloat16, requires_grad=True)
    array = to_numpy(tensor * 2)  # a tensor that needs grad: detached first
    assert array.dtype == np.float32
    np.testing.assert_array_equal(array, [[1.0, 3.0]])


def test_float16_tensor_becomes_float32_and_int_stays_int() -> None:
    assert to_numpy(torch.ones(3, dtype=torch.float16)).dtype == np.float32
    assert to_numpy(torch.arange(3)).dtype == np.int64


def test_list_of_bf16_tensors_is_stacked() -> None:
    array = to_numpy([torch.ones(2, dtype=torch.bfloat16), torch.zeros(2, dtype=torch.bfloat16)])
    assert array.shape == (2, 2) and array.dtype == np.float32


def test_dataframe_series_and_lists() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    np.testing.assert_array_equal(to_numpy(frame), [[1.0, 0.5], [2.0, 1.5]])
    np.testing.assert_array_equal(to_numpy(frame["a"]), [1, 2])
    np.testing.assert_array_equal(to_numpy((1, 2, 3)), [1, 2, 3])


def test_a_ragged_value_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="eval labels: expected an array-like"):
        to_numpy([[1, 2], [3]], "eval labels")


def test_duck_typing_recognizes_tensors_modules_and_estimators() -> None:
    from sklearn.linear_model import LogisticRegression

    assert is_tensor(torch.zeros(1)) and not is_tensor(np.zeros(1))
    assert is_torch_module(torch.nn.Linear(2, 2)) and not is_torch_module(LogisticRegression())
    assert is_sklearn_estimator(LogisticRegression()) and not is_sklearn_estimator(len)


def test_first_output_of_tuple_and_dict_outputs() -> None:
    logits = torch.ones(2, 3)
    assert first_output((logits, torch.zeros(1))) is logits
    assert first_output({"logits": logits, "aux": 1}) is logits
    assert first_output(["a", "b"]) == ["a", "b"]  # a list of predictions, kept


def test_compare_outputs_tolerance_and_shapes() -> None:
    assert compare_outputs(np.ones(3), np.ones(3) + 1e-7, atol=1e-6).equal
    diff = compare_outputs(np.ones(3), np.ones(3) + 1e-3, atol=1e-6)
    assert not diff.equal and diff.mismatched == 3
    assert "shapes differ" in compare_outputs(np.ones(3), np.ones(4)).note


def test_content_id_is_stable_and_value_sensitive() -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert content_id(x) == content_id(torch.from_numpy(x.copy()))
    assert content_id(x) != content_id(x + 1)


def test_describe_never_shows_values() -> None:
    text = describe(pd.DataFrame({"ssn": ["123-45-6789"]}))
    assert "DataFrame" in text and "123-45" not in text
