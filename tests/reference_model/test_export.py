from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from mltestscore.reference_model.config import CONFIGS
from mltestscore.reference_model.data import render_lines
from mltestscore.reference_model.export import ExportError, export_model, load_exported
from mltestscore.reference_model.models import build_model


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "model.onnx"
    example = torch.zeros(1, 1, 28, 256)
    return export_model(trained.model, path, example)


def test_onnxruntime_reproduces_torch(exported, trained, small_splits):
    session = load_exported(exported)
    images = small_splits["test"].images[:5]  # a batch size unlike the example's
    with torch.no_grad():
        expected = trained.model(images).numpy()
    got = session(images.numpy())
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert session.predict(images.numpy()) == trained.model.predict(images)
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 256\)"):
        session(np.zeros((2, 28, 256), np.float32))


def test_transformer_exports_too(tmp_path):
    config = CONFIGS["tiny"].replace(
        architecture="transformer",
        channels=(8, 16),
        hidden=32,
        heads=2,
        decoder_layers=1,
        feedforward=64,
        data={"max_length": 2},  # 3 unrolled decoding steps
    )
    torch.manual_seed(0)
    model = build_model(config).eval()
    images = render_lines(["1", "23", "45"], config=config.data).images
    path = export_model(model, tmp_path / "t.onnx", images[:2])
    assert load_exported(path).predict(images.numpy()) == model.predict(images)


def test_serving_process_runs_canaries(exported, trained, small_splits, tmp_path):
    images = small_splits["test"].images[:4].numpy()
    np.save(tmp_path / "canary.npy", images)
    code = (
        "import sys; from mltestscore.reference_model.export import main; "
        "status = main(sys.argv[1:]); "
        "assert 'torch' not in sys.modules, 'the serving process imported torch'; "
        "raise SystemExit(status)"
    )
    command = [
        sys.executable,
        "-c",
        code,
        "serve-canary",
        "--model",
        str(exported),
        "--inputs",
        str(tmp_path / "canary.npy"),
        "--outputs",
        str(tmp_path / "out.npy"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["lines"] == 4 and report["load_seconds"] > 0 and report["latency_ms_per_line"] > 0
    assert report["predictions"] == trained.model.predict(torch.from_numpy(images))
    with torch.no_grad():
        np.testing.assert_allclose(
            np.load(tmp_path / "out.npy"),
            trained.model(torch.from_numpy(images)).numpy(),
            atol=1e-4,
        )


def test_serving_process_reports_bad_inputs(exported, tmp_path):
    from mltestscore.reference_model.export import main

    np.save(tmp_path / "bad.npy", np.zeros((2, 1, 30, 256), np.float32))
    assert (
        main(["serve-canary", "--model", str(exported), "--inputs", str(tmp_path / "bad.npy")]) == 2
    )
    assert main(["serve-canary", "--model", str(tmp_path / "missing.onnx"), "--inputs", "x"]) == 2


def test_broken_artifact_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not onnx")
    with pytest.raises(ExportError, match=r"broken\.onnx"):
        load_exported(path)
