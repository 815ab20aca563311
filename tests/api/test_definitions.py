"""Process definitions: deploy (XML body and multipart), versions, reads, and refused diagrams."""

from __future__ import annotations

import io
import json

import pytest

from service.base.config import ROOT
from tests.api.helpers import (
    CALL_DATA,
    assert_problem,
    deploy_xml,
    diagram,
    instance,
    linear,
    only_task,
    parse_time,
    script_task,
    start_ok,
    user_task,
)

EXAMPLE = (ROOT / "bpmn" / "example_callback.bpmn").read_text("utf-8")
SIMPLE = linear("simple_one", user_task())


def _keys(s) -> dict[str, int]:
    r = s.get("/process-definitions", "manager1")
    assert r.status_code == 200
    return {d["key"]: d["version"] for d in r.get_json()["items"]}


def _refused(s, xml, *, content_type="application/xml") -> dict:
    before = _keys(s)
    body = assert_problem(deploy_xml(s, xml, content_type=content_type), 422)
    assert isinstance(body.get("errors"), dict) and body["errors"], body
    assert _keys(s) == before, "a refused deployment must store nothing"
    return body


# -- deploy and versions -----------------------------------------------------------------------------


def test_deploy_xml_body_then_same_content_is_200_same_version(service):
    r = deploy_xml(service, SIMPLE)
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["key"] == "simple_one" and first["version"] == 1 and first["name"] == "Test process"
    assert len(first["checksum"]) == 64
    parse_time(first["deployed_at"])
    again = deploy_xml(service, SIMPLE)
    assert again.status_code == 200
    assert again.get_json()["version"] == 1
    assert again.get_json()["checksum"] == first["checksum"]
    assert _keys(service) == {"simple_one": 1}


def test_deploy_text_xml_is_accepted(service):
    r = deploy_xml(service, SIMPLE, content_type="text/xml")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["key"] == "simple_one"


def test_deploy_multipart_with_forms(service):
    r = service.deploy()
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["key"] == "example_callback" and body["version"] == 1
    assert [d["key"] for d in body["items"]] == ["example_callback"]
    assert service.deploy().status_code == 200


def test_new_content_is_version_2_and_running_instance_stays_on_1(deployed, tmp_path):
    s = deployed
    old = start_ok(s, business_key="V1")
    assert old["version"] == 1
    changed = tmp_path / "example_callback.bpmn"
    changed.write_text(EXAMPLE.replace('name="Call the person back"', 'name="Ring the person back"'), "utf-8")
    r = s.deploy([changed])
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["version"] == 2
    assert _keys(s) == {"example_callback": 2}

    new = start_ok(s, business_key="V2")
    assert new["version"] == 2
    assert only_task(new)["name"] == "Ring the person back"
    assert only_task(instance(s, old["id"]))["name"] == "Call the person back"

    done = s.post(f"/tasks/{only_task(old)['id']}/complete", "manager1", {"data": CALL_DATA})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["version"] == 1
    assert done.get_json()["status"] == "completed" and done.get_json()["end_state"] == "resolved"

    v1 = s.get("/process-definitions/example_callback?version=1", "advocate1")
    assert v1.status_code == 200 and v1.get_json()["version"] == 1
    latest = s.get("/process-definitions/example_callback", "advocate1").get_json()
    assert latest["version"] == 2 and latest["checksum"] != v1.get_json()["checksum"]
    xml1 = s.get("/process-definitions/example_callback/xml?version=1", "manager1").get_data(as_text=True)
    xml2 = s.get("/process-definitions/example_callback/xml", "manager1").get_data(as_text=True)
    assert "Call the person back" in xml1 and "Ring the person back" in xml2


def test_start_pinned_to_old_version(deployed, tmp_path):
    changed = tmp_path / "example_callback.bpmn"
    changed.write_text(EXAMPLE.replace('name="Call the person back"', 'name="Phone back"'), "utf-8")
    assert deployed.deploy([changed]).status_code == 201
    inst = start_ok(deployed, version=1)
    assert inst["version"] == 1 and only_task(inst)["name"] == "Call the person back"


# -- reads -------------------------------------------------------------------------------------------


def test_list_and_get_and_xml(deployed):
    s = deployed
    assert deploy_xml(s, SIMPLE).status_code == 201
    r = s.get("/process-definitions", "auditor1")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 2
    assert {d["key"] for d in body["items"]} == {"example_callback", "simple_one"}
    for d in body["items"]:
        assert set(d) >= {"key", "name", "version", "checksum", "deployed_at"}
    one = s.get("/process-definitions/example_callback", "commissioner1").get_json()
    assert one["name"] == "Call-back request (example)" and one["version"] == 1
    xml = s.get("/process-definitions/example_callback/xml", "advocate2")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert xml.get_data(as_text=True) == EXAMPLE
    page = s.get("/process-definitions?limit=1&offset=1", "manager1").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1


def test_unknown_definition_and_version_are_404(deployed):
    assert_problem(deployed.get("/process-definitions/nope", "manager1"), 404)
    assert_problem(deployed.get("/process-definitions/example_callback?version=9", "manager1"), 404)
    assert_problem(deployed.get("/process-definitions/nope/xml", "manager1"), 404)
    assert_problem(deployed.get("/process-definitions/example_callback?version=0", "manager1"), 422)


# -- who and how ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["manager1", "commissioner1", "advocate1", "auditor1"])
def test_non_admin_deploy_is_403(service, user):
    assert_problem(deploy_xml(service, SIMPLE, user=user), 403)
    assert _keys(service) == {}


def test_wrong_content_type_is_415(service):
    assert_problem(deploy_xml(service, SIMPLE, content_type="application/json"), 415)
    assert_problem(deploy_xml(service, SIMPLE, content_type="text/plain"), 415)
    assert _keys(service) == {}


# -- refused diagrams ----------------------------------------------------------------------------------


def test_not_xml(service):
    _refused(service, "this is not <xml")


def test_not_bpmn_root(service):
    _refused(service, "<html><body>hello</body></html>")


def test_billion_laughs(service):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        + SIMPLE.split("?>", 1)[1].replace('name="Test process"', 'name="&lol3;"')
    )
    body = _refused(service, bomb)
    assert "lol" not in json.dumps(body).replace("lolz", "")


def test_external_entity(service):
    xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + SIMPLE.split(
        "?>", 1
    )[1].replace('name="Test process"', 'name="&xxe;"')
    body = _refused(service, xxe)
    assert "root:" not in json.dumps(body)


def test_oversized_file(service):
    padding = "<!--" + "x" * (2 * 1024 * 1024 + 10) + "-->"
    _refused(service, SIMPLE.replace("</bpmn:definitions>", padding + "</bpmn:definitions>"))


def test_body_over_request_limit_is_413(service):
    r = deploy_xml(service, b"<a>" + b"x" * (5 * 1024 * 1024) + b"</a>")
    assert_problem(r, 413)
    assert _keys(service) == {}


def test_schema_invalid_bpmn(service):
    body = _refused(
        service, SIMPLE.replace('<bpmn:userTask id="enter"', '<bpmn:userTask id="enter" bogus="1"')
    )
    assert "schema" in json.dumps(body)


def test_user_task_without_role(service):
    body = _refused(service, linear("no_lane", user_task("orphan"), lane=None))
    assert "orphan" in body["errors"]


def test_user_task_in_lane_not_a_role(service):
    body = _refused(service, linear("bad_lane", user_task("orphan"), lane="Receptionists"))
    assert "orphan" in body["errors"]


def _gateway(condition: str) -> str:
    body = (
        '<bpmn:startEvent id="start" name="Start" />'
        '<bpmn:exclusiveGateway id="gw" name="Which?" default="f_no" />'
        '<bpmn:endEvent id="yes" name="Yes" /><bpmn:endEvent id="no" name="No" />'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />'
        '<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="yes">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="no" />'
    )
    return diagram("gateway_test", body)


@pytest.mark.parametrize(
    "condition",
    ["__import__('os').system('id') == 0", "().__class__ is None", "eval('1') == 1", "getattr(x, 'y')"],
)
def test_unsafe_condition(service, condition):
    body = _refused(service, _gateway(condition.replace("'", "&apos;")))
    assert "f_yes" in body["errors"]


def test_safe_condition_deploys(service):
    assert deploy_xml(service, _gateway("priority == &quot;high&quot;")).status_code == 201


@pytest.mark.parametrize(
    "script", ["import os", "x = open('/etc/passwd')", "def f():\n    pass", "x = ().__class__"]
)
def test_unsafe_script(service, script):
    body = _refused(service, linear("script_test", script_task("calc", script.replace("'", "&apos;"))))
    assert "calc" in body["errors"]


def test_timer_with_open(service):
    body = (
        '<bpmn:startEvent id="start" name="Start" />'
        '<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition id="td">'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">open(&apos;x&apos;).read()</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:endEvent id="done" name="Done" />'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="done" />'
    )
    result = _refused(service, diagram("timer_test", body))
    assert "wait" in result["errors"]


def test_business_rule_task_missing_decision(service):
    task = '<bpmn:businessRuleTask id="decide" name="Decide" camunda:decisionRef="no_such_decision" />'
    body = _refused(service, linear("rules_test", task))
    assert "decide" in body["errors"]
    assert "no_such_decision" in " ".join(body["errors"]["decide"])


def test_two_problems_both_listed(service):
    xml = linear("two_problems", user_task("orphan"), script_task("calc", "import os"), lane=None)
    body = _refused(service, xml)
    assert {"orphan", "calc"} <= set(body["errors"])
    assert len(body.get("problems", [])) >= 2
    assert {p.get("element_id") for p in body["problems"]} >= {"orphan", "calc"}


def _multipart(s, parts):
    return s.client.post(
        "/api/v1/process-definitions",
        data={"file": parts},
        headers=s.headers("admin1"),
        content_type="multipart/form-data",
    )


def test_form_not_json(service):
    before = _keys(service)
    parts = [
        (io.BytesIO(SIMPLE.encode()), "simple_one.bpmn"),
        (io.BytesIO(b"{not json"), "simple_one/enter.json"),
    ]
    body = assert_problem(_multipart(service, parts), 422)
    assert "simple_one/enter.json" in body["errors"]
    assert _keys(service) == before


def test_form_not_a_json_schema(service):
    form = json.dumps({"type": "object", "properties": {"x": {"type": 5}}}).encode()
    parts = [(io.BytesIO(SIMPLE.encode()), "simple_one.bpmn"), (io.BytesIO(form), "simple_one/enter.json")]
    body = assert_problem(_multipart(service, parts), 422)
    assert "enter" in body["errors"]
    assert _keys(service) == {}


def test_form_for_unknown_element(service):
    form = json.dumps({"type": "object"}).encode()
    parts = [(io.BytesIO(SIMPLE.encode()), "simple_one.bpmn"), (io.BytesIO(form), "simple_one/ghost.json")]
    body = assert_problem(_multipart(service, parts), 422)
    assert "ghost" in body["errors"]
    assert _keys(service) == {}


def test_multipart_without_bpmn(service):
    body = assert_problem(_multipart(service, []), 422)
    assert body["errors"]


def test_empty_body(service):
    _refused(service, b"")


def test_unicode_names_round_trip(service):
    xml = linear("unicode_names", user_task("enter", "Caf\u00e9 r\u00e9sum\u00e9 \u2713"))
    assert deploy_xml(service, xml.encode("utf-8")).status_code == 201
    assert service.get("/process-definitions/unicode_names/xml", "manager1").get_data(as_text=True) == xml


def test_latin1_encoded_diagram_is_not_a_500(service):
    xml = linear("latin1", user_task("enter", "Caf\u00e9"))
    data = xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("iso-8859-1")
    r = deploy_xml(service, data)
    assert r.status_code in (201, 422), r.status_code
    if r.status_code == 422:
        assert_problem(r, 422)
    else:
        assert service.get("/process-definitions/latin1", "manager1").get_json()["version"] == 1


@pytest.mark.parametrize("query", ["limit=501", "limit=0", "offset=-1"])
def test_definitions_bad_page_is_422(service, query):
    assert_problem(service.get(f"/process-definitions?{query}", "manager1"), 422)
