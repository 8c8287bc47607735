"""The registry store and score logging against a real ``mlflow server`` on 127.0.0.1.

The fixture starts the server on a free port in its own process group, waits (bounded)
for ``/health``, and stops the whole group when the module's tests are done.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")
torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from mltestscore.checks.integrations.mlflow_runs import log_to_mlflow  # noqa: E402
from mltestscore.checks.integrations.mlflow_store import MlflowModelStore, TorchWeights  # noqa: E402

pytestmark = pytest.mark.slow
STARTUP_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
    ]  # fmt: skip
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mlflow server exited ({proc.returncode}): {_tail(root)}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow server not up within {STARTUP_S:g} s: {_tail(root)}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(proc)
        log.close()


def _tail(root: Path) -> str:
    return (root / "server.log").read_text(errors="replace")[-800:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # workers left in the group
        os.killpg(proc.pid, signal.SIGKILL)


def linear(params: object = None, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(3, 2)


def test_registry_round_trip_and_score_logging_over_http(server: str, tmp_path: Path) -> None:
    store = MlflowModelStore(server, "served", codec=TorchWeights(linear))
    for seed in (1, 2):
        store.promote("served", store.register(linear(seed=seed), metrics={"acc": 0.5 + seed}))
    assert store.serving_version() == 2
    assert store.rollback() == 1
    canary = torch.ones(2, 3)
    with torch.no_grad():
        np.testing.assert_array_equal(store.load()(canary).numpy(), linear(seed=1)(canary).numpy())
    assert store.roll_forward() == 2

    report = tmp_path / "ml-score.json"
    write_sample_report(report)
    client = mlflow.MlflowClient(tracking_uri=server)
    run_id = client.create_run(client.create_experiment("scores")).info.run_id
    log_to_mlflow(report, run_id, tracking_uri=server)
    assert client.get_run(run_id).data.metrics["mltestscore.final"] == 6.0
    assert [a.path for a in client.list_artifacts(run_id, "mltestscore")] == [
        "mltestscore/ml-score.json"
    ]


def write_sample_report(path: Path) -> Path:
    """A report of known scores (data 7, model 6, infra 7, monitor 7: final 6), written here."""
    from mltestscore.report import build_report, write_json
    from mltestscore.results import AutomatedEvidence, Status
    from mltestscore.scoring import score

    automated = {
        f"{s}.{n}": [AutomatedEvidence(f"builtin:{s}.{n}", Status.PASS, "ok")]
        for s in ("data", "model", "infra", "monitor")
        for n in range(1, 8)
        if (s, n) != ("model", 7)
    }
    write_json(build_report(score(automated)), path)
    return path
