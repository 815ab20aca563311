"""POST /migrations over HTTP, on SQLite and PostgreSQL: example_callback moved to a second version made here.

Version 2 renames ``call_back`` to ``return_call`` and the message catch ``wait_documents`` to
``documents_in`` (so the move needs a mapping), moves the call-back target two hours later (the
waiting boundary timer is re-armed from the new diagram) and adds a task, ``log_outcome``, before the
end.  Cases waiting at the call-back and at the documents move, run to their end on version 2, and
replay at every seq matches the live state recorded after each step.  Every hostile request is a 422
(or its item refused) and changes no stored row.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.base.config import ROOT
from service.store.models import Deadline
from tests.scenarios.migration_check import Recorder, rows

PROCESS = "example_callback"
FORMS = ROOT / "forms" / PROCESS


def _renamed(text: str) -> str:
    text = re.sub(r"(?<![\w])call_back(?![\w])", "return_call", text)
    text = re.sub(r"(?<![\w])wait_documents(?![\w])", "documents_in", text)
    text = text.replace(
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">callback_due</bpmn:timeDate>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_duration(callback_due, "PT2H")</bpmn:timeDate>',
    )
    text = text.replace(
        '<bpmn:sequenceFlow id="flow_to_resolved" sourceRef="documents_merge" targetRef="resolved" />',
        '<bpmn:sequenceFlow id="flow_to_resolved" sourceRef="documents_merge" targetRef="log_outcome" />'
        '<bpmn:sequenceFlow id="flow_outcome_logged" sourceRef="log_outcome" targetRef="resolved" />',
    )
    text = text.replace(
        '<bpmn:endEvent id="resolved" name="Call-back done">',
        '<bpmn:userTask id="log_outcome" name="Log the call-back\'s outcome">'
        "<bpmn:incoming>flow_to_resolved</bpmn:incoming><bpmn:outgoing>flow_outcome_logged</bpmn:outgoing>"
        '</bpmn:userTask><bpmn:endEvent id="resolved" name="Call-back done">',
    )
    text = text.replace(
        "<bpmn:flowNodeRef>resolved</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>resolved</bpmn:flowNodeRef><bpmn:flowNodeRef>log_outcome</bpmn:flowNodeRef>",
    )
    return text.replace(
        "<bpmn:incoming>flow_to_resolved</bpmn:incoming>\n    </bpmn:endEvent>",
        "<bpmn:incoming>flow_outcome_logged</bpmn:incoming>\n    </bpmn:endEvent>",
    )


def _deploy_v2(service) -> None:
    text = _renamed((ROOT / "bpmn" / f"{PROCESS}.bpmn").read_text())
    assert text.count("return_call") > 3 and "log_outcome" in text
    parts = [(io.BytesIO(text.encode()), f"{PROCESS}.bpmn")]
    for form in sorted(f for f in FORMS.glob("*.json") if ".cy." not in f.name):
        name = (
            form.name.replace("call_back.", "return_call.")
            if form.name.startswith("call_back.")
            else form.name
        )
        parts.append((io.BytesIO(form.read_bytes()), f"{PROCESS}/{name}"))
    response = service.client.post(
        "/api/v1/process-definitions",
        data={"file": parts},
        headers=service.headers("admin1"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()


class Walk:
    def __init__(self, service) -> None:
        self.service = service
        self.driver = type("D", (), {"db": service.db})()
        self.record = Recorder(self.driver)  # type: ignore[arg-type]

    def start(self, ref: str, priority: str = "normal") -> str:
        response = self.service.post(
            "/process-instances",
            "manager1",
            {"process": PROCESS, "variables": {"caller_ref": ref, "priority": priority}, "business_key": ref},
        )
        assert response.status_code == 201, response.get_json()
        iid = response.get_json()["id"]
        self.record(iid)
        return iid

    def open_task(self, iid: str, activity: str) -> dict:
        body = self.service.get(f"/process-instances/{iid}", "manager1").get_json()
        found = [t for t in body["active_tasks"] if t["activity_id"] == activity]
        assert len(found) == 1, body["active_tasks"]
        return found[0]

    def complete(self, iid: str, activity: str, data: dict) -> None:
        task = self.open_task(iid, activity)
        response = self.service.post(f"/tasks/{task['id']}/complete", "manager1", {"data": data})
        assert response.status_code == 200, response.get_json()
        self.record(iid)


def _migrate(service, body, user: str = "admin1"):
    return service.post("/migrations", user, body)


def _deadlines(service, iid: str) -> list[dict]:
    query = select(Deadline).where(Deadline.instance_id == iid)
    return service.db.read(
        lambda s: [
            {"task_id": d.task_id, "activity_id": d.activity_id, "due_at": d.due_at, "status": d.status}
            for d in s.scalars(query)
        ]
    )


def test_cases_move_with_a_mapping_and_finish_on_the_new_version(deployed) -> None:
    service = deployed
    walk = Walk(service)
    at_call = walk.start("CB-0001")
    at_documents = walk.start("CB-0002")
    walk.complete(
        at_documents, "call_back", {"called_at": "2026-01-05T10:00:00+00:00", "documents_needed": True}
    )
    call_task = walk.open_task(at_call, "call_back")["id"]
    due_before = {d["task_id"]: d for d in _deadlines(service, at_call) if d["status"] == "pending"}
    assert len(due_before) == 1
    _deploy_v2(service)
    before = {iid: rows(service.db, iid) for iid in (at_call, at_documents)}

    # without the mapping the open call-back and the waiting message would be lost: refused, nothing written
    refused = _migrate(service, {"process": PROCESS, "to_version": 2, "dry_run": True})
    assert refused.status_code == 200
    items = {i["instance_id"]: i for i in refused.get_json()["items"]}
    assert items[at_call]["ok"] is False
    assert "call_back" in {p["activity_id"] for p in items[at_call]["problems"]}
    # the call-back was done there, and is not in version 2 under that id
    assert "call_back" in {p["activity_id"] for p in items[at_documents]["problems"]}
    assert {iid: rows(service.db, iid) for iid in before} == before

    mapping = {"call_back": "return_call", "wait_documents": "documents_in"}
    dry = _migrate(service, {"process": PROCESS, "to_version": 2, "mapping": mapping, "dry_run": True})
    assert dry.get_json()["items"] == [
        {"instance_id": at_call, "from_version": 1, "ok": True, "problems": []},
        {"instance_id": at_documents, "from_version": 1, "ok": True, "problems": []},
    ]
    assert {iid: rows(service.db, iid) for iid in before} == before, "a dry run writes nothing"

    moved = _migrate(service, {"process": PROCESS, "to_version": 2, "mapping": mapping})
    assert [i["ok"] for i in moved.get_json()["items"]] == [True, True]
    for iid in (at_call, at_documents):
        walk.record(iid)
        body = service.get(f"/process-instances/{iid}", "manager1").get_json()
        assert body["version"] == 2
    # the task row kept its id, its activity renamed; the timer's row re-dated two hours later
    assert walk.open_task(at_call, "return_call")["id"] == call_task
    # the changed timer: its old deadline cancelled, a fresh one of version 2 (two hours later) pending
    rows_after = {d["task_id"]: d for d in _deadlines(service, at_call)}
    (old_id,) = due_before
    assert rows_after[old_id]["status"] == "cancelled"
    (fresh,) = [d for d in rows_after.values() if d["status"] == "pending"]
    assert fresh["task_id"] != old_id and fresh["activity_id"] == "call_back_overdue"
    assert fresh["due_at"] - due_before[old_id]["due_at"] == timedelta(hours=2)

    # both run to their end on version 2
    walk.complete(
        at_call, "return_call", {"called_at": "2026-01-05T10:00:00+00:00", "documents_needed": False}
    )
    walk.complete(at_call, "log_outcome", {})
    sent = service.post(
        "/messages", "manager1", {"name": "documents_received", "business_key": "CB-0002", "payload": {}}
    )
    assert sent.status_code == 202, sent.get_json()
    walk.record(at_documents)
    walk.complete(at_documents, "log_outcome", {})
    for iid in (at_call, at_documents):
        body = service.get(f"/process-instances/{iid}", "manager1").get_json()
        assert (body["status"], body["end_state"]) == ("completed", "resolved")
        walk.record.check(iid)
    history = service.get(f"/process-instances/{at_call}/history", "auditor1").get_json()["items"]
    moved_event = next(e for e in history if e["type"] == "instance_migrated")
    assert moved_event["data"]["mapping"] == mapping
    assert (moved_event["data"]["from_version"], moved_event["data"]["to_version"]) == (1, 2)
    # replay and diagram right across the versions
    seq = moved_event["seq"]
    for at, version_element, gone in (
        (seq - 1, "call_back", "return_call"),
        (seq, "return_call", "call_back"),
    ):
        diagram = service.get(f"/process-instances/{at_call}/diagram?seq={at}", "auditor1").get_json()
        assert version_element in diagram["active"] and f'id="{gone}"' not in diagram["xml"]
        replayed = service.get(f"/process-instances/{at_call}/replay?seq={at}", "auditor1").get_json()
        assert [t["activity_id"] for t in replayed["active_tasks"]] == [version_element]


@pytest.fixture
def two_versions(deployed):
    walk = Walk(deployed)
    running = walk.start("CB-0100")
    ended = walk.start("CB-0101")
    walk.complete(ended, "call_back", {"called_at": "2026-01-05T10:00:00+00:00", "documents_needed": False})
    _deploy_v2(deployed)
    return deployed, walk, running, ended


MAPPING = {"call_back": "return_call", "wait_documents": "documents_in"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"process": PROCESS, "to_version": 9}, "to_version"),
        ({"process": PROCESS, "to_version": 0}, "to_version"),
        ({"process": PROCESS, "to_version": "2"}, "to_version"),
        ({"process": PROCESS, "to_version": True}, "to_version"),
        ({"process": "no_such_process", "to_version": 2}, "process"),
        ({"to_version": 2}, "process"),
        ({"process": PROCESS, "to_version": 2, "mapping": {"call_back": 5}}, "mapping"),
        ({"process": PROCESS, "to_version": 2, "mapping": {"call_back": None}}, "mapping"),
        ({"process": PROCESS, "to_version": 2, "mapping": ["call_back", "return_call"]}, "mapping"),
        ({"process": PROCESS, "to_version": 2, "mapping": {"call_back": "nowhere"}}, "mapping"),
        (
            {"process": PROCESS, "to_version": 2, "mapping": {f"a{i}": "return_call" for i in range(501)}},
            "mapping",
        ),
        ({"process": PROCESS, "to_version": 2, "mapping": {"call_back": "x" * 200}}, "mapping"),
        ({"process": PROCESS, "to_version": 2, "instances": "all"}, "instances"),
        ({"process": PROCESS, "to_version": 2, "instances": [1, 2]}, "instances"),
        ({"process": PROCESS, "to_version": 2, "dry_run": "yes"}, "dry_run"),
        ({"process": PROCESS, "to_version": 2, "extra": 1}, "extra"),
    ],
)
def test_a_bad_request_is_422_naming_the_field_and_changes_nothing(two_versions, body, field) -> None:
    service, _, running, ended = two_versions
    before = {iid: rows(service.db, iid) for iid in (running, ended)}
    response = _migrate(service, body)
    assert response.status_code == 422, response.get_json()
    assert response.content_type.startswith("application/problem+json")
    assert field in json.dumps(response.get_json().get("errors")), response.get_json()
    assert {iid: rows(service.db, iid) for iid in before} == before


@pytest.mark.parametrize(
    ("mapping", "named", "says"),
    [
        (
            {**MAPPING, "no_such_element": "return_call"},
            "no_such_element",
            "not an element of the old version",
        ),
        ({"call_back": "documents_in", "wait_documents": "return_call"}, "call_back", "another kind"),
        ({"call_back": "return_call", "return_call": "call_back"}, "call_back", "chains or cycles"),
        ({"call_back": "log_outcome", "set_target": "return_call"}, "set_target", "another kind"),
        ({"call_back": "return_call", "chase_call_back": "return_call"}, "chase_call_back", "both mapped"),
        ({"call_back": "resolved"}, "call_back", "the old version already has"),
        ({**MAPPING, "set_target": "log_outcome"}, "set_target", "another kind"),
        ({**MAPPING, "request_received": "resolved"}, "request_received", "the old version already has"),
    ],
)
def test_a_hostile_mapping_refuses_the_item_naming_the_element_and_changes_nothing(
    two_versions, mapping, named, says
) -> None:
    service, _, running, ended = two_versions
    before = {iid: rows(service.db, iid) for iid in (running, ended)}
    response = _migrate(service, {"process": PROCESS, "to_version": 2, "mapping": mapping})
    if response.status_code == 422:  # a target the new version lacks is refused for the whole request
        assert "mapping" in response.get_json()["errors"]
    else:
        (item,) = response.get_json()["items"]
        assert item["instance_id"] == running and item["ok"] is False
        assert any(p["activity_id"] == named and says in p["message"] for p in item["problems"]), item
    assert {iid: rows(service.db, iid) for iid in before} == before


def test_items_refused_for_instances_that_cannot_move(two_versions) -> None:
    service, walk, running, ended = two_versions
    before = {iid: rows(service.db, iid) for iid in (running, ended)}
    ids = [ended, "00000000-0000-0000-0000-000000000000", "not-a-uuid", running]
    response = _migrate(service, {"process": PROCESS, "to_version": 1, "instances": ids, "mapping": {}})
    items = response.get_json()["items"]
    assert [i["ok"] for i in items] == [False] * 4
    assert "completed" in items[0]["problems"][0]["message"]
    assert "no process instance" in items[1]["problems"][0]["message"]
    assert "no process instance" in items[2]["problems"][0]["message"]
    assert "already on version 1" in items[3]["problems"][0]["message"]
    assert {iid: rows(service.db, iid) for iid in before} == before
    del walk


def test_an_instance_of_another_process_is_refused(two_versions) -> None:
    service, walk, running, ended = two_versions
    text = (ROOT / "bpmn" / f"{PROCESS}.bpmn").read_text()
    copy = text.replace(f'id="{PROCESS}"', 'id="callback_copy"').replace(
        f'processRef="{PROCESS}"', 'processRef="callback_copy"'
    )
    parts = [(io.BytesIO(copy.encode()), "callback_copy.bpmn")]
    parts += [
        (io.BytesIO(f.read_bytes()), f"callback_copy/{f.name}")
        for f in sorted(FORMS.glob("*.json"))
        if ".cy." not in f.name
    ]
    deployed = service.client.post(
        "/api/v1/process-definitions",
        data={"file": parts},
        headers=service.headers("admin1"),
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.get_json()
    started = service.post(
        "/process-instances",
        "manager1",
        {"process": "callback_copy", "variables": {"caller_ref": "CB-0102", "priority": "high"}},
    )
    other = started.get_json()["id"]
    before = {iid: rows(service.db, iid) for iid in (running, ended, other)}
    response = _migrate(
        service, {"process": PROCESS, "to_version": 2, "mapping": MAPPING, "instances": [other]}
    )
    (item,) = response.get_json()["items"]
    assert (
        item["ok"] is False and "of 'callback_copy', not 'example_callback'" in item["problems"][0]["message"]
    )
    assert {iid: rows(service.db, iid) for iid in before} == before
    del walk


def test_only_the_admin_migrates(two_versions) -> None:
    service, _, running, ended = two_versions
    before = {iid: rows(service.db, iid) for iid in (running, ended)}
    for user in ("manager1", "commissioner1", "advocate1", "auditor1"):
        response = _migrate(service, {"process": PROCESS, "to_version": 2, "mapping": MAPPING}, user)
        assert response.status_code == 403, user
    assert {iid: rows(service.db, iid) for iid in before} == before


def test_a_huge_body_is_refused_before_it_is_read(two_versions) -> None:
    service, _, running, ended = two_versions
    before = {iid: rows(service.db, iid) for iid in (running, ended)}
    huge = {"process": PROCESS, "to_version": 2, "mapping": {"call_back": "r" * (5 * 1024 * 1024)}}
    response = _migrate(service, huge)
    assert response.status_code in (413, 422)
    assert {iid: rows(service.db, iid) for iid in before} == before


def test_refusal_reasons_and_field_problems_in_welsh(two_versions) -> None:
    service, _, running, _ = two_versions
    welsh = {"Accept-Language": "cy", **service.headers("admin1")}
    body = {"process": PROCESS, "to_version": 2, "dry_run": True}
    response = service.client.post("/api/v1/migrations", json=body, headers=welsh)
    (item,) = response.get_json()["items"]
    assert item["instance_id"] == running and item["problems"][0]["activity_id"] == "call_back"
    assert "nid oes ganddo gyfatebiaeth yn y fersiwn newydd" in item["problems"][0]["message"]
    bad = service.client.post("/api/v1/migrations", json={**body, "to_version": 9}, headers=welsh)
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["to_version"] == ["nid oes gan 'example_callback' fersiwn 9"]
