from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from mltestscore.manual import ManualEvidence
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.rubric import SECTIONS, TEST_IDS
from mltestscore.scoring import BAND_TEXTS, TestStatus, band_for, score

TODAY = dt.date(2026, 11, 22)


def auto(status: Status, source: str = "builtin:x") -> AutomatedEvidence:
    return AutomatedEvidence(source, status, "m")


def manual(
    test_id: str, reviewed: dt.date = dt.date(2026, 6, 1), days: int = 365
) -> ManualEvidence:
    return ManualEvidence(test_id, "docs/x.md", "Ada", reviewed, days)


# A test's evidence: None, "manual", "pass", "fail", "error", "pass+manual", "fail+manual"
KINDS = ["none", "manual", "pass", "fail", "error", "pass+manual", "fail+manual", "not_automated"]
evidence_st = st.fixed_dictionaries({t: st.sampled_from(KINDS) for t in TEST_IDS})


def build(
    kinds: dict[str, str],
) -> tuple[dict[str, list[AutomatedEvidence]], dict[str, ManualEvidence]]:
    automated: dict[str, list[AutomatedEvidence]] = {}
    manuals: dict[str, ManualEvidence] = {}
    for test_id, kind in kinds.items():
        for part in kind.split("+"):
            if part == "manual":
                manuals[test_id] = manual(test_id)
            elif part in ("pass", "fail", "error", "not_automated"):
                automated.setdefault(test_id, []).append(auto(Status(part)))
    return automated, manuals


def test_paper_points() -> None:
    automated = {
        "data.1": [auto(Status.PASS)],
        "data.2": [auto(Status.FAIL)],
        "data.3": [auto(Status.WARN)],
        "data.4": [auto(Status.ERROR)],
    }
    manuals = {"data.2": manual("data.2"), "data.5": manual("data.5"), "data.6": manual("data.6")}
    card = score(automated, manuals, today=TODAY)
    points = {t.test_id: t.points for t in card.tests}
    assert points["data.1"] == 1.0
    assert points["data.2"] == 0.0  # failed automated check beats manual evidence
    assert points["data.3"] == 1.0  # a warning still passes
    assert points["data.4"] == 0.0
    assert points["data.5"] == points["data.6"] == 0.5
    assert card.sections["data"] == 3.0
    assert card.final == 0.0  # other sections are empty
    assert card.test("data.2").status == TestStatus.FAILED
    assert card.test("data.4").status == TestStatus.ERROR


def test_any_failing_evidence_zeroes_the_test() -> None:
    card = score({"infra.1": [auto(Status.PASS), auto(Status.FAIL, "test:t")]}, today=TODAY)
    assert card.test("infra.1").points == 0
    assert "test:t" in card.test("infra.1").reason


def test_expired_and_future_manual_evidence_earn_nothing() -> None:
    expired = manual("data.1", reviewed=dt.date(2025, 1, 1), days=365)
    future = manual("data.2", reviewed=dt.date(2027, 1, 1))
    card = score({}, {"data.1": expired, "data.2": future}, today=TODAY)
    assert card.test("data.1").points == 0
    assert "expired on 2026-01-01" in card.test("data.1").reason
    assert "future" in card.test("data.2").reason


def test_not_automated_names_missing_fixtures() -> None:
    evidence = AutomatedEvidence(
        "builtin:data.1", Status.NOT_AUTOMATED, "not automated", {"missing_fixtures": ["ml_schema"]}
    )
    card = score({"data.1": [evidence]}, today=TODAY)
    assert card.test("data.1").status == TestStatus.NOT_DONE
    assert "ml_schema" in card.test("data.1").next_step


def test_bands_2017() -> None:
    assert band_for(0).text == BAND_TEXTS[0]
    assert band_for(0.5).index == 1 and band_for(1).index == 1
    assert band_for(1.5).index == 2 and band_for(2).index == 2
    assert band_for(3).index == 3
    assert band_for(3.5).index == 4 and band_for(5).index == 4
    assert band_for(5.5).index == 5 and band_for(7).index == 5


def test_bands_2016_and_eleven() -> None:
    assert [band_for(s, "2016").index for s in (0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 14)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        5,
    ]


@given(evidence_st)
def test_final_is_min_of_sections_and_at_most_each(kinds: dict[str, str]) -> None:
    automated, manuals = build(kinds)
    for scale in ("2017", "2016"):
        card = score(automated, manuals, scale=scale, today=TODAY)  # type: ignore[arg-type]
        assert card.final == min(card.sections.values())
        assert all(card.final <= v for v in card.sections.values())
        assert all(0 <= v <= card.max_section for v in card.sections.values())


@given(evidence_st, st.sampled_from(TEST_IDS), st.sampled_from(["manual", "pass"]))
def test_adding_passing_evidence_never_lowers(
    kinds: dict[str, str], test_id: str, add: str
) -> None:
    before_auto, before_manual = build(kinds)
    before = score(before_auto, before_manual, today=TODAY)
    current = kinds[test_id]
    if add == "pass" and any(p in current for p in ("fail", "error")):
        return  # a failing check stays failing: adding a pass does not hide it
    kinds = dict(kinds)
    kinds[test_id] = f"{current}+{add}" if current != "none" else add
    after_auto, after_manual = build(kinds)
    after = score(after_auto, after_manual, today=TODAY)
    assert after.final >= before.final
    for section in SECTIONS:
        assert after.sections[section] >= before.sections[section]


@given(st.fixed_dictionaries({t: st.sampled_from(["none", "pass", "manual"]) for t in TEST_IDS}))
def test_2017_is_half_of_2016_for_all_or_nothing_evidence(kinds: dict[str, str]) -> None:
    automated, manuals = build(kinds)
    new = score(automated, manuals, scale="2017", today=TODAY)
    old = score(automated, manuals, scale="2016", today=TODAY)
    assert new.final == old.final / 2
    assert new.band.index == old.band.index
    for section in SECTIONS:
        assert new.sections[section] == old.sections[section] / 2


@given(evidence_st)
def test_failed_check_scores_zero_whatever_manual_says(kinds: dict[str, str]) -> None:
    automated, manuals = build(kinds)
    card = score(automated, manuals, today=TODAY)
    for t in card.tests:
        if any(a.status in (Status.FAIL, Status.ERROR) for a in automated.get(t.test_id, [])):
            assert t.points == 0


# -- could not judge (Status.INCONCLUSIVE) ------------------------------------------


def test_inconclusive_only_scores_zero_as_unjudged() -> None:
    card = score(
        {
            "monitor.1": [
                AutomatedEvidence(
                    "builtin:monitor.1", Status.INCONCLUSIVE, "baseline just recorded"
                )
            ]
        },
        today=TODAY,
    )
    test = card.test("monitor.1")
    assert test.status == TestStatus.UNJUDGED == "unjudged"
    assert test.points == 0
    assert "could not judge" in test.reason and "baseline just recorded" in test.reason


def test_inconclusive_with_manual_evidence_keeps_the_manual_half_point() -> None:
    card = score(
        {"monitor.7": [auto(Status.INCONCLUSIVE, "builtin:monitor.7")]},
        {"monitor.7": manual("monitor.7")},
        today=TODAY,
    )
    test = card.test("monitor.7")
    assert test.status == TestStatus.MANUAL and test.points == 0.5
    assert "could not judge" in test.reason


def test_inconclusive_beside_a_pass_is_not_a_failure() -> None:
    card = score(
        {"infra.1": [auto(Status.INCONCLUSIVE), auto(Status.PASS, "test:t.py::t")]}, today=TODAY
    )
    assert card.test("infra.1").status == TestStatus.AUTOMATED
    assert card.test("infra.1").points == 1


def test_inconclusive_beside_a_failure_scores_zero() -> None:
    card = score(
        {"infra.1": [auto(Status.INCONCLUSIVE), auto(Status.FAIL)]},
        {"infra.1": manual("infra.1")},
        today=TODAY,
    )
    assert card.test("infra.1").status == TestStatus.FAILED
    assert card.test("infra.1").points == 0


@given(evidence_st, st.sampled_from(TEST_IDS))
def test_inconclusive_never_earns_an_automated_point(kinds: dict[str, str], test_id: str) -> None:
    kinds = dict(kinds)
    kinds[test_id] = "none"
    automated, manuals = build(kinds)
    automated[test_id] = [auto(Status.INCONCLUSIVE)]
    card = score(automated, manuals, today=TODAY)
    assert card.test(test_id).points == 0
    assert card.test(test_id).status == TestStatus.UNJUDGED
