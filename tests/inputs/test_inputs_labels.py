"""mltestscore.inputs.labels: the same class/metric decision for every check."""

from __future__ import annotations

import numpy as np
import pytest

from mltestscore.inputs.labels import (
    as_labels,
    default_metric,
    is_classification,
    labels_and_note,
    safe_metric,
)
from mltestscore.metrics import Metric


def test_float_class_labels_are_classification_with_accuracy() -> None:
    y = np.array([0.0, 1.0, 1.0, 0.0])
    assert is_classification(y)
    metric = default_metric(y, model=lambda X: X)  # a plain callable: no estimator tag
    assert metric.name == "accuracy"
    assert metric(y, np.array([0.0, 1.0, 0.0, 0.0])) == 0.75


def test_continuous_targets_get_r2_and_many_integers_are_a_quantity() -> None:
    assert default_metric(np.linspace(0, 1, 20)).name == "r2"
    assert not is_classification(np.arange(200))
    assert is_classification(np.array(["cat", "dog"]))


def test_the_estimator_tag_wins_over_the_targets() -> None:
    from sklearn.linear_model import LinearRegression, LogisticRegression

    y = np.array([0.0, 1.0, 1.0])
    assert default_metric(y, model=LinearRegression()).name == "r2"
    assert default_metric(np.array([0.1, 0.7]), model=LogisticRegression()).name == "accuracy"


def test_a_given_metric_is_used() -> None:
    def mae(t: object, p: object) -> float:
        return 0.0

    assert default_metric(np.zeros(3), mae).name == "mae"
    given = Metric("loss", mae, higher_is_better=False)
    assert default_metric(np.zeros(3), given) is given


def test_logits_are_argmaxed() -> None:
    logits = np.array([[2.0, -1.0, 0.0], [0.0, 0.5, 3.0]])
    assert as_labels(logits).tolist() == [0, 2]
    assert as_labels(logits, np.array([0.0, 2.0])).tolist() == [0, 2]  # float class labels
    _, note = labels_and_note(logits, np.array([0, 2]))
    assert note.startswith("argmax")


def test_multi_output_regression_is_not_argmaxed() -> None:
    outputs = np.array([[0.3, 1.7], [2.2, 0.1]])
    assert as_labels(outputs, np.array([0.25, 7.5])).shape == (2, 2)
    assert as_labels(outputs, np.array([[0.3, 1.7], [2.2, 0.1]])).shape == (2, 2)


def test_a_single_sigmoid_column_is_thresholded_for_binary_targets() -> None:
    probs = np.array([[0.9], [0.2], [0.51]], dtype=np.float32)
    labels, note = labels_and_note(probs, np.array([1, 0, 1]))
    assert labels.tolist() == [1, 0, 1] and "0.5" in note
    logits = np.array([[2.0], [-1.0]])
    assert as_labels(logits, np.array([1.0, 0.0])).tolist() == [1.0, 0.0]
    assert as_labels(probs).tolist() == pytest.approx([0.9, 0.2, 0.51])  # no targets: squeezed
    assert as_labels(np.array([[3.2], [1.1]]), np.array([3.0, 1.5])).tolist() == [3.2, 1.1]


def test_safe_metric_reports_why_a_value_is_missing() -> None:
    def broken(t: object, p: object) -> float:
        raise ValueError("only one class present")

    assert safe_metric(broken, [1], [1]) == (None, "metric undefined: only one class present")
    assert safe_metric(lambda t, p: float("nan"), [1], [1])[0] is None
