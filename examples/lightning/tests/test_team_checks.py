"""The team's own rubric checks, for what the built-in checks cannot see in an image model.

data.2's built-in check permutes named tabular columns; an image has none, so the
team permutes its input features — the seven image bands — itself
(:mod:`digits_app.importance`) and judges them the same way: a band earns its
place when scrambling it raises the CER by more than ``noise_k`` standard
deviations of the repeats.
"""

from __future__ import annotations

from digits_app.importance import BandImportance

import mltestscore
from mltestscore.results import CheckResult


@mltestscore.check("data.2")
def check_every_band_is_beneficial(
    band_importance: list[BandImportance],
    *,
    noise_k: float = 2.0,
) -> CheckResult:
    """Every image band raises the CER when permuted between lines, beyond noise."""
    table = [band.to_dict() for band in band_importance]
    useless = [band.feature for band in band_importance if not band.beneficial(noise_k)]
    evidence = {"noise_k": noise_k, "repeats": band_importance[0].repeats, "bands": table}
    if useless:
        return CheckResult.failed(
            f"{len(useless)} band(s) do not raise the CER beyond noise when permuted: "
            + ", ".join(useless),
            evidence,
            "Crop these rows from the model input (cheaper) or find out why the model ignores "
            "them (augmentation shifting lines vertically may help).",
        )
    weakest = min(band_importance, key=lambda band: band.mean)
    return CheckResult.passed(
        f"all {len(table)} bands are beneficial; the weakest, {weakest.feature}, raises the "
        f"CER by {weakest.mean:.4f} ± {weakest.std:.4f}",
        evidence,
    )
