"""The team's tests of the model spec, its quality and its simpler baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from digits_app import model_config
from digits_app.baseline import SegmentingBaseline, segment
from digits_app.evaluation import CER, LineReader, slices

from mltestscore.reference_model.data import LineDataset
from mltestscore.reference_model.train import TrainResult


@pytest.mark.ml_score("model.1")
def test_spec_loads_and_overrides_the_preset() -> None:
    app = model_config.load_config()
    assert app.recognizer.name == "digits-tiny"
    assert app.recognizer.max_seconds is None  # fixed step count: reproducible on any machine
    assert app.recognizer.data.train_size > 0


@pytest.mark.ml_score("model.1")
def test_spec_typos_are_errors(tmp_path: Path) -> None:
    spec = tmp_path / "config.toml"
    spec.write_text('preset = "tiny"\n[training]\nlearning_rate = 0.1\n')
    with pytest.raises(ValueError, match="learning_rate"):
        model_config.load_config(spec)
    spec.write_text('preset = "tiny"\nepochs = 3\n')
    with pytest.raises(ValueError, match="epochs"):
        model_config.load_config(spec)
    spec.write_text('preset = "tiny"\ntraining = 3\n')
    with pytest.raises(ValueError, match=r"\[training\] must be a table"):
        model_config.load_config(spec)


@pytest.mark.ml_score("model.6")
def test_held_out_cer_on_every_length(reader: LineReader, test_lines: LineDataset) -> None:
    predictions = reader.predict(test_lines.images)
    labels = np.asarray(test_lines.labels)
    for name, mask in slices(test_lines.labels).items():
        assert CER(labels[mask], predictions[mask]) < 0.08, name


@pytest.mark.ml_score("model.5")
def test_segmenting_baseline_reads_well_spaced_digits() -> None:
    line = np.zeros((28, 120), np.float32)
    for left in (10, 40, 70):
        line[6:22, left : left + 12] = 1.0
    assert len(segment(line)) == 3
    assert segment(np.zeros((28, 50), np.float32)) == []


@pytest.mark.ml_score("model.5")
def test_baseline_needs_segmentable_lines() -> None:
    with pytest.raises(ValueError, match="one piece per digit"):
        SegmentingBaseline().fit(np.zeros((2, 1, 28, 64), np.float32), ["12", "3"])


@pytest.mark.ml_score("infra.4")
def test_candidate_metrics_are_recorded(candidate: TrainResult) -> None:
    metrics = candidate.metrics()
    assert {"val_cer", "test_cer", "train_loss"} <= set(metrics)
    assert metrics["val_cer"] < 0.1 and np.isfinite(metrics["train_loss"])
