"""The acceptance run: the ``tiny`` preset on its full data (about a minute on 2 cores)."""

from __future__ import annotations

import pytest

from mltestscore.reference_model.config import CONFIGS
from mltestscore.reference_model.train import train


@pytest.mark.slow
def test_tiny_preset_reaches_two_percent_test_cer_in_two_minutes():
    result = train(CONFIGS["tiny"], seed=0)
    assert result.test_cer is not None and result.test_cer <= 0.02, result.history
    assert result.wall_time <= 120
