"""Escape payloads sent as data are stored as inert strings; run-time exhaustion ends in ``error``."""

from __future__ import annotations

import pytest

from tests.api.helpers import deploy_xml, diagram, linear, script_task
from tests.security.sec_helpers import CALL_DATA, problem, start_ok
from tests.security.test_hostile_diagrams import ESCAPES, SCRIPT_ESCAPES

PAYLOADS = [*ESCAPES, *SCRIPT_ESCAPES, "__import__('os').system('touch /tmp/pwned')", "{{7*7}}", "${7*7}"]
# the data flows through a script (copied), a gateway (compared) and a user task (shown)
CARRIER = diagram(
    "carrier",
    '<bpmn:startEvent id="start" name="Start" />'
    + script_task("copy", "copied = note\nsize = len(note)")
    + '<bpmn:exclusiveGateway id="gw" name="Which?" default="f_other" />'
    '<bpmn:userTask id="look" name="Look" /><bpmn:endEvent id="end" name="End" />'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="copy" />'
    '<bpmn:sequenceFlow id="f1" sourceRef="copy" targetRef="gw" />'
    '<bpmn:sequenceFlow id="f_match" sourceRef="gw" targetRef="look">'
    '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">note == copied</bpmn:conditionExpression>'
    "</bpmn:sequenceFlow>"
    '<bpmn:sequenceFlow id="f_other" sourceRef="gw" targetRef="end" />'
    '<bpmn:sequenceFlow id="f2" sourceRef="look" targetRef="end" />',
)


@pytest.fixture
def carrier(service):
    assert deploy_xml(service, CARRIER).status_code == 201
    return service


def test_start_variables_are_stored_as_strings(carrier):
    s = carrier
    for payload in PAYLOADS:
        r = s.post("/process-instances", "manager1", {"process": "carrier", "variables": {"note": payload}})
        assert r.status_code == 201, (payload, r.get_json())
        body = r.get_json()
        assert body["status"] == "running", (payload, body)
        assert body["variables"] == {"note": payload, "copied": payload, "size": len(payload)}
        assert [t["activity_id"] for t in body["active_tasks"]] == ["look"]
        events = s.get(f"/process-instances/{body['id']}/history", "manager1").get_json()["items"]
        assert events[0]["data"]["variables"]["note"] == payload


def test_reserved_names_as_variables_change_nothing(carrier):
    """Data named like the sandbox's internals cannot replace them."""
    variables = {"note": "n", "__builtins__": {"eval": "x"}, "_sf_add": "boom", "now": "not a function"}
    r = carrier.post("/process-instances", "manager1", {"process": "carrier", "variables": variables})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "running" and body["variables"]["copied"] == "n"
    assert body["variables"]["_sf_add"] == "boom" and body["variables"]["now"] == "not a function"


def test_form_data_and_message_payload_are_stored_as_strings(deployed):
    s = deployed
    payload = "__import__('os').system('x')"
    inst = start_ok(s, business_key="HOSTILE")
    task = inst["active_tasks"][0]
    done = s.post(
        f"/tasks/{task['id']}/complete",
        "manager1",
        {"data": {**CALL_DATA, "call_notes": payload, "documents_needed": True}},
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "waiting" and done.get_json()["variables"]["call_notes"] == payload
    sent = s.post(
        "/messages",
        "manager1",
        {
            "name": "documents_received",
            "business_key": "HOSTILE",
            "payload": {"documents": "().__class__.__bases__[0]", "n": "9**9**9"},
        },
    )
    assert sent.status_code == 202, sent.get_json()
    after = s.get(f"/process-instances/{inst['id']}", "manager1").get_json()
    assert after["status"] == "completed"
    assert (
        after["variables"]["documents"] == "().__class__.__bases__[0]"
        and after["variables"]["n"] == "9**9**9"
    )


@pytest.mark.parametrize(
    ("name", "script", "variables", "limit_word"),
    [
        ("doubling_string", 's = "x"\nfor i in range(64):\n    s = s + s', {}, "limit"),
        ("doubling_list", "s = [0]\nfor i in range(64):\n    s = s + s", {}, "limit"),
        ("repeat_by_data", "s = 'ab' * n", {"n": 10**10}, "limit"),
        ("power_by_data", "s = n ** n", {"n": 10**6}, "limit"),
        (
            "nested_loops",
            "x = 0\nfor i in range(100000):\n    for j in range(100000):\n        x = x + 1",
            {},
            "step",
        ),
    ],
)
def test_runtime_exhaustion_puts_the_instance_in_error(service, name, script, variables, limit_word):
    key = f"exhaust_{name}"
    assert (
        deploy_xml(
            service, linear(key, script_task("grow", script), '<bpmn:userTask id="u" name="U" />')
        ).status_code
        == 201
    )
    r = service.post("/process-instances", "manager1", {"process": key, "variables": variables})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "error" and body["active_tasks"] == []
    last = service.get(f"/process-instances/{body['id']}/history", "manager1").get_json()["items"][-1]
    assert last["type"] == "instance_error" and last["activity_id"] == "grow"
    message = last["data"]["message"].lower()
    assert limit_word in message, message
    assert "traceback" not in message


def test_deeply_nested_data_is_refused(carrier):
    for depth in (40, 500, 100_000):
        raw = '{"process": "carrier", "variables": {"note": "n", "d": ' + "[" * depth + "]" * depth + "}}"
        r = carrier.client.post(
            "/api/v1/process-instances",
            data=raw,
            content_type="application/json",
            headers=carrier.headers("manager1"),
        )
        assert "nested" in problem(r, 422)["detail"]
    assert carrier.get("/process-instances", "manager1").get_json()["total"] == 0
