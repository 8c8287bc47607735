"""monitor.6's measurements: interleaved timings, paired ratios and peak memory.

A latency recorded on one machine on one day cannot judge another run: load,
thermal state and the machine change it by 2–3×. So timings are compared as a
benchmark compares them, inside one run: :func:`time_interleaved` times two (or
more) calls in alternating rounds (ABBA order, after a warm-up of each), so a
burst of load hits both sides of a round alike; :func:`paired_ratio` takes the
per-round ratios and gives their median with a bootstrap confidence interval.
The other side is the previous/serving model when one can run, else a fixed
:func:`calibration` workload (numpy matrix products) whose ratio is stored in the
baseline and compared with later runs' ratios.

Each timed call is synchronized with CUDA when torch has initialized it. Memory:
peak Python allocations of one call (tracemalloc), the process RSS change over it
(psutil, when installed: torch's CPU allocator is invisible to tracemalloc) and
the CUDA peak (``torch.cuda.max_memory_allocated``) when CUDA is in use. The verdict
is in :mod:`.monitor6_performance`.
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

from mltestscore.baseline import recording_environment

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

    def summary(self, rows: int | None) -> dict[str, Any]:
        """:meth:`to_dict` with the rows per call, calls per second and rows per second."""
        out: dict[str, Any] = {**self.to_dict(), "rows": rows}
        out["calls_per_s"] = round(1000.0 / self.p50, 3) if self.p50 > 0 else None
        if rows and self.p50 > 0:
            out["throughput_rows_per_s"] = round(rows * 1000.0 / self.p50, 3)
        return out


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


def time_interleaved(
    calls: Mapping[str, Callable[[], Any]], *, warmup: int, repeats: int, max_seconds: float
) -> dict[str, Timing]:
    """Time each call once per round, alternating the order (ABBA), ``repeats`` rounds.

    Past ``max_seconds`` the rounds stop once :data:`MIN_REPEATS` are in: fewer
    rounds give a wider interval (a verdict less sure), never a different one.
    """
    if repeats < MIN_REPEATS:
        raise ValueError(f"repeats must be >= {MIN_REPEATS}, got {repeats}")
    names = list(calls)
    sync = _cuda_sync()
    for _ in range(max(0, warmup)):
        for name in names:
            calls[name]()
    sync()
    samples: dict[str, list[float]] = {name: [] for name in names}
    deadline = time.perf_counter() + max_seconds
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else reversed(names):
            start = time.perf_counter_ns()
            calls[name]()
            sync()
            samples[name].append((time.perf_counter_ns() - start) / 1e6)
        if round_ + 1 >= MIN_REPEATS and time.perf_counter() > deadline:
            break
    return {name: Timing(tuple(values)) for name, values in samples.items()}


@dataclass(frozen=True)
class Ratio:
    """Median of paired per-round ratios ``a_i / b_i`` with its bootstrap interval."""

    median: float
    low: float
    high: float
    rounds: int
    confidence: float

    def to_dict(self, prefix: str = "") -> dict[str, float]:
        return {
            f"{prefix}ratio": round(self.median, 4),
            f"{prefix}ratio_low": round(self.low, 4),
            f"{prefix}ratio_high": round(self.high, 4),
            f"{prefix}rounds": self.rounds,
        }

    def describe(self) -> str:
        return (
            f"{self.median:.2f}× [{self.low:.2f}, {self.high:.2f}] "
            f"({self.confidence:.0%} interval, {self.rounds} interleaved rounds)"
        )


def paired_ratio(
    a: Timing, b: Timing, *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Ratio:
    """The median of ``a_i / b_i`` over rounds, with a percentile bootstrap interval."""
    import numpy as np

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    pairs = np.asarray(a.samples_ms, dtype=float), np.asarray(b.samples_ms, dtype=float)
    n = min(len(pairs[0]), len(pairs[1]))
    ratios = pairs[0][:n] / np.maximum(pairs[1][:n], 1e-9)
    rng = np.random.default_rng(seed)
    medians = np.median(ratios[rng.integers(0, n, size=(resamples, n))], axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return Ratio(float(np.median(ratios)), float(low), float(high), n, confidence)


_CALIBRATION_SIZE = 256
_CALIBRATION_STEPS = 16


def calibration() -> Callable[[], Any]:
    """A fixed CPU workload (float32 matrix products and tanh) timed beside predict.

    Deterministic inputs, a few milliseconds on a laptop core: it slows down with
    the machine's load and speed the way a model's forward pass does, so the ratio
    predict/calibration moves far less between runs than predict's own latency.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((_CALIBRATION_SIZE, _CALIBRATION_SIZE)).astype(np.float32)
    w = (rng.standard_normal((_CALIBRATION_SIZE, _CALIBRATION_SIZE)) / 12).astype(np.float32)

    def work() -> float:
        h = x
        for _ in range(_CALIBRATION_STEPS):
            h = np.tanh(h @ w)
        return float(h[0, 0])

    return work


@dataclass(frozen=True)
class Finding:
    """One comparison: ``status`` is 'pass', 'warn' or 'fail'."""

    what: str
    status: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "status": self.status, "message": self.message}


def compare_memory(
    current: Mapping[str, Any],
    recorded: Mapping[str, Any],
    *,
    memory_tolerance: float,
    against: str = "the baseline",
) -> list[Finding]:
    """Python and CUDA peaks: fail when ``ratio > 1 + memory_tolerance`` and > 1 MB more.

    Memory per call does not depend on the machine's load, so a stored peak still
    compares; ``against`` names what ``recorded`` is in the messages.
    """
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
                f"{label} {float(new):.2f} MB per call vs {float(old):.2f} MB for {against} "
                f"(allowed ratio ≤ {1 + memory_tolerance:.2f} or +1 MB)",
            )
        )
    return findings


def host_difference(recorded_on: Mapping[str, Any]) -> str:
    """Why timings against a stored baseline may compare less well ('' when the host looks
    alike): the calibration ratio corrects for speed and load, not for another CPU."""
    here = recording_environment()
    differs = [
        f"{key} {recorded_on.get(key)} → {here[key]}"
        for key in ("machine", "cpus", "python")
        if recorded_on.get(key) is not None and str(recorded_on.get(key)) != here[key]
    ]
    if not differs:
        return ""
    return (
        f"the baseline was recorded on a different host ({', '.join(differs)}): the "
        "calibration ratio corrects for speed and load, not for a different CPU architecture"
    )
