"""Serving the Lightning-trained reader: ONNX export of its network, the team's LineService."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from digits_app import traffic
from digits_app.serving import LineService

from mltestscore.reference_model.data import DigitLinesConfig
from mltestscore.reference_model.export import export_model

SERVING_REQUESTS = 300


def onnx_service(module: Any, workdir: Path) -> LineService:
    """``module``'s network exported to ONNX and served by onnxruntime."""
    path = workdir / "model.onnx"
    shape = (1, 1, module.model.height, module.model.width)  # (B, 1, H, W)
    export_model(module.model, path, torch.zeros(shape))
    return LineService.from_onnx(path)


def serve_a_week(module: Any, data: DigitLinesConfig, workdir: Path) -> LineService:
    """The serving process after the release, having answered a week of traffic."""
    service = onnx_service(module, workdir)
    week = traffic.traffic(data, SERVING_REQUESTS, traffic.SERVING_SEED)
    service.handle([f"req-{i:05d}" for i in range(len(week))], traffic.scans(week))
    return service


def recent_requests(data: DigitLinesConfig, n: int = 300) -> tuple[list[Any], list[str]]:
    """Last days' requests whose transcriptions were confirmed by people."""
    recent = traffic.traffic(data, n, traffic.RECENT_SEED)
    return traffic.scans(recent), list(recent.labels)
