"""Running cases keep running: the second edition deploys beside the first, and a case started on the
first edition finishes on it (its own eligibility table, forms and path), while new referrals take the
second.  tests/scenarios/first_edition/ holds the first edition's files as they were deployed.
"""

from __future__ import annotations

from pathlib import Path

from service.base.config import ROOT
from service.cases import definitions, instances
from tests.scenarios.driver import Driver

FIRST = Path(__file__).resolve().parent / "first_edition"
REFERRAL = {
    "person_ref": "ADV-2026-0301",
    "referral_source": "health",
    "advocacy_type": "imha",
    "urgency": "standard",
}


def _deploy(driver: Driver, root: Path) -> None:
    files, forms = definitions.read_directory([root / "bpmn"], root / "forms")
    driver.db.run(definitions.deploy, files, forms, "admin1", strict_forms=False)


def _version(driver: Driver, iid: str) -> int:
    return driver.db.run(lambda s: instances.load_instance(s, iid)[0].version)


def test_a_first_edition_case_finishes_on_its_version_beside_the_second(driver: Driver) -> None:
    _deploy(driver, FIRST)  # the running service still had the first edition ...
    old = driver.start("referral_casework", REFERRAL, business_key="ADV-2026-0301")
    driver.complete(
        old, "assess_eligibility", {"advocacy_type": "imha", "qualifying_patient": True}, "manager1"
    )
    _deploy(driver, ROOT)  # ... when the second edition was deployed
    old_version = _version(driver, old)
    new = driver.start(
        "referral_casework", {**REFERRAL, "person_ref": "ADV-2026-0302"}, business_key="ADV-2026-0302"
    )
    assert _version(driver, new) == old_version + 1
    # the old case: first-edition forms (voice_heard for everyone, no Welsh reason), first-edition path
    driver.complete(
        old, "allocate_advocate", {"advocate": "advocate1", "instruction": "non_instructed"}, "manager1"
    )
    driver.complete(
        old,
        "first_contact",
        {"first_contact_at": "2026-01-05T15:00:00+00:00", "contact_method": "phone"},
        "advocate1",
    )
    driver.complete(
        old,
        "advocacy_work",
        {"work_date": "2026-01-06", "actions_taken": "Met.", "more_work_needed": False},
        "advocate1",
    )
    outcomes = {
        "outcome_informed": "yes",
        "outcome_involved": "yes",
        "outcome_negotiated": "yes",
        "outcome_personal_achieved": "yes",
        "outcome_empowered": "yes",
        "voice_heard": True,
        "outcome_story": "Heard.",
        "story_shareable": False,
    }
    driver.complete(old, "record_outcomes", outcomes, "advocate1")
    assert driver.send_message("safeguarding_concern", "ADV-2026-0301", {}) == [], (
        "no such path in the first edition"
    )
    driver.complete(old, "closure_review", {"closure_decision": "approve"}, "manager1")
    assert (driver.instance(old)["status"], driver.instance(old)["end_state"]) == ("completed", "closed")
    assert _version(driver, old) == old_version
    # the new one takes the second edition: mha_status, duty
    driver.complete(new, "assess_eligibility", {"advocacy_type": "imha", "mha_status": "cto"}, "manager1")
    assert driver.instance(new)["variables"]["duty"] == "must"
    assert driver.send_message("safeguarding_concern", "ADV-2026-0302", {}) == [new]
