"""diagnose_loss_curve: one curve per kind, plus properties that must hold for any curve."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import smoke
from mltestscore.checks.smoke.curve import subsample

STEPS = np.arange(200)
RNG = np.random.default_rng(0)


def curves() -> dict[str, list[float]]:
    return {
        "converged": list(2.3 * np.exp(-STEPS / 30) + 0.01),
        "decreasing": list(2.3 * np.exp(-STEPS / 250)),  # ends at 45 %, still falling
        "rising": list(2.3 + 0.034 * STEPS),  # gradient ascent: roughly linear growth
        "exploding": [2.3] * 20 + [2.3 * 1.6**k for k in range(1, 181)],
        "oscillating": list(1.2 + 0.9 * np.sign(np.sin(STEPS * 1.7)) + 0.05 * RNG.random(200)),
        "plateau": list(2.3 - 0.8 * (1 - np.exp(-STEPS / 10))),  # stuck at 65 %
        "nan": [2.3, 2.0, 1.8, float("nan"), float("nan")],
    }


@pytest.mark.parametrize("kind", smoke.CURVE_KINDS)
def test_each_kind_is_recognized(kind: str) -> None:
    diagnosis = smoke.diagnose_loss_curve(curves()[kind])
    assert diagnosis.kind == kind, diagnosis.message
    assert re.search(r"\d", diagnosis.message)


@pytest.mark.parametrize(
    ("kind", "advice"),
    [
        ("rising", "sign of the loss"),
        ("exploding", "learning rate is too high"),
        ("oscillating", "learning rate"),
        ("plateau", "learning rate may be too low"),
        ("nan", "numerical instability"),
        ("decreasing", "more steps"),
    ],
)
def test_messages_name_the_next_step(kind: str, advice: str) -> None:
    assert advice in smoke.diagnose_loss_curve(curves()[kind]).message


def test_rising_message_reads_like_the_playbook() -> None:
    d = smoke.diagnose_loss_curve([2.3 + 0.135 * i for i in range(50)])
    assert d.kind == "rising"
    assert d.message.startswith("loss rose from 2.30 to 8.")
    assert "in 50 steps: the loss is being maximized — check the sign of the loss" in d.message


def test_a_loss_running_below_its_floor_is_flagged_as_unbounded() -> None:
    d = smoke.diagnose_loss_curve([-2.3 - 0.5 * i for i in range(100)])
    assert d.kind == "rising"
    assert "below its floor of 0" in d.message and "check its sign" in d.message
    # without a floor the same curve is simply converging
    assert (
        smoke.diagnose_loss_curve([2.3 - 0.02 * i for i in range(100)], floor=None).kind != "rising"
    )


def test_nan_curve_reports_the_step() -> None:
    d = smoke.diagnose_loss_curve(curves()["nan"])
    assert d.nonfinite_step == 3
    assert "at step 3" in d.message and "1.80" in d.message


def test_floor_changes_what_converged_means() -> None:
    # label smoothing: the loss cannot go below ~0.17
    values = list(0.17 + 0.9 * np.exp(-STEPS / 20))
    assert smoke.diagnose_loss_curve(values).kind == "plateau"
    assert smoke.diagnose_loss_curve(values, floor=0.169).kind == "converged"


def test_thresholds_are_keyword_arguments() -> None:
    values = curves()["decreasing"]
    assert smoke.diagnose_loss_curve(values, converged_fraction=0.5).kind == "converged"
    with pytest.raises(TypeError):
        smoke.diagnose_loss_curve(values, 0.5)  # type: ignore[misc]


def test_bad_input_raises_with_a_message() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        smoke.diagnose_loss_curve([1.0])
    with pytest.raises(ValueError, match="converged_fraction"):
        smoke.diagnose_loss_curve([1.0, 0.5], converged_fraction=0)


def test_to_dict_is_json_safe() -> None:
    import json

    for values in curves().values():
        json.dumps(smoke.diagnose_loss_curve(values).to_dict(), allow_nan=False)


def test_subsample_keeps_ends_and_caps_length() -> None:
    values = [float(i) for i in range(1000)]
    out = subsample(values, 200)
    assert len(out) == 200 and out[0] == 0.0 and out[-1] == 999.0
    assert subsample(values[:10]) == values[:10]


finite = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=2, max_size=300))
def test_any_positive_curve_gets_a_known_kind(values: list[float]) -> None:
    d = smoke.diagnose_loss_curve(values)
    assert d.kind in smoke.CURVE_KINDS and d.kind != "nan"
    assert d.message
    assert math.isfinite(d.end_fraction)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=200), st.floats(min_value=1e-3, max_value=1e3))
def test_the_kind_does_not_depend_on_the_loss_scale(values: list[float], scale: float) -> None:
    a = smoke.diagnose_loss_curve(values).kind
    b = smoke.diagnose_loss_curve([v * scale for v in values]).kind
    assert a == b
