"""Scenario tests for `complaint` (bpmn/complaint.bpmn), Process 5: every path, on SQLite and PostgreSQL.

Invariants: the investigator is a manager and never the advocate of the case complained about (refused,
nothing changed); a dissatisfied complainant reaches level 2 and the ombudsman is recorded (end
`escalated`); otherwise the complaint ends `resolved`; both milestones are SLA deadlines and a miss
escalates without stopping the complaint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from service.base.problems import Invalid
from service.cases import instances
from tests.scenarios.driver import MESSAGE_SENDER, Driver, FormInvalid

PROCESS = "complaint"
REPO = Path(__file__).resolve().parents[2]
MANAGER, INVESTIGATOR, COMMISSIONER = "manager1", "manager2", "commissioner1"
COMPLAINT = {"complainant_type": "person", "complaint_about": "delay", "complaint_summary": "Waited weeks."}
ACK = {
    "acknowledged_at": "2026-01-06T10:00:00+00:00",
    "acknowledgement_method": "letter",
    "discussion_offered": True,
}
INVESTIGATION = {
    "investigator": INVESTIGATOR,
    "investigation_findings": "Allocation waited on sickness cover.",
}
RESPONSE = {
    "complaint_outcome": "upheld",
    "learning": "Cover rota for allocation.",
    "complainant_satisfied": True,
}
LEVEL_2 = {"level_2_outcome": "not_upheld", "ombudsman": "lgsco"}
ACK_DUE = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)  # 3 working days after Monday 5 January, 09:00
RESPONSE_DUE = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # 20 working days


def open_ids(driver: Driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def to_response(driver: Driver, iid: str, investigation: dict | None = None) -> None:
    driver.complete(iid, "acknowledge_complaint", ACK, MANAGER)
    driver.complete(iid, "investigate_complaint", investigation or INVESTIGATION, MANAGER)
    assert open_ids(driver, iid) == ["respond_to_complaint"]


def referral_allocated_to(driver: Driver, advocate: str, business_key: str) -> str:
    """A referral_casework case allocated to ``advocate`` (driven through its own steps)."""
    iid = driver.start(
        "referral_casework",
        {
            "person_ref": "ADV-2026-0099",
            "referral_source": "self",
            "advocacy_type": "care_act",
            "urgency": "standard",
        },
        business_key=business_key,
    )
    eligibility = {
        "advocacy_type": "care_act",
        "difficulty_understanding": True,
        "difficulty_retaining": False,
        "difficulty_weighing": False,
        "difficulty_communicating": False,
        "appropriate_individual_available": False,
    }
    driver.complete(iid, "assess_eligibility", eligibility, MANAGER)
    driver.complete(iid, "allocate_advocate", {"advocate": advocate, "instruction": "instructed"}, MANAGER)
    assert driver.instance(iid)["variables"]["advocate"] == advocate
    return iid


def test_a_satisfied_complainant_ends_resolved_with_both_milestones_met(driver: Driver) -> None:
    iid = driver.start(PROCESS, COMPLAINT, business_key="CMP-1")
    assert open_ids(driver, iid) == ["acknowledge_complaint"]
    assert driver.task(iid, "acknowledge_complaint")["role"] == "manager"
    [ack] = driver.deadlines(iid)
    assert (ack["activity_id"], ack["kind"], ack["milestone"], ack["due_at"]) == (
        "complaint_acknowledgement_sla",
        "sla",
        "complaint_acknowledgement",
        ACK_DUE,
    )
    driver.complete(iid, "acknowledge_complaint", ACK, MANAGER)
    assert driver.deadlines(iid) == []
    driver.complete(iid, "investigate_complaint", INVESTIGATION, MANAGER)
    [response] = driver.deadlines(iid)
    assert (response["milestone"], response["due_at"]) == ("complaint_response", RESPONSE_DUE)
    driver.complete(iid, "respond_to_complaint", RESPONSE, MANAGER)
    done = driver.instance(iid)
    assert (done["status"], done["end_state"]) == ("completed", "resolved")
    assert done["variables"]["investigator"] == INVESTIGATOR
    assert "deadline_breached" not in driver.history_types(iid)
    assert driver.instances("sla_escalation") == []


@pytest.mark.parametrize("ombudsman", ["lgsco", "pspow"])
def test_a_dissatisfied_complainant_goes_to_level_2_and_the_ombudsman_is_recorded(
    driver: Driver, ombudsman: str
) -> None:
    iid = driver.start(PROCESS, COMPLAINT, business_key="CMP-2")
    to_response(driver, iid)
    driver.complete(iid, "respond_to_complaint", {**RESPONSE, "complainant_satisfied": False}, MANAGER)
    task = driver.task(iid, "level_2_review")
    assert task["role"] == "commissioner"
    with pytest.raises(PermissionError):
        driver.complete(iid, "level_2_review", {**LEVEL_2, "ombudsman": ombudsman}, MANAGER)
    with pytest.raises(FormInvalid) as caught:
        driver.complete(
            iid, "level_2_review", {"level_2_outcome": "upheld", "ombudsman": "ico"}, COMMISSIONER
        )
    assert "ombudsman" in caught.value.errors
    with pytest.raises(FormInvalid) as caught:
        driver.complete(iid, "level_2_review", {"level_2_outcome": "upheld"}, COMMISSIONER)
    assert "ombudsman" in caught.value.errors
    driver.complete(iid, "level_2_review", {**LEVEL_2, "ombudsman": ombudsman}, COMMISSIONER)
    done = driver.instance(iid)
    assert (done["status"], done["end_state"]) == ("completed", "escalated")
    assert done["variables"]["ombudsman"] == ombudsman


def test_a_withdrawn_complaint_is_resolved_even_when_the_complainant_is_not_satisfied(driver: Driver) -> None:
    iid = driver.start(PROCESS, COMPLAINT)
    to_response(driver, iid)
    driver.complete(
        iid,
        "respond_to_complaint",
        {**RESPONSE, "complaint_outcome": "withdrawn", "complainant_satisfied": False},
        MANAGER,
    )
    assert driver.instance(iid)["end_state"] == "resolved"


def test_the_message_complaint_received_starts_a_complaint(driver: Driver) -> None:
    payload = {**COMPLAINT, "received_at": "2026-01-05T09:00:00+00:00"}
    [iid] = driver.send_message("complaint_received", "CMP-MSG-1", payload)
    started = driver.instance(iid)
    assert (started["process"], started["business_key"], started["status"]) == (
        "complaint",
        "CMP-MSG-1",
        "running",
    )
    assert open_ids(driver, iid) == ["acknowledge_complaint"]
    assert driver.history_types(iid)[0] == "instance_started"
    # a payload the start form refuses starts nothing
    with pytest.raises(Invalid):
        driver.db.run(
            instances.deliver_message,
            MESSAGE_SENDER,
            "complaint_received",
            "CMP-MSG-2",
            {"complaint_about": "delay"},
        )
    assert driver.instances("complaint") == [iid]


def test_an_unknown_start_variable_or_choice_is_refused(driver: Driver) -> None:
    for bad in (
        {**COMPLAINT, "complainant_type": "neighbour"},
        {**COMPLAINT, "person_name": "Ann"},
        {"complaint_about": "delay"},
    ):
        with pytest.raises(FormInvalid):
            driver.start(PROCESS, bad)
    assert driver.instances("complaint") == []


def test_a_missed_acknowledgement_escalates_and_the_complaint_goes_on(driver: Driver) -> None:
    iid = driver.start(PROCESS, COMPLAINT, business_key="CMP-3")
    driver.advance_clock(ACK_DUE - timedelta(minutes=1))
    assert "deadline_breached" not in driver.history_types(iid)
    driver.advance_clock(ACK_DUE)
    assert "deadline_breached" in driver.history_types(iid)
    [escalation] = driver.instances("sla_escalation")
    variables = driver.instance(escalation)["variables"]
    assert (variables["milestone"], variables["source_instance_id"]) == ("complaint_acknowledgement", iid)
    assert open_ids(driver, iid) == ["acknowledge_complaint"]
    to_response(driver, iid)
    driver.complete(iid, "respond_to_complaint", RESPONSE, MANAGER)
    assert driver.instance(iid)["end_state"] == "resolved"


def test_a_response_past_its_target_escalates_as_soon_as_the_response_step_opens(driver: Driver) -> None:
    iid = driver.start(PROCESS, COMPLAINT, business_key="CMP-4")
    driver.complete(iid, "acknowledge_complaint", ACK, MANAGER)
    driver.advance_clock(RESPONSE_DUE + timedelta(days=1))  # the investigation took too long
    driver.complete(iid, "investigate_complaint", INVESTIGATION, MANAGER)
    driver.advance_clock(driver.now)
    [escalation] = driver.instances("sla_escalation")
    assert driver.instance(escalation)["variables"]["milestone"] == "complaint_response"
    assert open_ids(driver, iid) == ["respond_to_complaint"]


def test_the_case_advocate_may_not_investigate_a_complaint_about_their_own_case(driver: Driver) -> None:
    referral_allocated_to(driver, "advocate1", "REF-77")
    iid = driver.start(PROCESS, {**COMPLAINT, "complaint_about": "advocate", "case_ref": "REF-77"})
    driver.complete(iid, "acknowledge_complaint", ACK, MANAGER)
    before = (driver.instance(iid), driver.history_types(iid), driver.tasks(iid))
    with pytest.raises(FormInvalid) as caught:
        driver.complete(iid, "investigate_complaint", {**INVESTIGATION, "investigator": "advocate1"}, MANAGER)
    [message] = caught.value.errors["investigator"]
    assert "advocate1" in message and "REF-77" in message and "advocate of case" in message
    assert (driver.instance(iid), driver.history_types(iid), driver.tasks(iid)) == before
    # a manager who is not the case's advocate may
    driver.complete(iid, "investigate_complaint", INVESTIGATION, MANAGER)
    assert open_ids(driver, iid) == ["respond_to_complaint"]


@pytest.mark.parametrize("investigator", ["advocate2", "commissioner1", "nobody-here"])
def test_the_investigator_must_be_a_manager(driver: Driver, investigator: str) -> None:
    iid = driver.start(PROCESS, COMPLAINT)
    driver.complete(iid, "acknowledge_complaint", ACK, MANAGER)
    with pytest.raises(FormInvalid) as caught:
        driver.complete(
            iid, "investigate_complaint", {**INVESTIGATION, "investigator": investigator}, MANAGER
        )
    assert "must be a manager" in caught.value.errors["investigator"][0]
    assert open_ids(driver, iid) == ["investigate_complaint"]


def test_only_a_manager_starts_or_works_a_complaint(driver: Driver) -> None:
    with pytest.raises(PermissionError):
        driver.start(PROCESS, COMPLAINT, actor="advocate1")
    iid = driver.start(PROCESS, COMPLAINT)
    with pytest.raises(PermissionError):
        driver.complete(iid, "acknowledge_complaint", ACK, "advocate1")


# -- the diagram and its forms --------------------------------------------------------------------

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}


def test_every_element_is_drawn_named_and_laid_out() -> None:
    root = etree.parse(str(REPO / "bpmn" / "complaint.bpmn")).getroot()
    shapes = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        shapes[shape.get("bpmnElement")] = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    (definition,) = root.findall("bpmn:process", NS)
    nodes = [e for e in definition if e.tag.split("}")[1] not in ("laneSet", "sequenceFlow", "documentation")]
    for node in nodes:
        assert node.get("id") in shapes and node.get("name"), node.get("id")
    for lane in definition.iterfind(".//bpmn:lane", NS):
        assert lane.get("name") in ("Manager", "Commissioner") and lane.get("id") in shapes
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
    text = etree.tostring(root, encoding="unicode")
    for law in ("Complaints (England) Regulations 2009", "(Wales) Regulations 2014", "Ombudsman"):
        assert law in text


def test_every_user_task_and_the_start_event_have_a_complete_form() -> None:
    root = etree.parse(str(REPO / "bpmn" / "complaint.bpmn")).getroot()
    elements = root.xpath(
        "./bpmn:process/bpmn:startEvent/@id | ./bpmn:process/bpmn:userTask/@id", namespaces=NS
    )
    forms = {
        p.name[: -len(".json")]
        for p in (REPO / "forms" / PROCESS).glob("*.json")
        if not p.name.endswith(".cy.json")
    }
    assert forms == set(elements)
    for element in elements:
        form = json.loads((REPO / "forms" / PROCESS / f"{element}.json").read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(form)
        assert form["title"] and form["description"] and form["additionalProperties"] is False
        assert set(form["required"]) <= set(form["properties"])
        for name, field in form["properties"].items():
            assert field.get("title") and field.get("description"), f"{element}.{name}"
            assert all(set(choice) == {"const", "title"} for choice in field.get("oneOf", []))
