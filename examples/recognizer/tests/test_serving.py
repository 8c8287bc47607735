"""Tests of the serving side: input validation, and agreement with the training feature code."""

from __future__ import annotations

import numpy as np
import pytest
from digits_app import features, history, traffic
from digits_app.serving import BadRequest, LineService, prepare

from mltestscore.reference_model.data import LineDataset
from mltestscore.reference_model.predictor import Recognizer
from mltestscore.reference_model.store import ModelStore


@pytest.mark.ml_score("monitor.3")
def test_serving_prepares_scans_exactly_like_training(test_lines: LineDataset) -> None:
    scans = traffic.scans(test_lines.head(64))
    served = np.stack([prepare(scan) for scan in scans])
    np.testing.assert_array_equal(served, features.model_inputs(scans))


@pytest.mark.ml_score("monitor.2")
@pytest.mark.parametrize(
    "scan",
    [
        np.zeros((32, 40), np.uint8),  # wrong height
        np.zeros((28, 400), np.uint8),  # too wide
        np.zeros((28, 40, 3), np.uint8),  # colour
        np.full((28, 40), 1.5, np.float32),  # out of range
        np.full((28, 40), np.nan, np.float32),
        np.zeros((28, 40), np.int64),
    ],
)
def test_serving_refuses_bad_requests(scan: np.ndarray) -> None:
    with pytest.raises(BadRequest):
        prepare(scan)


@pytest.mark.ml_score("monitor.2")
def test_predictor_rejects_bad_inputs_with_a_message(ml_model_store: ModelStore) -> None:
    recognizer = Recognizer.load(ml_model_store, name=history.NAME)
    with pytest.raises(ValueError, match="height must be 28"):
        recognizer.predict(np.zeros((32, 100), np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        recognizer.predict(np.full((28, 100), 3.0, np.float32))


@pytest.mark.ml_score("infra.6")
def test_served_model_reads_the_canary_lines(service: LineService, canary: np.ndarray) -> None:
    answers = service.predict([traffic.to_scan(image) for image in canary])
    right = sum(a == b for a, b in zip(answers, traffic.CANARY_LABELS, strict=True))
    assert right >= len(traffic.CANARY_LABELS) - 2, list(
        zip(answers, traffic.CANARY_LABELS, strict=True)
    )


def test_request_log_is_indexed_by_request_id(service: LineService) -> None:
    raw, served = service.request_log()
    assert raw.index.equals(served.index) and raw.index.name == "request_id"
    assert list(served.columns) == list(features.FINGERPRINT)
    with pytest.raises(BadRequest, match="request ids"):
        service.handle(["only-one"], [])
