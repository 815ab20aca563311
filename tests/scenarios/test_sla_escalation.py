"""Scenario tests for `sla_escalation` (bpmn/sla_escalation.bpmn): every path.

Written against the Driver contract (DRIVER_CONTRACT.md) only.  Level 1 is the
manager's explanation within the SLA's escalation response target (the default
SLA: one working day after the breach); missing it goes to the commissioner
(level 2); more breaches in a quarter than the SLA's threshold go straight to
contract review.  The escalation only ever holds the breach, never case content.

The last section checks, for both processes of this file pair (referral_casework
and sla_escalation), what the modelling conventions ask of the diagrams and forms.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from service.cases import slas
from tests.scenarios.driver import Driver, FormInvalid

PROCESS = "sla_escalation"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday
REPO = Path(__file__).resolve().parents[2]
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


def open_ids(driver: Driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def refused(call: Callable[..., Any], *args: Any) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as caught:
        call(*args)
    return caught.value.errors


def start(driver: Driver, **overrides: Any) -> str:
    return driver.start(PROCESS, {**BREACH, **overrides}, actor=MANAGER)


def ended(driver: Driver, iid: str, end_state: str) -> None:
    state = driver.instance(iid)
    assert (state["status"], state["end_state"]) == ("completed", end_state)
    assert driver.tasks(iid) == [] and driver.deadlines(iid) == []


def to_level_2(driver: Driver) -> str:
    iid = start(driver)
    driver.advance_clock(T0 + timedelta(days=1, minutes=1))
    assert open_ids(driver, iid) == ["commissioner_review", "manager_review"]
    return iid


# -- level 1 ----------------------------------------------------------------------------


def test_manager_explains_in_time(driver: Driver) -> None:
    iid = start(driver)
    task = driver.task(iid, "manager_review")
    assert (task["role"], task["assignee"]) == ("manager", None)
    [deadline] = driver.deadlines(iid)
    assert (deadline["activity_id"], deadline["kind"]) == ("manager_review_deadline", "timer")
    assert deadline["due_at"] == T0 + timedelta(days=1)
    driver.advance_clock(T0 + timedelta(hours=23))
    driver.complete(iid, "manager_review", {**REMEDY, "remedial_action_by": "2026-01-12"}, "manager2")
    ended(driver, iid, "resolved")
    assert driver.history_types(iid) == [
        "instance_started",
        "task_ready",
        "task_completed",
        "instance_completed",
    ]
    assert driver.instance(iid)["variables"]["cause"] == REMEDY["cause"]
    driver.advance_clock(T0 + timedelta(days=10))
    assert "timer_fired" not in driver.history_types(iid)


@pytest.mark.parametrize(
    ("breached_at", "due_at"),
    [
        ("2026-01-09T10:00:00+00:00", datetime(2026, 1, 12, 10, 0, tzinfo=UTC)),  # Friday -> Monday
        ("2025-12-24T10:00:00+00:00", datetime(2025, 12, 29, 10, 0, tzinfo=UTC)),  # Christmas and Boxing Day
    ],
)
def test_response_deadline_counts_working_days(driver: Driver, breached_at: str, due_at: datetime) -> None:
    driver.now = datetime.fromisoformat(breached_at)
    iid = start(driver, due_at=breached_at, breached_at=breached_at)
    assert [d["due_at"] for d in driver.deadlines(iid)] == [due_at]


def test_missed_response_opens_level_2_and_the_manager_task_stays_open(driver: Driver) -> None:
    iid = start(driver)
    driver.advance_clock(T0 + timedelta(hours=23))
    assert open_ids(driver, iid) == ["manager_review"]
    manager_task = driver.task(iid, "manager_review")["id"]
    driver.advance_clock(T0 + timedelta(days=1, minutes=1))
    assert open_ids(driver, iid) == ["commissioner_review", "manager_review"]
    assert driver.task(iid, "manager_review")["id"] == manager_task, "non-interrupting: the same task"
    assert driver.task(iid, "commissioner_review")["role"] == "commissioner"
    assert driver.deadlines(iid) == [] and driver.instance(iid)["status"] == "running"
    history = driver.history_types(iid)
    assert "task_cancelled" not in history
    assert history.index("timer_fired") < history.index("task_ready", 2)
    assert "deadline_breached" not in history, "the escalation's own deadline is not an SLA milestone"


def test_a_late_explanation_reaches_the_commissioner_who_may_then_accept_it(driver: Driver) -> None:
    iid = to_level_2(driver)
    driver.complete(iid, "manager_review", REMEDY, MANAGER)
    assert open_ids(driver, iid) == ["commissioner_review"]
    driver.complete(iid, "commissioner_review", {"commissioner_decision": "accept"}, COMMISSIONER)
    ended(driver, iid, "remedy_accepted")


def test_the_commissioner_cannot_accept_a_plan_nobody_wrote(driver: Driver) -> None:
    iid = to_level_2(driver)
    before = (driver.history_types(iid), driver.instance(iid)["variables"])
    accept = {"commissioner_decision": "accept"}
    errors = refused(driver.complete, iid, "commissioner_review", accept, COMMISSIONER)
    assert "remedial plan" in errors["commissioner_decision"][0]
    assert (driver.history_types(iid), driver.instance(iid)["variables"]) == before
    assert open_ids(driver, iid) == ["commissioner_review", "manager_review"]


def test_an_outcome_decided_first_waits_for_the_explanation(driver: Driver) -> None:
    iid = to_level_2(driver)
    driver.complete(iid, "commissioner_review", {"commissioner_decision": "contract_review"}, COMMISSIONER)
    driver.complete(iid, "contract_review", {"contract_review_outcome": "continue"}, COMMISSIONER)
    assert open_ids(driver, iid) == ["manager_review"]
    assert driver.instance(iid)["status"] == "running"
    driver.complete(iid, "manager_review", REMEDY, MANAGER)
    ended(driver, iid, "contract_continued")


# -- level 2, improvement plans and contract review -------------------------------------------


def explained(driver: Driver, iid: str) -> None:
    driver.complete(iid, "manager_review", REMEDY, MANAGER)


def plan(driver: Driver, iid: str, due: str = "2026-03-02") -> None:
    data = {"improvement_plan_summary": "Rota cover.", "improvement_due": due}
    driver.complete(iid, "agree_improvement_plan", data, COMMISSIONER)


def test_commissioner_asks_for_an_improvement_plan_reviewed_at_its_due_date(driver: Driver) -> None:
    iid = to_level_2(driver)
    explained(driver, iid)
    driver.complete(iid, "commissioner_review", {"commissioner_decision": "improvement_plan"}, COMMISSIONER)
    assert driver.task(iid, "agree_improvement_plan")["role"] == "commissioner"
    plan(driver, iid)
    [deadline] = driver.deadlines(iid)
    due = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert (deadline["activity_id"], deadline["due_at"]) == ("improvement_due_reached", due)
    assert driver.tasks(iid) == [] and driver.instance(iid)["status"] == "waiting"
    driver.advance_clock(due - timedelta(minutes=1))
    assert driver.tasks(iid) == []
    driver.advance_clock(due)
    assert open_ids(driver, iid) == ["review_improvement_plan"]
    driver.complete(iid, "review_improvement_plan", {"improvement_outcome": "improved"}, COMMISSIONER)
    ended(driver, iid, "improved")


def test_a_failed_plan_goes_to_contract_review_where_decommission_opens(driver: Driver) -> None:
    iid = to_level_2(driver)
    explained(driver, iid)
    driver.complete(iid, "commissioner_review", {"commissioner_decision": "improvement_plan"}, COMMISSIONER)
    plan(driver, iid)
    driver.advance_clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    driver.complete(iid, "review_improvement_plan", {"improvement_outcome": "failed"}, COMMISSIONER)
    assert open_ids(driver, iid) == ["contract_review"]
    driver.complete(iid, "contract_review", {"contract_review_outcome": "decommission"}, COMMISSIONER)
    ended(driver, iid, "decommissioned")


def test_commissioner_opens_a_contract_review(driver: Driver) -> None:
    iid = to_level_2(driver)
    decision = {"commissioner_decision": "contract_review", "commissioner_notes": "Third breach this month."}
    driver.complete(iid, "commissioner_review", decision, COMMISSIONER)
    assert open_ids(driver, iid) == ["contract_review", "manager_review"]
    assert driver.task(iid, "contract_review")["role"] == "commissioner"
    explained(driver, iid)
    driver.complete(iid, "contract_review", {"contract_review_outcome": "continue"}, COMMISSIONER)
    ended(driver, iid, "contract_continued")


def test_contract_review_may_ask_for_a_plan_and_loop_back_after_it_fails(driver: Driver) -> None:
    iid = start(driver, breaches_this_quarter=5)
    explained(driver, iid)
    driver.complete(iid, "contract_review", {"contract_review_outcome": "improvement_plan"}, COMMISSIONER)
    plan(driver, iid, "2026-02-02")
    driver.advance_clock(datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    driver.complete(iid, "review_improvement_plan", {"improvement_outcome": "failed"}, COMMISSIONER)
    driver.complete(iid, "contract_review", {"contract_review_outcome": "improvement_plan"}, COMMISSIONER)
    plan(driver, iid, "2026-03-02")
    driver.advance_clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    driver.complete(iid, "review_improvement_plan", {"improvement_outcome": "improved"}, COMMISSIONER)
    ended(driver, iid, "improved")


# -- the invariant: no decommission without a failed improvement plan ----------------------


def _other_plan(driver: Driver, sla_key: str, outcome: str | None) -> None:
    if sla_key != "default":  # another provider's SLA, as SLA negotiation would record it
        record = {
            "provider": "Other Advocacy",
            "commissioner": "North Borough",
            "targets": {"allocation": "P1D", "escalation_response": "P1D"},
        }
        driver.db.run(slas.save_sla, sla_key, record, create=True)
    other = start(driver, breaches_this_quarter=9, sla_key=sla_key)
    driver.complete(other, "contract_review", {"contract_review_outcome": "improvement_plan"}, COMMISSIONER)
    plan(driver, other, "2026-01-20")
    if outcome:
        driver.advance_clock(datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
        driver.complete(other, "review_improvement_plan", {"improvement_outcome": outcome}, COMMISSIONER)


@pytest.mark.parametrize(
    "history",
    [
        "first_breach_above_threshold",
        "after_level_2",
        "plan_improved",
        "failed_for_another_sla",
        "plan_running",
    ],
)
def test_decommission_is_refused_without_a_failed_plan_for_that_sla(driver: Driver, history: str) -> None:
    if history == "plan_improved":
        _other_plan(driver, "default", "improved")
    elif history == "failed_for_another_sla":
        _other_plan(driver, "other", "failed")
    elif history == "plan_running":
        _other_plan(driver, "default", None)
    if history == "after_level_2":
        iid = start(driver)
        driver.advance_clock(driver.now + timedelta(days=3))
        driver.complete(
            iid, "commissioner_review", {"commissioner_decision": "contract_review"}, COMMISSIONER
        )
    else:
        iid = start(driver, breaches_this_quarter=4)
    before = (driver.history_types(iid), driver.instance(iid)["variables"])
    for data in (
        {"contract_review_outcome": "decommission"},
        {"contract_review_outcome": "decommission", "contract_review_notes": "improvement_outcome: failed"},
    ):
        errors = refused(driver.complete, iid, "contract_review", data, COMMISSIONER)
        assert "improvement plan" in errors["contract_review_outcome"][0]
    for data in (  # smuggling the variable in, or another spelling: the form refuses those
        {"contract_review_outcome": "decommission", "improvement_outcome": "failed"},
        {"contract_review_outcome": "Decommission"},
        {"contract_review_outcome": ["decommission"]},
    ):
        assert refused(driver.complete, iid, "contract_review", data, COMMISSIONER)
    assert (driver.history_types(iid), driver.instance(iid)["variables"]) == before
    assert "contract_review" in open_ids(driver, iid)


def test_decommission_opens_after_a_plan_for_that_sla_failed_in_an_earlier_escalation(driver: Driver) -> None:
    _other_plan(driver, "default", "failed")
    later = start(driver, breaches_this_quarter=10)
    explained(driver, later)
    driver.complete(later, "contract_review", {"contract_review_outcome": "decommission"}, COMMISSIONER)
    ended(driver, later, "decommissioned")


@pytest.mark.parametrize(
    ("breaches", "threshold", "first_tasks"),
    [
        (1, 3, ["manager_review"]),
        (3, 3, ["manager_review"]),
        (4, 3, ["contract_review", "manager_review"]),
        (1, 0, ["contract_review", "manager_review"]),
    ],
)
def test_above_threshold_the_manager_is_still_asked_and_the_contract_reviewed(
    driver: Driver, breaches: int, threshold: int, first_tasks: list[str]
) -> None:
    iid = start(driver, breaches_this_quarter=breaches, breach_threshold=threshold)
    assert open_ids(driver, iid) == first_tasks
    assert [d["activity_id"] for d in driver.deadlines(iid)] == ["manager_review_deadline"]
    if len(first_tasks) == 2:
        driver.advance_clock(T0 + timedelta(days=2))  # the deadline passes: no second commissioner task
        assert open_ids(driver, iid) == first_tasks
        driver.complete(iid, "contract_review", {"contract_review_outcome": "continue"}, COMMISSIONER)
        assert open_ids(driver, iid) == ["manager_review"]
        explained(driver, iid)
        ended(driver, iid, "contract_continued")


def test_a_response_deadline_already_passed_fires_at_once(driver: Driver) -> None:
    iid = start(driver, breached_at="2025-12-31T09:00:00+00:00", due_at="2025-12-30T09:00:00+00:00")
    assert open_ids(driver, iid) == ["commissioner_review", "manager_review"]
    assert "timer_fired" in driver.history_types(iid)


# -- started by the service: the breach only --------------------------------------------------

REFERRAL = {
    "person_ref": "ADV-2026-0007",
    "referral_source": "health",
    "advocacy_type": "imca",
    "urgency": "standard",
}


def test_escalations_from_casework_count_breaches_and_carry_no_case_content(driver: Driver) -> None:
    cases = [driver.start("referral_casework", {**REFERRAL, "person_ref": ref}) for ref in ("ADV-1", "ADV-2")]
    for iid in cases:
        answers = {
            "advocacy_type": "imca",
            "lacks_capacity": True,
            "imca_decision": "serious_medical_treatment",
            "anyone_appropriate_to_consult": False,
        }
        driver.complete(iid, "assess_eligibility", answers, MANAGER)
    driver.advance_clock(T0 + timedelta(days=1, hours=1))
    escalations = driver.instances(PROCESS)
    assert len(escalations) == 2
    found = [driver.instance(e)["variables"] for e in escalations]
    assert sorted(v["source_instance_id"] for v in found) == sorted(cases)
    assert sorted(v["breaches_this_quarter"] for v in found) == [1, 2]
    for variables in found:
        assert variables["milestone"] == "allocation" and set(variables) == set(BREACH)
    assert all(open_ids(driver, e) == ["manager_review"] for e in escalations)


# -- forms refuse bad data and change nothing -------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({k: v for k, v in BREACH.items() if k != "breach_threshold"}, "breach_threshold"),
        ({**BREACH, "breaches_this_quarter": "4"}, "breaches_this_quarter"),
        ({**BREACH, "due_at": "yesterday"}, "due_at"),
        ({**BREACH, "milestone": "First Contact"}, "milestone"),
        ({**BREACH, "person_ref": "ADV-2026-0001"}, "person_ref"),
    ],
)
def test_start_form_refuses_anything_but_a_breach(driver: Driver, variables: dict, field: str) -> None:
    assert field in refused(driver.start, PROCESS, variables)
    assert driver.instances(PROCESS) == []


@pytest.mark.parametrize(
    ("level_2", "activity", "data", "field"),
    [
        (False, "manager_review", {"remedial_action": "More staff."}, "cause"),
        (False, "manager_review", {**REMEDY, "remedial_action_by": "next week"}, "remedial_action_by"),
        (False, "manager_review", {**REMEDY, "person_ref": "ADV-2026-0001"}, "person_ref"),
        (True, "commissioner_review", {"commissioner_decision": "terminate"}, "commissioner_decision"),
        (True, "commissioner_review", {"commissioner_notes": "?"}, "commissioner_decision"),
        (
            True,
            "commissioner_review",
            {"commissioner_decision": "accept", "commissioner_notes": 5},
            "commissioner_notes",
        ),
    ],
)
def test_task_forms_refuse_bad_data(
    driver: Driver, level_2: bool, activity: str, data: dict, field: str
) -> None:
    iid = to_level_2(driver) if level_2 else start(driver)
    before = (driver.history_types(iid), driver.instance(iid)["variables"])
    actor = COMMISSIONER if level_2 else MANAGER
    assert field in refused(driver.complete, iid, activity, data, actor)
    assert (driver.history_types(iid), driver.instance(iid)["variables"]) == before
    assert activity in open_ids(driver, iid)


def test_contract_review_form_refuses_unknown_outcomes(driver: Driver) -> None:
    iid = start(driver, breaches_this_quarter=5)
    bad = {"contract_review_outcome": "extend", "contract_review_notes": "x", "budget": 1}
    assert set(refused(driver.complete, iid, "contract_review", bad, COMMISSIONER)) == {
        "contract_review_outcome",
        "budget",
    }
    assert open_ids(driver, iid) == ["contract_review", "manager_review"]


# -- diagrams and forms of referral_casework and sla_escalation --------------------------------

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
MINE = ["referral_casework", "sla_escalation"]
# the breach, and what the escalation itself records (the manager's explanation is written for the commissioner)
ESCALATION_VARIABLES = set(BREACH) | set(REMEDY) | {"improvement_plan_summary", "improvement_due"}


def bounds(root: etree._Element) -> dict[str, tuple[float, float, float, float]]:
    found = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))
    return found


@pytest.mark.parametrize("process", MINE)
def test_every_element_is_drawn_named_and_laid_out(process: str) -> None:
    root = etree.parse(str(REPO / "bpmn" / f"{process}.bpmn")).getroot()
    shapes = bounds(root)
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    (definition,) = root.findall("bpmn:process", NS)
    assert root.find("bpmn:collaboration/bpmn:participant", NS).get("processRef") == process
    skip = (
        "laneSet",
        "sequenceFlow",
        "documentation",
        "dataObject",
    )  # a data object is drawn by its reference
    nodes = [e for e in definition if e.tag.split("}")[1] not in skip]
    for node in nodes:
        assert node.get("id") in shapes and node.get("name"), node.get("id")
    for lane in definition.iterfind(".//bpmn:lane", NS):
        assert lane.get("name") in ("Manager", "Advocate", "Commissioner") and lane.get("id") in shapes
    for flow in definition.iterfind("bpmn:sequenceFlow", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edges[flow.get("id")]]
        assert len(points) >= 2 and all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(points))
        for end, ref in ((points[0], flow.get("sourceRef")), (points[-1], flow.get("targetRef"))):
            x, y, w, h = shapes[ref]
            assert x <= end[0] <= x + w and y <= end[1] <= y + h, f"{flow.get('id')} does not touch {ref}"
    boundary = {e.get("id"): e.get("attachedToRef") for e in definition.iterfind("bpmn:boundaryEvent", NS)}
    for event, task in boundary.items():
        (ex, ey, ew, eh), (tx, ty, tw, th) = shapes[event], shapes[task]
        assert ey + eh / 2 == ty + th and tx <= ex + ew / 2 <= tx + tw, f"{event} is not on {task}'s border"
    flow_nodes = [n.get("id") for n in nodes if n.get("id") not in boundary]
    for i, a in enumerate(flow_nodes):
        for b in flow_nodes[i + 1 :]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = shapes[a], shapes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"


@pytest.mark.parametrize("process", MINE)
def test_every_user_task_and_the_start_event_have_a_complete_form(process: str) -> None:
    root = etree.parse(str(REPO / "bpmn" / f"{process}.bpmn")).getroot()
    query = "./bpmn:process/bpmn:startEvent/@id | ./bpmn:process//bpmn:userTask/@id"
    elements = root.xpath(query, namespaces=NS)
    forms = {p.stem for p in (REPO / "forms" / process).glob("*.json") if not p.name.endswith(".cy.json")}
    assert forms == set(elements)
    for element in elements:
        form = json.loads((REPO / "forms" / process / f"{element}.json").read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(form)
        assert form["title"] and form["description"] and form["additionalProperties"] is False
        assert set(form["required"]) <= set(form["properties"])
        for name, field in form["properties"].items():
            assert field.get("title") and field.get("description"), f"{element}.{name}"
            assert "enum" not in field, "choices are oneOf const/title, as in every form of the repo"
            assert all(set(choice) == {"const", "title"} for choice in field.get("oneOf", []))
        if process == "sla_escalation" and element != "breach_reported":
            assert set(form.get("x-context", [])) <= ESCALATION_VARIABLES, "breach variables only"
