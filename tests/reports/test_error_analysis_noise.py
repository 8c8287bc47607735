"""Issue 11: the error analysis does not cry wolf — intervals, loss-curve points, alignment."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from mltestscore.alignment import _align, edit_counts, edit_pairs
from mltestscore.analysis_types import slice_verdict
from mltestscore.error_analysis import (
    PLAYBOOK,
    ErrorAnalysis,
    LossCurve,
    as_report_section,
    confusion_pairs,
    slice_table,
)
from mltestscore.loss_curve import diagnose_curve
from mltestscore.reports.html_analysis import section


def _lines(n: int, cer: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Edits and characters per line for ``n`` lines at about ``cer``."""
    rng = np.random.default_rng(seed)
    chars = rng.integers(1, 13, size=n).astype(float)
    return rng.binomial(chars.astype(int), cer).astype(float), chars


def test_a_half_point_cer_difference_on_340_lines_is_within_noise() -> None:
    val, test = _lines(340, 0.02, seed=1), _lines(340, 0.02, seed=2)
    analysis = ErrorAnalysis(
        samples={"train": _lines(6000, 0.01, seed=0), "val": val, "test": test},
        metric="character error rate",
    )
    term = {t.name: t for t in analysis.decomposition()}["val_overfitting"]
    assert term.interval is not None and term.interval[0] < 0 < term.interval[1]
    assert term.n == {"test": 340, "val": 340}
    assert "fresh validation set" not in analysis.next_step()
    section_ = as_report_section(analysis)
    overfit = next(t for t in section_["decomposition"] if t["term"] == "val_overfitting")
    assert overfit["within_noise"] is True and len(overfit["interval"]) == 2
    largest = analysis.largest()
    assert largest is None or largest.name != "val_overfitting"


def test_only_noise_means_within_noise_with_sample_sizes() -> None:
    same = _lines(340, 0.03, seed=5)
    analysis = ErrorAnalysis(samples={"val": same, "test": _lines(340, 0.033, seed=6)})
    assert analysis.largest() is None
    step = analysis.next_step()
    assert step.startswith("Within noise") and "n = test 340, val 340" in step


def test_a_difference_beyond_noise_gets_the_playbook_step() -> None:
    analysis = ErrorAnalysis(
        samples={"val": _lines(3000, 0.02, seed=1), "test": _lines(3000, 0.08, seed=2)}
    )
    largest = analysis.largest()
    assert largest is not None and largest.name == "val_overfitting"
    assert largest.interval is not None and largest.interval[0] > 0
    assert analysis.next_step() == PLAYBOOK["val_overfitting"][2]


def test_intervals_survive_the_report_round_trip_and_reach_the_html() -> None:
    analysis = ErrorAnalysis(samples={"val": _lines(340, 0.02, 1), "test": _lines(340, 0.025, 2)})
    first = as_report_section(analysis)
    again = as_report_section(first)
    assert again == first
    html = section({"error_analysis": first, "tests": []})
    low, _high = first["decomposition"][0]["interval"]
    assert "interval" in html and "within noise" in html and "n = " in html
    assert f"{low:.4g}" in html


def test_errors_must_agree_with_their_samples() -> None:
    with pytest.raises(ValueError, match=r"errors.val is 0.5 but its samples give"):
        ErrorAnalysis(errors={"val": 0.5}, samples={"val": [0.0, 1.0, 0.0, 0.0]})
    with pytest.raises(ValueError, match=r"samples.test: 2 errors but 3 weights"):
        ErrorAnalysis(samples={"test": ([1, 2], [3, 4, 5])})


# -- slices ---------------------------------------------------------------------------
def test_slice_table_carries_intervals_and_the_overall_value() -> None:
    rng = np.random.default_rng(0)
    names = ["short"] * 300 + ["long"] * 300
    correct = np.concatenate([rng.random(300) < 0.99, rng.random(300) < 0.80]).astype(float)
    table = slice_table(names, correct, metric="line accuracy", higher_is_better=True)
    rows = {r.name: r for r in table.rows}
    assert table.overall == pytest.approx(correct.mean())
    assert rows["long"].interval is not None and rows["long"].count == 300
    assert slice_verdict(rows["long"].value, rows["long"].interval, table.overall, True) == "worse"
    assert slice_verdict(rows["short"].value, rows["short"].interval, table.overall, True) == (
        "better"
    )


def test_a_slice_at_accuracy_one_is_not_drawn_red() -> None:
    analysis = ErrorAnalysis(
        errors={"test": 0.05},
        slices=slice_table(
            ["a"] * 50 + ["b"] * 50 + ["c"] * 50 + ["d"] * 50,
            [1.0] * 50 + [1.0] * 49 + [0.0] + [1.0] * 48 + [0.0] * 2 + [1.0] * 40 + [0.0] * 10,
            metric="accuracy",
            higher_is_better=True,
        ),
    )
    first = as_report_section(analysis)
    assert as_report_section(first) == first  # slice intervals survive the round trip
    assert first["slices"]["rows"][0]["interval"] is not None
    html = section({"error_analysis": first, "tests": []})
    perfect = html.split("<title>a: 1")[1].split("</g>")[0]
    assert "#c0392b" not in perfect and 'data-verdict="worse"' not in perfect
    assert 'data-verdict="worse"' in html.split("<title>d: ")[1].split("</g>")[0]
    assert "minus the overall" in html


# -- loss curve ----------------------------------------------------------------------
def test_two_per_epoch_losses_are_too_few_points_to_diagnose() -> None:
    diagnosis = diagnose_curve([2.27, 0.039])
    assert diagnosis["kind"] == "too_few_points" and "n = 2" in diagnosis["message"]
    curve = LossCurve.from_losses([2.27, 0.039])
    assert curve.diagnosis is not None and "too few points" in curve.diagnosis["message"]
    assert "oscillat" not in curve.diagnosis["message"]


def test_core_diagnosis_matches_the_smoke_suite() -> None:
    smoke = pytest.importorskip("mltestscore.checks.smoke")
    rng = np.random.default_rng(0)
    steps = np.arange(200)
    curves = {
        "converged": 2.3 * np.exp(-steps / 20),
        "plateau": 2.3 - 0.1 * (1 - np.exp(-steps / 10)) + 0.001 * rng.standard_normal(200),
        "oscillating": 2.3 * (1 + 0.5 * (-1.0) ** steps) * 0.5 + 0.5,
        "exploding": 2.3 * np.exp(steps / 20),
        "rising": 2.3 + 0.01 * steps,
        "nan": np.where(steps > 50, np.nan, 2.3),
    }
    for name, values in curves.items():
        ours = diagnose_curve(values.tolist())
        theirs = smoke.diagnose_loss_curve(values.tolist())
        assert ours["kind"] == theirs.kind == name, name


def test_reports_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from mltestscore.error_analysis import ErrorAnalysis, LossCurve\n"
        "import mltestscore.reports.html_analysis\n"
        "LossCurve.from_losses([2.3 * 0.9**i for i in range(50)])\n"
        "ErrorAnalysis(samples={'val': [0, 1, 0], 'test': [1, 1, 0]}).to_dict()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- alignment --------------------------------------------------------------------------
def _noisy_pair(rng: random.Random, length: int) -> tuple[str, str]:
    truth = "".join(rng.choice("0123456789") for _ in range(length))
    chars = list(truth)
    for _ in range(length // 12):
        chars[rng.randrange(len(chars))] = rng.choice("0123456789")
    for _ in range(length // 60 + 1):
        if chars:
            del chars[rng.randrange(len(chars))]
        chars.insert(rng.randrange(len(chars) + 1), rng.choice("0123456789"))
    return truth, "".join(chars)


def test_the_recognizers_confusions_agree_with_the_error_analysis() -> None:
    metrics = pytest.importorskip("mltestscore.reference_model.metrics")
    rng = random.Random(0)
    pairs = [_noisy_pair(rng, rng.randint(1, 60)) for _ in range(400)]
    truths, predictions = [t for t, _ in pairs], [p for _, p in pairs]
    ours = {
        (c.truth, c.predicted): c.count
        for c in confusion_pairs(truths, predictions, characters=True, top=10_000)
    }
    theirs = metrics.confusion_pairs(predictions, truths)
    assert ours == dict(theirs)


def test_a_2000_character_line_aligns_with_rapidfuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    # The speed (about 1 ms against seconds for pure Python) is benchmarks/bench_alignment.py's.
    pytest.importorskip("rapidfuzz")
    from mltestscore import alignment

    truth, predicted = _noisy_pair(random.Random(1), 2000)
    monkeypatch.setattr(alignment, "_align", lambda *a: pytest.fail("pure-Python path used"))
    pairs = edit_pairs(truth, predicted)
    edits, lengths = edit_counts([truth], [predicted])
    assert len(pairs) == edits[0] and lengths == [2000]


def test_the_fallback_alignment_finds_the_same_number_of_edits() -> None:
    rng = random.Random(2)
    for _ in range(50):
        truth, predicted = _noisy_pair(rng, rng.randint(1, 80))
        fallback = [p for p in _align(truth, predicted) if p[0] != p[1]]
        assert len(fallback) == len(edit_pairs(truth, predicted))
        assert Counter(a for a, _ in fallback if a) <= Counter(truth)


def test_overlapping_slices_from_masks_and_a_single_slice_metric() -> None:
    from mltestscore.error_analysis import slice_metric

    edits, chars = _lines(400, 0.05, seed=3)
    long = chars >= 8
    table = slice_table(
        {"long lines": long, "short lines": ~long, "all": np.ones(400, bool)},
        edits,
        chars,
        metric="character error rate",
    )
    rows = {r.name: r for r in table.rows}
    assert rows["all"].value == pytest.approx(table.overall)
    assert rows["long lines"].count == int(long.sum())
    digit = slice_metric("digit 7", [0, 1, 0, 2], [3, 2, 1, 4])
    assert digit.value == pytest.approx(0.3) and digit.count == 4 and digit.interval is not None
    with pytest.raises(ValueError, match="mask 'x' has shape"):
        slice_table({"x": [True]}, edits, chars)
