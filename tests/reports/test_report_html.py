"""The HTML report: content, escaping, self-containment and size."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from report_samples import XSS

from mltestscore.error_analysis import (
    ErrorAnalysis,
    LossCurve,
    SliceTable,
    as_report_section,
    confusion_pairs,
    worst_examples,
)
from mltestscore.report import build_report, validate
from mltestscore.reports import html
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score


class Page(HTMLParser):
    """Collects start tags, attributes and text of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


@pytest.fixture(scope="module")
def page_html(sample_report: dict[str, Any], previous_report: dict[str, Any]) -> str:
    return html.render(sample_report, previous=previous_report)


def test_readiness_part_shows_score_band_sections_grid_and_evidence(
    page_html: str, sample_report: dict[str, Any]
) -> None:
    page = Page(page_html)
    text = page.all_text
    score = sample_report["score"]
    assert re.search(rf'<span class="score">{score["final"]:g}</span>', page_html)
    assert score["band"]["text"] in text
    for section, value in score["sections"].items():
        assert f"{section}" in text and f"{value['score']:g} of 7" in text
    cells = [a for t, a in page.tags if t == "td" and "cell" in (a.get("class") or "")]
    assert len(cells) == 28
    # every test has a detail block with its reason; failing ones are open
    details = {
        str(a["id"]): a
        for t, a in page.tags
        if t == "details" and str(a.get("id")).startswith("t-")
    }
    assert len(details) == 28
    assert "open" in details["t-data-2"] and "open" not in details["t-data-1"]
    for test in sample_report["tests"]:
        assert test["title"] in text
    assert "Remove the feature or show why it helps." in text  # next step of a failure
    assert "Traceback (most recent call last)" in text  # error evidence shown
    assert "docs/model-review.md" in text and "valid until 2027-09-01" in text  # manual
    assert "manual evidence expired on 2025-06-30" in text  # expired manual evidence
    assert "Deploy gate FAILED" in text
    assert "What to fix next" in text


def test_diff_shows_what_rose_and_fell(page_html: str) -> None:
    diff = page_html[page_html.index('<section id="diff">') :]
    diff = diff[: diff.index("</section>")]
    text = Page(diff).all_text
    assert "Rose (2)" in text and "Fell (2)" in text
    assert "monitor.5" in text and "data.2" in text and "infra.3" in text
    assert "rose +1" in text  # the final score went from 1 to 2


def test_error_analysis_part(page_html: str) -> None:
    text = Page(page_html).all_text
    assert "Distribution shift (largest)" in text
    assert "Playbook next step:" in text and "domain adaptation" in text
    assert "accuracy per slice, worst first" in text
    assert "Most frequent confusions" in text
    assert "Loss curves and their diagnosis" in text
    assert "builtin:infra.2: overfit_one_batch" in text  # the smoke suite's curve
    assert "the loss converged" in text
    assert page_html.count("<polyline") >= 2
    images = re.findall(r'<img src="(data:image/png;base64,[A-Za-z0-9+/=]+)"', page_html)
    assert len(images) == 8


def test_self_contained_no_scripts_no_requests(page_html: str) -> None:
    page = Page(page_html)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base", "form"}
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href"):
                assert value and (value.startswith(("#", "data:image/png;base64,"))), value
    assert "@import" not in page_html and "url(http" not in page_html
    assert "Content-Security-Policy" in page_html and "default-src 'none'" in page_html


def test_user_strings_with_script_show_as_text(page_html: str) -> None:
    """<script> in a feature name, slice name, evidence path, manual document, check message,
    traceback and configuration key: escaped everywhere, never markup."""
    assert "<script>" not in page_html.lower()
    escaped = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
    assert page_html.count(escaped) >= 7
    text = Page(page_html).all_text
    assert f"docs/{XSS}.md" in text  # manual document
    assert f"src/features/{XSS}.py" in text  # evidence path
    assert f"feature {XSS} has permutation importance" in text  # check message
    assert f'tool.mltestscore.manual."{XSS}"' in text  # configuration key


def test_hostile_image_and_attribute_values_stay_inert(sample_report: dict[str, Any]) -> None:
    report = copy.deepcopy(sample_report)
    ea = report["error_analysis"]
    ea["worst_examples"][0]["image"] = 'data:image/png;base64," onerror="alert(1)'
    ea["worst_examples"][1]["id"] = '"><img src=x onerror=alert(1)>'
    report["project"] = "</title><script>alert(1)</script>"
    page = html.render(report)
    tags = Page(page).tags
    assert all(not k.startswith("on") for _, attrs in tags for k in attrs)
    assert "<script>" not in page.lower()
    assert sum(1 for t, _ in tags if t == "img") == 7  # the broken image is left out


def test_report_without_error_analysis_says_how_to_add_one() -> None:
    page = html.render(build_report(score({})))
    assert "No error analysis in this run" in page and "ml_error_analysis" in page
    assert '<span class="score">0</span>' in page


def _big_report() -> dict[str, Any]:
    """The largest report the renderers allow: full evidence tables on every test, a
    recognizer-sized error analysis (24 line images of 28x256), 50 slices, 30 confusions."""
    rng = np.random.default_rng(0)
    rows = [
        {"feature": f"f{i}", "importance": float(rng.normal()), "note": "x" * 80}
        for i in range(500)
    ]
    automated = {
        f"{s}.{n}": [
            AutomatedEvidence(
                f"builtin:{s}.{n}",
                Status.FAIL,
                "m" * 20_000,
                {"table": rows, "losses": list(rng.random(2000)), "log": "line\n" * 5000},
                "fix it",
            )
        ]
        for s in ("data", "model", "infra", "monitor")
        for n in range(1, 8)
    }
    lines = rng.random((24, 28, 256))
    truths = ["".join(rng.choice(list("0123456789"), 12)) for _ in range(24)]
    analysis = ErrorAnalysis(
        errors={"train": 0.03, "val": 0.07, "test_val": 0.09, "test": 0.1},
        metric="character error rate",
        slices=SliceTable.from_mapping({f"slice {i}": float(rng.random()) for i in range(200)}),
        confusions=confusion_pairs(truths, truths[::-1], characters=True, top=30),
        loss_curve=LossCurve(list(rng.random(10_000))),
        worst_examples=worst_examples(
            [str(i) for i in range(24)],
            truths,
            truths[::-1],
            list(rng.random(24)),
            images=list(lines),
            top=24,
        ),
    )
    return build_report(score(automated), error_analysis=as_report_section(analysis))


def test_html_of_a_large_run_stays_under_2_mb() -> None:
    report = _big_report()
    validate(report)
    size = len(html.render(report).encode("utf-8"))
    assert size < 2_000_000, f"{size:,} bytes"
