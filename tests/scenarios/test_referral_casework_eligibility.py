"""Scenario tests for `eligibility.dmn`, second edition: every rule of the table through the real engine.

Each legal case of DOMAIN.md ("Eligibility, as the law words it") is a rule; each rule has at least one
referral driven through `referral_casework` to it, and the combinations that matter are driven too:
each Care Act / Wales exception alone makes the person eligible, each short-term MHA section does not,
IMCA `must` and `may`, safeguarding IMCA even with family.  Invariant: the reason names the law.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.scenarios.driver import Driver, FormInvalid

PROCESS = "referral_casework"
DMN = Path(__file__).resolve().parents[2] / "bpmn" / "eligibility.dmn"
MANAGER = "manager1"
REFERRAL = {
    "person_ref": "ADV-2026-0101",
    "referral_source": "social_worker",
    "advocacy_type": "care_act",
    "urgency": "standard",
}
DIFFICULTY = {
    "difficulty_understanding": True,
    "difficulty_retaining": False,
    "difficulty_weighing": False,
    "difficulty_communicating": False,
}
NO_DIFFICULTY = dict.fromkeys(DIFFICULTY, False)
EXCEPTIONS = (
    "appropriate_individual_not_wanted",
    "appropriate_individual_safeguarding_concern",
    "nhs_placement_likely",
    "authority_individual_disagree",
)


def individual(*true: str) -> dict[str, bool]:
    """An appropriate individual is available; the exceptions named are true, the others false."""
    return {**DIFFICULTY, "appropriate_individual_available": True, **{e: e in true for e in EXCEPTIONS}}


NO_INDIVIDUAL = {**DIFFICULTY, "appropriate_individual_available": False}


def imca(lacks: bool, decision: str | None = None, consult: bool | None = None) -> dict[str, Any]:
    answers: dict[str, Any] = {"lacks_capacity": lacks}
    if decision is not None:
        answers["imca_decision"] = decision
    if consult is not None:
        answers["anyone_appropriate_to_consult"] = consult
    return answers


def wales(answers: dict[str, Any], other: bool = False) -> dict[str, Any]:
    return {**answers, "other_advocacy_available": other}


# (rule, advocacy_type, answers, eligible, duty, words the reason must contain)
CA, WA, CARE_ACT, PART_10 = "care_act", "ipa_wales", "Care Act 2014", "Part 10 Code"
REGS = "Independent Advocacy Support"
MCA, ROLE, MHA = "Mental Capacity Act 2005", "Expansion of Role", "Mental Health Act 1983"
CASES: list[tuple[str, str, dict[str, Any], bool, str, list[str]]] = [
    (
        "care_act_no_difficulty",
        CA,
        {**NO_DIFFICULTY, "appropriate_individual_available": False},
        False,
        "none",
        [CARE_ACT, "s.67(4)"],
    ),
    (
        "care_act_no_difficulty",
        CA,
        {**NO_DIFFICULTY, **individual("nhs_placement_likely"), **NO_DIFFICULTY},
        False,
        "none",
        ["s.67(4)"],
    ),
    ("care_act_no_individual", CA, NO_INDIVIDUAL, True, "must", [CARE_ACT, "s.67(4)-(5)"]),
    (
        "care_act_no_individual",
        CA,
        {**NO_INDIVIDUAL, "difficulty_understanding": False, "difficulty_communicating": True},
        True,
        "must",
        ["s.67"],
    ),
    (
        "care_act_individual_not_wanted",
        CA,
        individual("appropriate_individual_not_wanted"),
        True,
        "must",
        ["s.67(5)-(6)"],
    ),
    ("care_act_individual_not_wanted", CA, individual(*EXCEPTIONS), True, "must", ["s.67"]),
    (
        "care_act_individual_safeguarding",
        CA,
        individual("appropriate_individual_safeguarding_concern"),
        True,
        "must",
        ["s.68"],
    ),
    (
        "care_act_individual_safeguarding",
        CA,
        individual("appropriate_individual_safeguarding_concern", "nhs_placement_likely"),
        True,
        "must",
        ["s.68"],
    ),
    (
        "care_act_nhs_placement",
        CA,
        individual("nhs_placement_likely"),
        True,
        "must",
        [REGS, "reg.4", "NHS-funded"],
    ),
    (
        "care_act_nhs_placement",
        CA,
        individual("nhs_placement_likely", "authority_individual_disagree"),
        True,
        "must",
        ["reg.4"],
    ),
    (
        "care_act_disagreement",
        CA,
        individual("authority_individual_disagree"),
        True,
        "must",
        [REGS, "reg.4", "disagree"],
    ),
    ("care_act_individual_supports", CA, individual(), False, "none", ["s.67(5)"]),
    (
        "ipa_wales_no_difficulty",
        WA,
        wales({**NO_DIFFICULTY, "appropriate_individual_available": False}),
        False,
        "none",
        [PART_10],
    ),
    (
        "ipa_wales_other_advocacy",
        WA,
        wales(NO_INDIVIDUAL, other=True),
        False,
        "none",
        [PART_10, "other forms of advocacy"],
    ),
    (
        "ipa_wales_other_advocacy",
        WA,
        wales(individual("appropriate_individual_not_wanted"), other=True),
        False,
        "none",
        [PART_10],
    ),
    ("ipa_wales_no_individual", WA, wales(NO_INDIVIDUAL), True, "must", [PART_10]),
    (
        "ipa_wales_individual_not_wanted",
        WA,
        wales(individual("appropriate_individual_not_wanted")),
        True,
        "must",
        [PART_10],
    ),
    (
        "ipa_wales_individual_safeguarding",
        WA,
        wales(individual("appropriate_individual_safeguarding_concern")),
        True,
        "must",
        [PART_10],
    ),
    ("ipa_wales_nhs_placement", WA, wales(individual("nhs_placement_likely")), True, "must", [PART_10]),
    (
        "ipa_wales_disagreement",
        WA,
        wales(individual("authority_individual_disagree")),
        True,
        "must",
        [PART_10],
    ),
    ("ipa_wales_individual_supports", WA, wales(individual()), False, "none", [PART_10]),
    ("imca_has_capacity", "imca", imca(False), False, "none", [MCA]),
    (
        "imca_serious_medical_treatment",
        "imca",
        imca(True, "serious_medical_treatment", False),
        True,
        "must",
        [MCA, "s.37"],
    ),
    (
        "imca_serious_medical_treatment_consult",
        "imca",
        imca(True, "serious_medical_treatment", True),
        False,
        "none",
        ["s.37"],
    ),
    (
        "imca_long_term_accommodation",
        "imca",
        imca(True, "long_term_accommodation", False),
        True,
        "must",
        [MCA, "ss.38-39", "39A"],
    ),
    (
        "imca_long_term_accommodation_consult",
        "imca",
        imca(True, "long_term_accommodation", True),
        False,
        "none",
        ["ss.38-39"],
    ),
    (
        "imca_accommodation_review",
        "imca",
        imca(True, "accommodation_review", False),
        True,
        "may",
        [ROLE, "reg.3"],
    ),
    (
        "imca_accommodation_review_consult",
        "imca",
        imca(True, "accommodation_review", True),
        False,
        "none",
        [ROLE],
    ),
    ("imca_care_review", "imca", imca(True, "care_review", False), True, "may", [ROLE, "reg.3"]),
    ("imca_care_review_consult", "imca", imca(True, "care_review", True), False, "none", [ROLE]),
    ("imca_safeguarding", "imca", imca(True, "safeguarding"), True, "may", [ROLE, "reg.4"]),
    ("imca_safeguarding", "imca", imca(True, "safeguarding", True), True, "may", ["even when family"]),
    ("imca_safeguarding", "imca", imca(True, "safeguarding", False), True, "may", [ROLE]),
    ("imha_detained", "imha", {"mha_status": "detained"}, True, "must", [MHA, "130C(2)(a)"]),
    ("imha_guardianship", "imha", {"mha_status": "guardianship"}, True, "must", ["130C(2)(b)"]),
    ("imha_cto", "imha", {"mha_status": "cto"}, True, "must", ["130C(2)(c)"]),
    (
        "imha_conditionally_discharged",
        "imha",
        {"mha_status": "conditionally_discharged"},
        True,
        "must",
        ["130C"],
    ),
    ("imha_informal_s57", "imha", {"mha_status": "informal_s57"}, True, "must", ["130C(3)", "s.57"]),
    ("imha_informal_under18_s58a", "imha", {"mha_status": "informal_under18_s58a"}, True, "must", ["s.58A"]),
    (
        "imha_short_term_section",
        "imha",
        {"mha_status": "short_term_section"},
        False,
        "none",
        ["ss.4, 5(2), 5(4), 135 or 136"],
    ),
    ("imha_not_qualifying", "imha", {"mha_status": "none"}, False, "none", [MHA, "s.130C"]),
    ("generic_meets_criteria", "generic", {"meets_service_criteria": True}, True, "may", ["Service policy"]),
    (
        "generic_outside_criteria",
        "generic",
        {"meets_service_criteria": False},
        False,
        "none",
        ["Service policy"],
    ),
]


def open_ids(driver: Driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def test_every_rule_of_the_table_has_a_scenario_and_an_annotation() -> None:
    root = etree.parse(str(DMN)).getroot()
    rules = root.xpath("//*[local-name()='rule']")
    assert sorted(r.get("id") for r in rules) == sorted({f"rule_{c[0]}" for c in CASES})
    for rule in rules:
        (annotation,) = rule.xpath("./*[local-name()='description']/text()")
        assert any(law in annotation for law in (CARE_ACT, PART_10, MCA, ROLE, MHA, "Service policy")), (
            rule.get("id")
        )
    outputs = root.xpath("//*[local-name()='output']/@name")
    assert outputs == ["eligible", "duty", "eligibility_reason"]


def test_the_table_is_unique_no_two_rules_match_one_case() -> None:
    """Hit policy UNIQUE: for each rule, every other rule of its kind differs in some column."""
    root = etree.parse(str(DMN)).getroot()
    assert root.xpath("//*[local-name()='decisionTable']/@hitPolicy") == ["UNIQUE"]
    rows = [
        [e.text for e in r.xpath("./*[local-name()='inputEntry']/*[local-name()='text']")]
        for r in root.xpath("//*[local-name()='rule']")
    ]
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            assert any(x != "-" and y != "-" and x != y for x, y in zip(a, b, strict=True)), (a, b)


@pytest.mark.parametrize(
    ("rule", "kind", "answers", "eligible", "duty", "words"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_eligibility_rule(
    driver: Driver, rule: str, kind: str, answers: dict, eligible: bool, duty: str, words: list[str]
) -> None:
    iid = driver.start(PROCESS, {**REFERRAL, "advocacy_type": kind}, business_key="ADV-2026-0101")
    driver.complete(iid, "assess_eligibility", {"advocacy_type": kind, **answers}, MANAGER)
    variables = driver.instance(iid)["variables"]
    assert (variables["eligible"], variables["duty"]) == (eligible, duty)
    for word in words:
        assert word in variables["eligibility_reason"], (rule, variables["eligibility_reason"])
    assert open_ids(driver, iid) == (["allocate_advocate"] if eligible else ["signpost"])


SHORT_TERM_NOT_ELIGIBLE = ["short_term_section", "none"]
QUALIFYING = [
    "detained",
    "guardianship",
    "cto",
    "conditionally_discharged",
    "informal_s57",
    "informal_under18_s58a",
]


@pytest.mark.parametrize("status", QUALIFYING + SHORT_TERM_NOT_ELIGIBLE)
def test_imha_by_mha_status(driver: Driver, status: str) -> None:
    iid = driver.start(PROCESS, {**REFERRAL, "advocacy_type": "imha"})
    driver.complete(iid, "assess_eligibility", {"advocacy_type": "imha", "mha_status": status}, MANAGER)
    assert driver.instance(iid)["variables"]["eligible"] is (status in QUALIFYING)


@pytest.mark.parametrize(
    ("kind", "answers", "field"),
    [
        (CA, {**DIFFICULTY, "appropriate_individual_available": True}, "nhs_placement_likely"),
        (
            CA,
            {k: v for k, v in individual().items() if k != "authority_individual_disagree"},
            "authority_individual_disagree",
        ),
        (WA, NO_INDIVIDUAL, "other_advocacy_available"),
        ("imca", {"lacks_capacity": True}, "imca_decision"),
        ("imca", imca(True, "long_term_accommodation"), "anyone_appropriate_to_consult"),
        ("imca", imca(True, "best_interests_meeting", False), "imca_decision"),
        ("imha", {}, "mha_status"),
        ("imha", {"mha_status": "section_2"}, "mha_status"),
        ("imha", {"qualifying_patient": True, "mha_status": "detained"}, "qualifying_patient"),
        ("imha", {"mha_status": "detained", "duty": "must"}, "duty"),
        (CA, {**NO_INDIVIDUAL, "statutory_process": "tribunal"}, "statutory_process"),
        (CA, {**NO_INDIVIDUAL, "setting": "ward"}, "setting"),
    ],
)
def test_assessment_asks_every_question_of_the_duty(
    driver: Driver, kind: str, answers: dict, field: str
) -> None:
    iid = driver.start(PROCESS, {**REFERRAL, "advocacy_type": kind})
    before = driver.history_types(iid)
    with pytest.raises(FormInvalid) as caught:
        driver.complete(iid, "assess_eligibility", {"advocacy_type": kind, **answers}, MANAGER)
    assert field in caught.value.errors
    assert open_ids(driver, iid) == ["assess_eligibility"] and driver.history_types(iid) == before


def test_process_and_setting_are_recorded_with_the_decision(driver: Driver) -> None:
    iid = driver.start(PROCESS, REFERRAL)
    answers = {
        "advocacy_type": CA,
        "statutory_process": "safeguarding_enquiry",
        "setting": "care_home",
        **NO_INDIVIDUAL,
    }
    driver.complete(iid, "assess_eligibility", answers, MANAGER)
    variables = driver.instance(iid)["variables"]
    assert (variables["statutory_process"], variables["setting"], variables["duty"]) == (
        "safeguarding_enquiry",
        "care_home",
        "must",
    )
