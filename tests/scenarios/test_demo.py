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
