"""Migration of sla_escalation, recruitment_vetting and commissioning_cycle from their first editions.

The first editions come from git history (sla_escalation at 7bcf9b6, recruitment_vetting and
commissioning_cycle at 69258a1, with their forms) and are kept in tests/scenarios/first_edition.
For each: instances started on the first edition and stopped at several points (a user task, a
waiting timer, parallel tasks, a message catch), a dry run, the migration, then each instance run
to its end on the current edition; replay is checked at every seq against the live state recorded
after each step, and the chain verified.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from service.base.config import ROOT
from service.store.models import ProcessInstance
from tests.scenarios.driver import Driver
from tests.scenarios.migration_check import FIRST, Recorder, deploy, migrate, rows, version
from tests.scenarios.test_commissioning_cycle import DATA as COMMISSIONING
from tests.scenarios.test_commissioning_cycle import RATIONALE
from tests.scenarios.test_commissioning_cycle import START as CYCLE
from tests.scenarios.test_recruitment_vetting import DATA as RECRUITMENT
from tests.scenarios.test_sla_escalation import BREACH, REMEDY

ACTORS = {"manager": "manager1", "commissioner": "commissioner1", "advocate": "advocate1"}


class Cases:
    """Instances of one process, each step recorded for all of them (a clock move may step several)."""

    def __init__(
        self, driver: Driver, data: dict[str, dict[str, Any]], messages: dict[str, dict] | None = None
    ):
        self.driver = driver
        self.data = data
        self.messages = messages or {}
        self.record = Recorder(driver)
        self.ids: list[str] = []

    def start(self, process: str, variables: dict, key: str, actor: str) -> str:
        iid = self.driver.start(process, variables, business_key=key, actor=actor)
        self.ids.append(iid)
        self.snap()
        return iid

    def snap(self) -> None:
        for iid in self.ids:
            self.record(iid)

    def open(self, iid: str) -> list[str]:
        return sorted(t["activity_id"] for t in self.driver.tasks(iid))

    def complete(self, iid: str, activity: str, **changes: Any) -> None:
        task = self.driver.task(iid, activity)
        who = task["assignee"] or ACTORS[task["role"]]
        data = {**self.data.get(activity, {}), **changes}
        fields = task["form"].get("properties")
        if fields is not None and task["form"].get("additionalProperties") is False:
            data = {k: v for k, v in data.items() if k in fields}  # a first-edition form asks less
        self.driver.complete(iid, activity, data, who)
        self.snap()

    def awaited(self, iid: str) -> list[str]:
        return self.driver.db.read(
            lambda s: list((s.get(ProcessInstance, iid).waiting_messages or {}).get("names", []))
        )

    def tick(self, iid: str) -> None:
        """Nothing open: deliver an awaited message we know, else move the clock to the next deadline."""
        instance = self.driver.instance(iid)
        for name in self.awaited(iid):
            if name in self.messages:
                assert self.driver.send_message(name, instance["business_key"], self.messages[name]) == [iid]
                self.snap()
                return
        deadlines = self.driver.deadlines(iid)
        assert deadlines, f"{iid} waits for nothing we can give: {self.awaited(iid)}"
        self.driver.advance_clock(min(d["due_at"] for d in deadlines) + timedelta(minutes=1))
        self.snap()

    def finish(self, iid: str, choices: dict[str, dict[str, Any]] | None = None, limit: int = 80) -> str:
        """Run ``iid`` to its end: each open task with its data (``choices`` first), else a message or a timer."""
        for _ in range(limit):
            if self.driver.instance(iid)["status"] == "completed":
                return self.driver.instance(iid)["end_state"]
            opened = self.open(iid)
            if opened:
                self.complete(iid, opened[0], **(choices or {}).get(opened[0], {}))
            else:
                self.tick(iid)
        raise AssertionError(f"{iid} did not end in {limit} steps: {self.open(iid)}")

    def check(self) -> None:
        for iid in self.ids:
            self.record.check(iid)


def _to_new(driver: Driver, process: str, cases: Cases) -> tuple[int, int]:
    old = version(driver, process)
    deploy(driver, ROOT, process)
    new = version(driver, process)
    assert new == old + 1
    before = {iid: rows(driver.db, iid) for iid in cases.ids}
    dry = migrate(driver, process, new, dry_run=True)
    assert sorted(i["instance_id"] for i in dry) == sorted(cases.ids)
    assert all(i["ok"] for i in dry), dry
    assert {iid: rows(driver.db, iid) for iid in cases.ids} == before, "a dry run writes nothing"
    moved = migrate(driver, process, new)
    assert sorted((i["instance_id"], i["ok"], i["from_version"]) for i in moved) == sorted(
        (i, True, old) for i in cases.ids
    )
    cases.snap()
    versions = driver.db.read(
        lambda s: set(s.scalars(select(ProcessInstance.version).where(ProcessInstance.id.in_(cases.ids))))
    )
    assert versions == {new}
    return old, new


def test_sla_escalation_first_edition_moves_at_the_review_and_refuses_a_level_2_it_could_not_finish(
    driver: Driver,
) -> None:
    deploy(driver, FIRST, "sla_escalation")
    cases = Cases(
        driver,
        {
            "manager_review": {**REMEDY, "remedial_action_by": "2026-01-12"},
            "commissioner_review": {"commissioner_decision": "contract_review"},
            "contract_review": {"contract_review_outcome": "continue"},
        },
    )
    level_2 = cases.start(
        "sla_escalation", {**BREACH, "source_instance_id": "referral-2"}, "esc-2", "manager1"
    )
    due = driver.deadlines(level_2)[0]["due_at"]
    driver.advance_clock(due + timedelta(minutes=1))  # the first edition's deadline interrupts the review
    cases.snap()
    assert cases.open(level_2) == ["commissioner_review"]
    breach = {**BREACH, "due_at": driver.now.isoformat(), "breached_at": driver.now.isoformat()}
    at_review = cases.start("sla_escalation", breach, "esc-1", "manager1")
    over = {**breach, "source_instance_id": "referral-3", "breaches_this_quarter": 4}
    contract = cases.start("sla_escalation", over, "esc-3", "manager1")
    assert cases.open(at_review) == ["manager_review"]
    [waiting] = driver.deadlines(at_review)
    old = version(driver, "sla_escalation")
    deploy(driver, ROOT, "sla_escalation")
    new = version(driver, "sla_escalation")
    before = {iid: rows(driver.db, iid) for iid in cases.ids}
    dry = {i["instance_id"]: i for i in migrate(driver, "sla_escalation", new, dry_run=True)}
    assert {iid: rows(driver.db, iid) for iid in cases.ids} == before, "a dry run writes nothing"
    # version 2 joins the manager's explanation and the commissioner's outcome; the first edition's
    # interrupting deadline withdrew the explanation, so the join would wait for ever: refused
    assert dry[level_2]["ok"] is False, dry[level_2]
    assert [p["activity_id"] for p in dry[level_2]["problems"]] == ["explanation_join"]
    moved = {i["instance_id"]: i for i in migrate(driver, "sla_escalation", new)}
    assert {k: v["ok"] for k, v in moved.items()} == {k: v["ok"] for k, v in dry.items()}
    assert rows(driver.db, level_2) == before[level_2]
    cases.snap()
    [rearmed] = driver.deadlines(at_review)
    assert rearmed["activity_id"] == "manager_review_deadline"
    assert rearmed["due_at"] == waiting["due_at"], "re-armed from the new diagram: the same working day"
    for iid in cases.ids:
        assert cases.finish(iid)
        assert driver.instance(iid)["status"] == "completed"
    cases.check()
    del old, contract


RECRUIT = {"vacancy_ref": "VAC-2026-014", "role_title": "Independent Advocate"}
CHECKS = ("obtain_references", "check_right_to_work", "verify_identity", "check_qualification")


def test_recruitment_vetting_first_edition_moves_at_parallel_checks_the_dbs_wait_and_induction(
    driver: Driver,
) -> None:
    deploy(driver, FIRST, "recruitment_vetting")
    cases = Cases(driver, RECRUITMENT, {"dbs_certificate_received": {"dbs_issue_date": "2026-01-15"}})
    interview = cases.start("recruitment_vetting", {**RECRUIT, "candidate_ref": "C-1"}, "C-1", "manager1")
    checks = cases.start("recruitment_vetting", {**RECRUIT, "candidate_ref": "C-2"}, "C-2", "manager1")
    dbs = cases.start("recruitment_vetting", {**RECRUIT, "candidate_ref": "C-3"}, "C-3", "manager1")
    for iid in (checks, dbs):
        cases.complete(iid, "values_based_interview")
        cases.complete(iid, "conditional_offer")
    assert cases.open(checks) == sorted([*CHECKS, "submit_dbs_application"])
    cases.complete(dbs, "submit_dbs_application")
    for task in CHECKS:
        cases.complete(dbs, task)
    assert cases.open(dbs) == [] and "dbs_certificate_received" in cases.awaited(dbs)
    assert [d["activity_id"] for d in driver.deadlines(dbs)] == ["dbs_chase_timer"]
    _to_new(driver, "recruitment_vetting", cases)
    assert cases.open(checks) == sorted([*CHECKS, "submit_dbs_application"]), "the parallel tasks kept"
    assert "dbs_certificate_received" in cases.awaited(dbs), "the message is still awaited"
    assert [d["activity_id"] for d in driver.deadlines(dbs)] == ["dbs_chase_timer"]
    for iid in cases.ids:
        assert cases.finish(iid, limit=120)
    cases.check()
    del interview


def test_commissioning_cycle_first_edition_moves_at_analysis_at_the_tender_timer_and_in_monitoring(
    driver: Driver,
) -> None:
    deploy(driver, FIRST, "commissioning_cycle")
    choices = {
        "quarterly_monitoring": {"review_due": True},
        "decide_next_cycle": {"review_decision": "decommission", "review_rationale": RATIONALE},
        "decide_next_cycle_final": {"review_decision": "decommission", "review_rationale": RATIONALE},
    }
    cases = Cases(
        driver,
        {k: {**v, **choices.get(k, {})} for k, v in COMMISSIONING.items()}
        | {k: v for k, v in choices.items() if k not in COMMISSIONING},
    )
    analysis = cases.start("commissioning_cycle", CYCLE, "cycle-1", "commissioner1")
    monitoring = cases.start("commissioning_cycle", CYCLE, "cycle-3", "commissioner1")
    for _ in range(60):  # on to the first quarter's monitoring timer (a cycle timer in the deliver stage)
        if not cases.open(monitoring) and [d["activity_id"] for d in driver.deadlines(monitoring)] == [
            "quarter_timer"
        ]:
            break
        if cases.open(monitoring):
            cases.complete(monitoring, cases.open(monitoring)[0])
        else:
            cases.tick(monitoring)
    [quarter] = driver.deadlines(monitoring)
    assert quarter["activity_id"] == "quarter_timer"
    tender = cases.start("commissioning_cycle", CYCLE, "cycle-2", "commissioner1")
    while "publish_tender" not in cases.open(tender):
        cases.complete(tender, cases.open(tender)[0])
    cases.complete(tender, "publish_tender", tender_closing_date="2030-03-04")  # after the clock's moves
    assert cases.open(tender) == [] and [d["activity_id"] for d in driver.deadlines(tender)] == [
        "tender_closes"
    ]
    _to_new(driver, "commissioning_cycle", cases)
    assert [d["activity_id"] for d in driver.deadlines(tender)] == ["tender_closes"]
    assert [(d["activity_id"], d["due_at"]) for d in driver.deadlines(monitoring)] == [
        ("quarter_timer", quarter["due_at"])
    ], "an unchanged timer keeps its moment"
    for iid in cases.ids:
        assert cases.finish(iid, limit=150)
    cases.check()
    del analysis
