"""`advocacy-flow demo`: realistic data at every step of every process, loaded through the use cases.

Runs the command line as an operator would (`deploy`, then `demo` twice) against a fresh SQLite
file and reads what it left in the database.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from service.base.config import ROOT
from service.demo import DEMO_PASSWORD, DEMO_USERS


def cli(url: str, *args: str) -> str:
    env = {**os.environ, "ADVOCACY_FLOW_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    cli(url, "deploy")
    return url, [cli(url, "demo"), cli(url, "demo")]


def rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def open_tasks(url: str, process: str) -> set[str]:
    return {
        activity
        for (activity,) in rows(
            url, f"SELECT activity_id FROM tasks WHERE status = 'open' AND process_key = '{process}'"
        )
    }


def end_states(url: str, process: str) -> set[str]:
    sql = f"SELECT end_state FROM process_instances WHERE process_key = '{process}' AND status = 'completed'"
    return {end for (end,) in rows(url, sql)}


def test_demo_prints_the_logins_and_a_second_run_changes_nothing(demo) -> None:
    url, (first, second) = demo
    for output in (first, second):
        assert DEMO_PASSWORD in output
        assert all(re.search(rf"\b{user}\s+{role}\b", output) for user, role in DEMO_USERS)
    assert "already" in second and "nothing changed" in second
    assert rows(url, "SELECT username, role FROM users ORDER BY username") == sorted(DEMO_USERS)


def test_sla_records_besides_the_default(demo) -> None:
    url, _ = demo
    keys = {key for (key,) in rows(url, "SELECT key FROM slas")}
    assert len(keys) >= 3 and "default" in keys


def test_a_commissioning_cycle_in_each_stage(demo) -> None:
    url, _ = demo
    sql = (
        "SELECT stage FROM process_instances WHERE process_key = 'commissioning_cycle' AND status = 'running'"
    )
    assert sorted(stage for (stage,) in rows(url, sql)) == ["analyse", "deliver", "plan", "review"]


def test_referrals_at_each_step(demo) -> None:
    url, _ = demo
    steps = {"assess_eligibility", "signpost", "allocate_advocate", "first_contact", "advocacy_work"}
    assert steps | {"record_outcomes", "closure_review"} <= open_tasks(url, "referral_casework")
    assert {"closed", "not_eligible"} <= end_states(url, "referral_casework")
    refs = rows(url, "SELECT variables FROM process_instances WHERE process_key = 'referral_casework'")
    assert all(re.search(r'"person_ref": ?"P-\d{4}"', variables) for (variables,) in refs)


def test_the_second_editions_paths_are_in_the_demo(demo) -> None:
    url, _ = demo
    assert {"closed", "not_eligible", "referred_back", "ended_early"} <= end_states(url, "referral_casework")
    assert "safeguarding_decision" in open_tasks(url, "referral_casework")
    cases = {
        json.loads(v)["person_ref"]: json.loads(v)
        for (v,) in rows(
            url, "SELECT variables FROM process_instances WHERE process_key = 'referral_casework'"
        )
    }
    assert cases["P-1009"]["advocacy_type"] == "imha" and cases["P-1009"]["duty"] == "must", "typed IMHA"
    welsh = cases["P-1016"]
    assert (welsh["welsh_medium_requested"], welsh["welsh_medium_provided"], welsh["advocate"]) == (
        True,
        True,
        "advocate2",
    )
    assert cases["P-1017"]["safeguarding_referred"] is True
    assert cases["P-1019"]["end_reason"] == "person_declined"
    languages = dict(rows(url, "SELECT username, languages FROM users WHERE role = 'advocate'"))
    assert "cy" in json.loads(languages["advocate2"]) and "cy" not in json.loads(languages["advocate1"])


def instances(url: str, process: str) -> dict[str, tuple[str, str | None, dict]]:
    """business key -> (status, end_state, variables) of each instance of ``process``."""
    sql = (
        "SELECT business_key, status, end_state, variables FROM process_instances "
        f"WHERE process_key = '{process}'"
    )
    return {key: (status, end, json.loads(v)) for key, status, end, v in rows(url, sql)}


def events(url: str, key: str, kind: str) -> list[tuple[str | None, str | None, dict]]:
    """(actor, activity_id, data) of the ``kind`` events of the instance with business key ``key``."""
    sql = (
        "SELECT h.actor, h.activity_id, h.data FROM history_events h "
        "JOIN process_instances p ON p.id = h.instance_id "
        f"WHERE p.business_key = '{key}' AND h.type = '{kind}' ORDER BY h.seq"
    )
    return [(actor, activity, json.loads(data or "{}")) for actor, activity, data in rows(url, sql)]


def completed(url: str, key: str, activity: str) -> dict:
    (found,) = [data["data"] for _, act, data in events(url, key, "task_completed") if act == activity]
    return found


def test_complaints_end_resolved_and_escalated_to_each_ombudsman(demo) -> None:
    url, _ = demo
    complaints = instances(url, "complaint")
    ends = {key: (status, end) for key, (status, end, _) in complaints.items()}
    assert ends["COMP-2026-001"] == ("completed", "resolved")
    assert ends["COMP-2026-002"] == ends["COMP-2026-003"] == ("completed", "escalated")
    assert "investigate_complaint" in open_tasks(url, "complaint"), "one still being investigated"
    slas = dict(rows(url, "SELECT key, commissioner FROM slas"))
    for key, ombudsman, sla in (
        ("COMP-2026-002", "lgsco", "north-borough-2026"),
        ("COMP-2026-003", "pspow", "cwm-vale-2026"),
    ):
        variables = complaints[key][2]
        assert (variables["ombudsman"], variables["sla_key"]) == (ombudsman, sla)
        assert variables["complainant_satisfied"] is False
        (actor, _, _) = next(e for e in events(url, key, "task_completed") if e[1] == "level_2_review")
        assert actor == "commissioner1"
    assert "Council" in slas["north-borough-2026"] and "Cwm Vale" in slas["cwm-vale-2026"]
    referrals = instances(url, "referral_casework")
    for _, _, variables in complaints.values():
        if variables.get("investigator"):
            advocate = referrals[variables["case_ref"]][2]["advocate"]
            assert variables["investigator"] == "manager2" != advocate, "not the case's advocate"
    assert complaints["COMP-2026-001"][2]["complainant_satisfied"] is True


def test_a_task_reassigned_by_a_manager(demo) -> None:
    url, _ = demo
    (claimed,) = events(url, "P-1020", "task_claimed")
    assert claimed == ("manager1", "first_contact", {"assignee": "advocate2", "reassigned_from": "advocate1"})
    held = rows(
        url,
        "SELECT t.assignee, t.status FROM tasks t JOIN process_instances p ON p.id = t.instance_id "
        "WHERE p.business_key = 'P-1020' AND t.activity_id = 'first_contact'",
    )
    assert held == [("advocate2", "open")]


def test_cases_ended_early_by_the_step_and_by_a_cancel_with_a_reason_code(demo) -> None:
    url, _ = demo
    referrals = instances(url, "referral_casework")
    assert referrals["P-1021"][:2] == ("cancelled", None)
    assert referrals["P-1021"][2]["end_reason"] == "moved_out_of_area"
    (cancel,) = events(url, "P-1021", "instance_cancelled")
    assert cancel[0] == "manager2" and cancel[2]["reason_code"] == "moved_out_of_area"
    assert referrals["P-1019"][:2] == ("completed", "ended_early")
    (asked,) = events(url, "P-1019", "message_received")
    assert (asked[0], asked[2]["name"]) == ("manager1", "end_case_early_requested")
    assert completed(url, "P-1019", "end_case_early") == {"end_reason": "person_declined"}


def test_safeguarding_raised_mid_case_one_decided_one_open(demo) -> None:
    url, _ = demo
    for key, advocate in (("P-1017", "advocate1"), ("P-1005", "advocate2")):
        (raised,) = events(url, key, "message_received")
        assert raised[0] == advocate and raised[2]["name"] == "safeguarding_concern", key
    assert completed(url, "P-1017", "safeguarding_decision")["safeguarding_referred"] is True
    assert instances(url, "referral_casework")["P-1017"][2]["safeguarding_reference"] == "SG-2026-0041"
    still_open = rows(
        url,
        "SELECT p.business_key FROM tasks t JOIN process_instances p ON p.id = t.instance_id "
        "WHERE t.activity_id = 'safeguarding_decision' AND t.status = 'open'",
    )
    assert still_open == [("P-1005",)]
    assert "advocacy_work" in {
        act
        for (act,) in rows(
            url,
            "SELECT t.activity_id FROM tasks t JOIN process_instances p ON p.id = t.instance_id "
            "WHERE p.business_key = 'P-1005' AND t.status = 'open'",
        )
    }, "the case goes on"


def test_an_imha_referral_typed_imha_and_a_welsh_medium_one_for_a_welsh_speaker(demo) -> None:
    url, _ = demo
    referrals = instances(url, "referral_casework")
    imha = referrals["P-1009"]
    assert imha[:2] == ("completed", "closed")
    assert (imha[2]["advocacy_type"], imha[2]["mha_status"], imha[2]["eligible"]) == (
        "imha",
        "detained",
        True,
    )
    welsh = referrals["P-1016"][2]
    assert (welsh["advocacy_type"], welsh["sla_key"], welsh["preferred_language"]) == (
        "ipa_wales",
        "cwm-vale-2026",
        "cy",
    )
    assert completed(url, "P-1016", "allocate_advocate")["advocate"] == "advocate2"
    languages = dict(rows(url, "SELECT username, languages FROM users WHERE username = 'advocate2'"))
    assert "cy" in json.loads(languages["advocate2"])


def test_a_non_instructed_case_closed_with_rights_upheld(demo) -> None:
    url, _ = demo
    status, end, variables = instances(url, "referral_casework")["P-1022"]
    assert (status, end, variables["instruction"]) == ("completed", "closed", "non_instructed")
    outcomes = completed(url, "P-1022", "record_outcomes")
    assert outcomes["rights_upheld"] == "partly" and "voice_heard" not in outcomes


def test_equality_monitoring_on_several_referrals_some_declined_some_blank(demo) -> None:
    url, _ = demo
    fields = ("age_band", "sex", "ethnicity", "disability", "primary_need", "carer", "preferred_language")
    monitored = {
        key: {f: v[f] for f in fields if f in v}
        for key, (_, _, v) in instances(url, "referral_casework").items()
    }
    filled = {key for key, answers in monitored.items() if answers}
    assert {"P-1001", "P-1006", "P-1008", "P-1016", "P-1022"} <= filled
    assert "prefer_not_to_say" in monitored["P-1001"].values()
    assert set(monitored["P-1008"].values()) == {"prefer_not_to_say"}
    assert len(monitored) - len(filled) >= 5, "most referrals leave it blank"


def test_an_authority_instructed_referral_not_eligible_is_referred_back(demo) -> None:
    url, _ = demo
    status, end, variables = instances(url, "referral_casework")["P-1018"]
    assert (status, end, variables["authority_instructed"], variables["eligible"]) == (
        "completed",
        "referred_back",
        True,
        False,
    )
    assert completed(url, "P-1018", "refer_back_to_authority")["referred_back_to"]
    assert "signpost" not in {act for _, act, _ in events(url, "P-1018", "task_ready")}, "never signposted"


def test_some_referrals_are_overdue_and_some_escalated(demo) -> None:
    url, _ = demo
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    overdue = rows(
        url,
        "SELECT d.milestone FROM deadlines d JOIN process_instances p ON p.id = d.instance_id "
        f"WHERE p.process_key = 'referral_casework' AND d.status = 'pending' AND d.due_at < '{now}'",
    )
    assert {"allocation", "first_contact"} <= {m for (m,) in overdue}, "left for the scheduler"
    escalations = rows(
        url, "SELECT status FROM process_instances WHERE process_key = 'sla_escalation' ORDER BY status"
    )
    assert len(escalations) >= 2 and ("running",) in escalations
    assert "commissioner_review" in open_tasks(url, "sla_escalation")
    breached = rows(url, "SELECT count(*) FROM history_events WHERE type = 'escalation_started'")
    assert breached[0][0] == len(escalations)


def test_candidates_at_each_check(demo) -> None:
    url, _ = demo
    checks = {"values_based_interview", "conditional_offer", "submit_dbs_application", "obtain_references"}
    checks |= {"check_right_to_work", "verify_identity", "check_qualification", "chase_dbs_certificate"}
    checks |= {"disclosure_risk_assessment", "induction", "probation_review"}
    assert checks <= open_tasks(url, "recruitment_vetting")
    assert "withdrawn_barred" in end_states(url, "recruitment_vetting")


def test_the_first_manager_printed_has_work_on_the_first_screen(demo) -> None:
    url, outputs = demo
    printed = [line.split()[0] for line in outputs[0].splitlines() if line.strip().endswith(" manager")]
    first = printed[0]
    held = rows(url, f"SELECT COUNT(*) FROM tasks WHERE status = 'open' AND assignee = '{first}'")[0][0]
    assert held >= 1
    assert f"log in as {first}" in outputs[0]
    claimed = rows(
        url, f"SELECT COUNT(*) FROM history_events WHERE type = 'task_claimed' AND actor = '{first}'"
    )
    assert claimed[0][0] >= held
