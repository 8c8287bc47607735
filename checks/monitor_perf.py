"""monitor.6's measurements: latency percentiles, throughput and peak memory.

Timing: ``warmup`` untimed calls, then up to ``repeats`` timed calls (stopping
early after ``max_seconds`` once 5 are in), each synchronized with CUDA when
torch has initialized it. Noise is the robust coefficient of variation of the
repeats (1.4826 · MAD / median). Memory: peak Python allocations of one call
(tracemalloc), the process RSS change over it (psutil, when installed: torch's
CPU allocator is invisible to tracemalloc) and the CUDA peak
(``torch.cuda.max_memory_allocated``) when CUDA is in use.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MB = 1024.0 * 1024.0
MIN_REPEATS = 5


@dataclass(frozen=True)
class Timing:
    """Timed repeats of one call, in milliseconds."""

    samples_ms: tuple[float, ...]

    @property
    def p50(self) -> float:
        return float(statistics.median(self.samples_ms))

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return float(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])

    @property
    def cv(self) -> float:
        """Robust coefficient of variation: 1.4826 · MAD / median."""
        median = self.p50
        if median <= 0:
            return 0.0
        mad = statistics.median(abs(s - median) for s in self.samples_ms)
        return float(1.4826 * mad / median)

    def to_dict(self, prefix: str = "") -> dict[str, float]:
        return {
            f"{prefix}p50_ms": round(self.p50, 4),
            f"{prefix}p95_ms": round(self.p95, 4),
            f"{prefix}cv": round(self.cv, 4),
            f"{prefix}repeats": len(self.samples_ms),
        }


def _cuda_sync() -> Callable[[], None]:
    torch: Any = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.synchronize  # type: ignore[no-any-return]
    return lambda: None


def time_calls(fn: Callable[[], Any], *, warmup: int, repeats: int, max_seconds: float) -> Timing:
    """Warm up, then time ``fn()`` ``repeats`` times (fewer past ``max_seconds``)."""
    if repeats < MIN_REPEATS:
        raise ValueError(f"repeats must be >= {MIN_REPEATS}, got {repeats}")
    sync = _cuda_sync()
    for _ in range(max(0, warmup)):
        fn()
    sync()
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        sync()
        samples.append((time.perf_counter_ns() - start) / 1e6)
        if len(samples) >= MIN_REPEATS and time.perf_counter() > deadline:
            break
    return Timing(tuple(samples))


def peak_memory(fn: Callable[[], Any]) -> dict[str, float | None]:
    """Peak memory of one ``fn()`` call, in MB (``None`` where not measurable)."""
    result: dict[str, float | None] = {"python_peak_mb": None, "rss_delta_mb": None}
    gc.collect()
    try:
        import psutil

        process: Any = psutil.Process()
    except ImportError:  # psutil is optional
        process = None
    torch: Any = sys.modules.get("torch")
    cuda = torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        cuda_base = torch.cuda.memory_allocated()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    rss_before = process.memory_info().rss if process is not None else 0
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        if not was_tracing:
            tracemalloc.stop()
    result["python_peak_mb"] = round(max(0, peak - base) / MB, 4)
    if process is not None:
        result["rss_delta_mb"] = round((process.memory_info().rss - rss_before) / MB, 4)
    if cuda:
        torch.cuda.synchronize()
        result["cuda_peak_mb"] = round((torch.cuda.max_memory_allocated() - cuda_base) / MB, 4)
    return result


@dataclass(frozen=True)
class Finding:
    """One comparison: ``status`` is 'pass', 'warn' or 'fail'."""

    what: str
    status: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "status": self.status, "message": self.message}


def compare_latency(
    what: str,
    current: Mapping[str, Any],
    recorded: Mapping[str, Any],
    *,
    prefix: str,
    tolerance: float,
    noise_k: float,
) -> Finding | None:
    """p50 ratio vs ``1 + max(tolerance, noise_k · CV)`` (CV: the noisier of the two runs)."""
    key = f"{prefix}p50_ms"
    if not recorded.get(key) or key not in current:
        return None
    old, new = float(recorded[key]), float(current[key])
    rows_old, rows_new = recorded.get("rows"), current.get("rows")
    note = ""
    if prefix == "" and rows_old and rows_new and rows_old != rows_new:
        old, new = old / float(rows_old), new / float(rows_new)
        note = f" (per row: inputs have {rows_new} rows, the baseline {rows_old})"
    cv = max(float(current.get(f"{prefix}cv", 0.0)), float(recorded.get(f"{prefix}cv", 0.0)))
    allowed = max(tolerance, noise_k * cv)
    ratio = new / old if old > 0 else float("inf")
    text = (
        f"{what} p50 {float(current[key]):.3g} ms vs baseline {float(recorded[key]):.3g} ms: "
        f"ratio {ratio:.2f}, allowed ≤ {1 + allowed:.2f} (tolerance {tolerance}, "
        f"noise {noise_k}·CV {cv:.2f}){note}"
    )
    return Finding(f"{what} latency", "fail" if ratio > 1 + allowed else "pass", text)


def compare_memory(
    current: Mapping[str, Any], recorded: Mapping[str, Any], *, memory_tolerance: float
) -> list[Finding]:
    """Python and CUDA peaks: fail when ``ratio > 1 + memory_tolerance`` and > 1 MB more."""
    findings = []
    for key, label in (("python_peak_mb", "Python peak memory"), ("cuda_peak_mb", "CUDA peak")):
        old, new = recorded.get(key), current.get(key)
        if old is None or new is None:
            continue
        grew = float(new) - float(old)
        ratio = float(new) / float(old) if float(old) > 0 else float("inf")
        bad = grew > 1.0 and ratio > 1 + memory_tolerance
        findings.append(
            Finding(
                label,
                "fail" if bad else "pass",
                f"{label} {float(new):.2f} MB vs baseline {float(old):.2f} MB "
                f"(allowed ratio ≤ {1 + memory_tolerance:.2f} or +1 MB)",
            )
        )
    return findings
