"""The team's tests and checks, from the healthy project; the serving test now catches bug 6."""

from __future__ import annotations

import numpy as np
import pytest
from broken_app import bugs
from digits_app import features, traffic
from test_team_checks import check_every_band_is_beneficial  # noqa: F401  (the data.2 check)

from mltestscore.reference_model.data import LineDataset


@pytest.mark.ml_score("monitor.3")
def test_serving_prepares_scans_exactly_like_training(test_lines: LineDataset) -> None:
    scans = traffic.scans(test_lines.head(64))
    served = np.stack([bugs.careless_prepare(scan) for scan in scans])
    np.testing.assert_allclose(served, features.model_inputs(scans), rtol=1e-6)
