"""Migration of referral_casework from the first edition (tests/scenarios/first_edition) to the current one.

The current edition wraps allocation to closure in the subprocess ``open_case``: a case waiting at
its assessment moves and runs to its end on the new version (through the subprocess, with its new
safeguarding path); a case already allocating is refused naming ``allocate_advocate`` (an open task
cannot move into a subprocess) and its stored rows are unchanged byte for byte.  Replay is checked at
every seq against the live state recorded after each step, and the chain verified.
"""

from __future__ import annotations

from service.base.config import ROOT
from tests.scenarios.driver import Driver
from tests.scenarios.migration_check import FIRST, Recorder, deploy, migrate, rows, version

PROCESS = "referral_casework"
REFERRAL = {
    "person_ref": "ADV-2026-0401",
    "referral_source": "health",
    "advocacy_type": "imha",
    "urgency": "standard",
}


def _start(driver: Driver, record: Recorder, ref: str) -> str:
    iid = driver.start(PROCESS, {**REFERRAL, "person_ref": ref}, business_key=ref)
    record(iid)
    return iid


def test_a_case_at_assessment_moves_to_the_new_edition_and_runs_to_its_end(driver: Driver) -> None:
    deploy(driver, FIRST)
    record = Recorder(driver)
    waiting = _start(driver, record, "ADV-2026-0401")
    allocating = _start(driver, record, "ADV-2026-0402")
    driver.complete(
        allocating, "assess_eligibility", {"advocacy_type": "imha", "qualifying_patient": True}, "manager1"
    )
    record(allocating)
    old = version(driver, PROCESS)
    deploy(driver, ROOT)
    new = version(driver, PROCESS)
    assert new == old + 1
    before = {iid: rows(driver.db, iid) for iid in (waiting, allocating)}

    dry = migrate(driver, PROCESS, new, dry_run=True)
    by_id = {item["instance_id"]: item for item in dry}
    assert by_id[waiting] == {"instance_id": waiting, "from_version": old, "ok": True, "problems": []}
    refused = by_id[allocating]
    assert refused["ok"] is False and refused["from_version"] == old
    assert sorted(p["activity_id"] for p in refused["problems"]) == ["allocate_advocate", "allocation_sla"]
    assert all("subprocess" in p["message"] for p in refused["problems"])
    assert {iid: rows(driver.db, iid) for iid in before} == before, "a dry run writes nothing"

    items = migrate(driver, PROCESS, new)
    assert {i["instance_id"]: i["ok"] for i in items} == {waiting: True, allocating: False}
    assert rows(driver.db, allocating) == before[allocating], "a refused move changes nothing"
    record(waiting)
    moved = driver.instance(waiting)
    assert moved["status"] == "running"
    task = driver.task(waiting, "assess_eligibility")
    assert "mha_status" in task["form"]["properties"], "the new edition's form"
    # the case runs on the new edition: eligibility by mha_status, the open_case subprocess, safeguarding
    driver.complete(waiting, "assess_eligibility", {"advocacy_type": "imha", "mha_status": "cto"}, "manager1")
    record(waiting)
    assert driver.instance(waiting)["variables"]["duty"] == "must"
    assert driver.send_message("safeguarding_concern", "ADV-2026-0401", {}) == [waiting]
    record(waiting)
    steps = [
        ("allocate_advocate", {"advocate": "advocate1", "instruction": "instructed"}, "manager1"),
        (
            "safeguarding_decision",
            {
                "safeguarding_referred": True,
                "safeguarding_reference": "SG-2026-40",
                "safeguarding_advocate_role": "support_enquiry",
            },
            "manager1",
        ),
        (
            "first_contact",
            {"first_contact_at": "2026-01-05T15:00:00+00:00", "contact_method": "phone"},
            "advocate1",
        ),
        (
            "advocacy_work",
            {"work_date": "2026-01-06", "actions_taken": "Met.", "more_work_needed": False},
            "advocate1",
        ),
        (
            "record_outcomes",
            {
                "outcome_informed": "yes",
                "outcome_involved": "yes",
                "outcome_negotiated": "yes",
                "outcome_personal_achieved": "yes",
                "outcome_empowered": "yes",
                "voice_heard": True,
                "outcome_story": "Heard.",
                "story_shareable": False,
            },
            "advocate1",
        ),
        ("closure_review", {"closure_decision": "approve"}, "manager1"),
    ]
    for activity, data, who in steps:
        driver.complete(waiting, activity, data, who)
        record(waiting)
    assert (driver.instance(waiting)["status"], driver.instance(waiting)["end_state"]) == (
        "completed",
        "closed",
    )
    events = record.check(waiting)
    migrated = [e for e in events if e["type"] == "instance_migrated"]
    assert len(migrated) == 1 and migrated[0]["actor"] == "admin1"
    assert {k: migrated[0]["data"][k] for k in ("from_version", "to_version", "mapping")} == {
        "from_version": old,
        "to_version": new,
        "mapping": {},
    }
    record.check(allocating)
    # the refused case still runs on the first edition
    driver.complete(
        allocating, "allocate_advocate", {"advocate": "advocate1", "instruction": "instructed"}, "manager1"
    )
    record(allocating)
    record.check(allocating)


def test_migrating_again_to_the_same_version_is_refused_and_changes_nothing(driver: Driver) -> None:
    deploy(driver, FIRST)
    record = Recorder(driver)
    iid = _start(driver, record, "ADV-2026-0403")
    deploy(driver, ROOT)
    new = version(driver, PROCESS)
    assert migrate(driver, PROCESS, new)[0]["ok"] is True
    before = rows(driver.db, iid)
    again = migrate(driver, PROCESS, new, instance_ids=[iid])
    assert again[0]["ok"] is False and "already on version" in again[0]["problems"][0]["message"]
    assert migrate(driver, PROCESS, new) == [], "no running case of another version is left"
    assert rows(driver.db, iid) == before
