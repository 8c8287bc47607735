"""The HTML report in a real browser: headless Chromium, watched over DevTools.

Skips when Chromium is not installed, unless MLTESTSCORE_REQUIRE_CHROMIUM=1 (CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import chromium_cdp
import pytest
from report_samples import XSS, HtmlUnderTest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"


@pytest.fixture(scope="module", autouse=True)
def _need_chromium() -> None:
    if chromium_cdp.available():
        return
    message = f"Chromium not found at {chromium_cdp.CHROMIUM} (Debian: apt-get install chromium)"
    if os.environ.get("MLTESTSCORE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message + "; MLTESTSCORE_REQUIRE_CHROMIUM=1 requires it")
    pytest.skip(message)


def test_report_opens_offline_without_errors(html_under_test: HtmlUnderTest) -> None:
    score = html_under_test.report["score"]
    page = chromium_cdp.visit(
        html_under_test.path,
        evaluate=(
            "document.querySelector('.score').textContent",
            "document.body.innerText",
            "document.scripts.length",
            "document.querySelectorAll('#grid td.cell').length",
        ),
    )
    assert page.outside_requests == []
    assert page.console_errors == []
    assert page.exceptions == []
    assert page.log_errors == []
    assert page.values["document.querySelector('.score').textContent"] == f"{score['final']:g}"
    text = page.values["document.body.innerText"]
    assert f"band {score['band']['range']}: {score['band']['name']}" in text
    assert score["band"]["text"] in text
    assert page.values["document.scripts.length"] == 0
    assert page.values["document.querySelectorAll('#grid td.cell').length"] == 28
    assert page.screenshot.startswith(b"\x89PNG")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{html_under_test.name}.png"
    shot.write_bytes(page.screenshot)
    shutil.copyfile(html_under_test.path, SCREENSHOTS / f"{html_under_test.name}.html")


def test_planted_script_shows_as_text_and_never_runs(sample_html: HtmlUnderTest) -> None:
    page = chromium_cdp.visit(
        sample_html.path,
        evaluate=("typeof window.__pwned", "document.body.innerText"),
        height=800,
    )
    assert page.values["typeof window.__pwned"] == "undefined"
    text = page.values["document.body.innerText"]
    assert XSS in text  # feature name, slice name, evidence path, manual document, message
    assert text.count(XSS) >= 5
    assert page.console_errors == [] and page.exceptions == []
