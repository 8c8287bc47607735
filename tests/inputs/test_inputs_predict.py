"""mltestscore.inputs.predict: one way to call a torch module, an estimator or a callable."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mltestscore.inputs.predict import (
    make_predict,
    predict,
    predict_labels,
    predict_scores,
    to_model_input,
)

torch = pytest.importorskip("torch")


class Recorder(torch.nn.Module):
    """A linear layer that records the mode, grad state, dtype and rows it was called with."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 3)
        self.calls: list[tuple[bool, bool, Any, int]] = []

    def forward(self, x: Any) -> Any:
        self.calls.append((self.training, torch.is_grad_enabled(), x.dtype, x.shape[0]))
        return self.linear(x)


def test_a_module_left_in_train_mode_is_called_in_eval_and_restored() -> None:
    model = Recorder().train()
    out = predict(model, np.ones((4, 2), dtype=np.float64))
    assert out.shape == (4, 3) and out.dtype == np.float32
    assert model.calls == [(False, False, torch.float32, 4)]
    assert model.training  # restored


def test_train_mode_is_restored_when_the_forward_raises() -> None:
    model = Recorder().train()
    with pytest.raises(RuntimeError):
        predict(model, np.ones((4, 5), dtype=np.float32))  # wrong width
    assert model.training


def test_large_inputs_are_chunked() -> None:
    model = Recorder()
    out = predict(model, np.ones((2500, 2), dtype=np.float32))
    assert out.shape == (2500, 3)
    assert [rows for *_, rows in model.calls] == [1024, 1024, 452]


def test_a_bfloat16_model_gets_bf16_inputs_and_gives_float32_outputs() -> None:
    model = Recorder().to(torch.bfloat16)
    out = predict(model, pd.DataFrame({"a": [1, 2], "b": [3, 4]}))  # int columns
    assert model.calls[0][2] == torch.bfloat16
    assert out.dtype == np.float32 and out.shape == (2, 3)


def test_integer_inputs_stay_indices_for_an_embedding_model() -> None:
    embedding = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten())
    converted = to_model_input(embedding, np.array([[1, 2], [3, 4]]))
    assert converted.dtype == torch.int64
    assert predict(embedding, np.array([[1, 2], [3, 4]])).shape == (2, 8)


def test_moving_inputs_to_a_cpu_model_is_a_no_op() -> None:
    model = Recorder()
    tensor = torch.ones(3, 2)
    moved = to_model_input(model, tensor)
    assert moved.device == torch.device("cpu") and moved.data_ptr() == tensor.data_ptr()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_inputs_follow_a_cuda_model() -> None:  # pragma: no cover - GPU only
    model = Recorder().cuda().to(torch.bfloat16)
    out = predict(model, np.ones((3, 2)))
    assert out.dtype == np.float32 and model.calls[0][2] == torch.bfloat16


def test_non_numeric_inputs_for_a_torch_model_are_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"needs numeric inputs.*encode categorical"):
        predict(Recorder(), pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}))


def test_an_estimator_with_predict_proba() -> None:
    from sklearn.linear_model import LogisticRegression

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    assert predict(model, X).tolist() == [0, 0, 1, 1]
    method, scores = predict_scores(model, X)
    assert method == "predict_proba" and scores.shape == (4, 2)
    assert predict_labels(model, X).tolist() == [0, 0, 1, 1]


def test_a_plain_callable_and_its_first_output() -> None:
    assert predict(lambda X: (np.asarray(X) * 2, "aux"), [1, 2]).tolist() == [2, 4]
    assert predict_scores(lambda X: np.asarray(X), [1.0])[0] == "__call__"


def test_predict_fn_is_called_with_the_model() -> None:
    seen: list[object] = []

    def predict_fn(model: object, inputs: Any) -> Any:
        seen.append(model)
        return torch.ones(len(inputs), dtype=torch.bfloat16)

    out = predict("the model", [1, 2, 3], predict_fn)
    assert seen == ["the model"] and out.dtype == np.float32
    with pytest.raises(TypeError, match="predict_fn: expected a callable"):
        predict(len, [1], predict_fn="nope")  # type: ignore[arg-type]


def test_logits_become_labels_and_a_torch_module_scores_are_its_logits() -> None:
    model = Recorder()
    assert predict_labels(model, np.ones((5, 2))).shape == (5,)
    assert predict_scores(model, np.ones((5, 2)))[0] == "forward"


def test_make_predict_rejects_what_cannot_predict() -> None:
    with pytest.raises(TypeError, match="model: expected a fitted estimator"):
        make_predict(42)  # type: ignore[arg-type]
    assert make_predict(np.negative)(np.ones(2)).tolist() == [-1.0, -1.0]
