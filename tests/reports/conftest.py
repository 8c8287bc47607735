"""Fixtures for the report tests.

``html_under_test`` is the HTML report the browser test opens. It is built from the
synthetic run in ``report_samples.py``; to test another report (for example the recognizer
example's), override this fixture and return an ``HtmlUnderTest`` for that file.
"""

from __future__ import annotations

from typing import Any

import pytest
from report_samples import HtmlUnderTest, make_report

from mltestscore.reports import write_report


@pytest.fixture(scope="session")
def sample_report() -> dict[str, Any]:
    return make_report()


@pytest.fixture(scope="session")
def previous_report() -> dict[str, Any]:
    return make_report(previous=True)


@pytest.fixture(scope="session")
def sample_html(
    tmp_path_factory: pytest.TempPathFactory,
    sample_report: dict[str, Any],
    previous_report: dict[str, Any],
) -> HtmlUnderTest:
    path = tmp_path_factory.mktemp("html") / "ml-score.html"
    write_report(sample_report, path, previous=previous_report)
    return HtmlUnderTest(path, sample_report, "report")


@pytest.fixture(scope="session")
def html_under_test(sample_html: HtmlUnderTest) -> HtmlUnderTest:
    return sample_html
