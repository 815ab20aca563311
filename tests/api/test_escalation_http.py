"""sla_escalation over HTTP (issue 15): DOMAIN.md's field names only, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.flow import T0, Flow

MANAGER, COMMISSIONER = "manager1", "commissioner1"
BREACH = {
    "sla_key": "default",
    "source_instance_id": "referral_casework-1",
    "milestone": "first_contact",
    "due_at": "2026-01-05T09:00:00+00:00",
    "breached_at": "2026-01-05T09:00:00+00:00",
    "breaches_this_quarter": 1,
    "breach_threshold": 3,
}
REMEDY = {
    "cause": "Two advocates off sick in the same week.",
    "remedial_action": "Bank advocate cover agreed.",
}


@pytest.fixture
def flow(service, monkeypatch) -> Flow:
    return Flow(service, monkeypatch, "sla_escalation")


def start(flow: Flow, **changes) -> str:
    return flow.start("sla_escalation", {**BREACH, **changes}, MANAGER)["id"]


def plan(flow: Flow, iid: str, due: str) -> None:
    data = {"improvement_plan_summary": "Rota cover.", "improvement_due": due}
    flow.complete(iid, "agree_improvement_plan", data, COMMISSIONER)


@pytest.mark.parametrize(("breaches", "threshold"), [(4, 3), (9, 3), (1, 0)])
def test_above_the_threshold_the_manager_is_still_asked(flow, breaches, threshold):
    iid = start(flow, breaches_this_quarter=breaches, breach_threshold=threshold)
    assert flow.open_ids(iid) == ["contract_review", "manager_review"]
    [task] = [t for t in flow.instance(iid)["active_tasks"] if t["activity_id"] == "manager_review"]
    assert task["role"] == "manager"
    assert [d["activity_id"] for d in flow.deadlines(iid)] == ["manager_review_deadline"]
    flow.advance(T0 + timedelta(days=3))  # the response deadline passes: the manager's task stays open
    assert flow.open_ids(iid) == ["contract_review", "manager_review"]
    assert flow.task_id(iid, "manager_review", MANAGER) == task["id"], "the same task: non-interrupting"
    flow.complete(iid, "manager_review", REMEDY, MANAGER)
    flow.complete(iid, "contract_review", {"contract_review_outcome": "continue"}, COMMISSIONER)
    flow.ended(iid, "contract_continued")


def test_at_the_threshold_only_the_manager_is_asked_then_level_2_keeps_the_task(flow):
    iid = start(flow, breaches_this_quarter=3)
    assert flow.open_ids(iid) == ["manager_review"]
    flow.advance(T0 + timedelta(days=1, minutes=1))
    assert flow.open_ids(iid) == ["commissioner_review", "manager_review"]
    assert "task_cancelled" not in [e["type"] for e in flow.history(iid)]


@pytest.mark.parametrize("history", ["first_breach", "first_breach_above_threshold", "after_level_2"])
def test_decommission_at_a_first_breach_is_refused_naming_why(flow, history):
    if history == "after_level_2":
        iid = start(flow)
        flow.advance(T0 + timedelta(days=2))
        decision = {"commissioner_decision": "contract_review"}
        flow.complete(iid, "commissioner_review", decision, COMMISSIONER)
    else:
        iid = start(flow, breaches_this_quarter=1 if history == "first_breach" else 5, breach_threshold=0)
    errors = flow.refused(iid, "contract_review", {"contract_review_outcome": "decommission"}, COMMISSIONER)
    assert list(errors) == ["contract_review_outcome"]
    assert "improvement plan" in errors["contract_review_outcome"][0]
    smuggled = {"contract_review_outcome": "decommission", "improvement_outcome": "failed"}
    assert "improvement_outcome" in flow.refused(iid, "contract_review", smuggled, COMMISSIONER)
    assert "contract_review" in flow.open_ids(iid)


def test_an_improvement_plan_is_reviewed_at_improvement_due_and_may_improve(flow):
    iid = start(flow)
    flow.advance(T0 + timedelta(days=1, minutes=1))
    flow.complete(iid, "manager_review", REMEDY, MANAGER)
    flow.complete(iid, "commissioner_review", {"commissioner_decision": "improvement_plan"}, COMMISSIONER)
    plan(flow, iid, "2026-03-02")
    [deadline] = flow.deadlines(iid)
    due = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert deadline["activity_id"] == "improvement_due_reached"
    assert datetime.fromisoformat(deadline["due_at"]) == due
    flow.advance(due - timedelta(minutes=1))
    assert flow.open_ids(iid) == [] and flow.instance(iid)["status"] == "waiting"
    flow.advance(due)
    assert flow.open_ids(iid) == ["review_improvement_plan"]
    flow.complete(iid, "review_improvement_plan", {"improvement_outcome": "improved"}, COMMISSIONER)
    flow.ended(iid, "improved")


def test_a_failed_plan_goes_to_contract_review_where_decommission_is_open(flow):
    iid = start(flow, breaches_this_quarter=5)
    flow.complete(iid, "manager_review", REMEDY, MANAGER)
    flow.complete(iid, "contract_review", {"contract_review_outcome": "improvement_plan"}, COMMISSIONER)
    plan(flow, iid, "2026-02-02")
    flow.advance(datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    flow.complete(iid, "review_improvement_plan", {"improvement_outcome": "failed"}, COMMISSIONER)
    assert flow.open_ids(iid) == ["contract_review"]
    flow.complete(iid, "contract_review", {"contract_review_outcome": "decommission"}, COMMISSIONER)
    flow.ended(iid, "decommissioned")


def test_a_commissioner_cannot_accept_a_plan_nobody_wrote(flow):
    iid = start(flow)
    flow.advance(T0 + timedelta(days=1, minutes=1))
    errors = flow.refused(iid, "commissioner_review", {"commissioner_decision": "accept"}, COMMISSIONER)
    assert "remedial plan" in errors["commissioner_decision"][0]
