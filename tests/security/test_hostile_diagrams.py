"""Hostile diagrams over HTTP: unsafe XML and sandbox-escape payloads are refused (422), nothing stored.

Every payload is placed in a gateway condition, a timer, a script task and a
DMN entry of an otherwise valid deployment; each must be answered 422 with
the id of the element that holds it, and leave no definition behind.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import pytest

from tests.api.helpers import diagram, linear, script_task
from tests.security.sec_helpers import definition_keys, deploy_xml, problem

ESCAPES = [  # expressions: each reaches outside the restricted language
    "().__class__.__bases__[0].__subclasses__()",
    "[].__class__.__mro__[1].__subclasses__()",
    "''.__class__.__mro__[-1].__subclasses__()[40]('/etc/passwd').read()",
    "now.__globals__['__builtins__']['eval']('1')",
    "add_duration.__globals__",
    "now.__self__",
    "__builtins__['__import__']('os')",
    "__import__('os').system('id')",
    "\uff45val('1')",  # fullwidth 'e': Python reads it as eval
    "__\uff49mport__('os')",
    "eval('1+1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "getattr(now, '__globals__')",
    "type(1).__subclasses__()",
    "vars()",
    "globals()['x']",
    "open('/etc/passwd').read()",
    "'{0.__class__.__mro__}'.format(1)",
    "'{x.__globals__}'.format_map({'x': now})",
    "f'{now.__globals__}'",
    "f'{(1).__class__}'",
    "'%s' % x",
    "(x for x in [1]).gi_frame.f_globals",
    "[x for x in [1]][0].gi_frame",
    "(lambda: 1)()",
    "[y := 1]",
    "10 ** 10 ** 10",
    "9 ** 9 ** 9",
    "'a' * 10 ** 10",
    "'x' * 9999999999",
    "[0] * 10 ** 9",
    "1 << 10 ** 9",
    "'abc' * 100000 * 100000",
    "_sf_add(1, 2)",
    "x.mro()",
]
SCRIPT_ESCAPES = [  # statements: only script tasks can hold them
    "import os",
    "import os.path as p",
    "from os import system",
    "from . import x",
    "import importlib\nimportlib.import_module('os')",
    "def f():\n    return 1",
    "class A:\n    pass",
    "while True:\n    x = 1",
    "try:\n    x = 1\nexcept Exception as e:\n    y = e.__traceback__",
    "global x",
    "with open('/etc/passwd') as f:\n    x = 1",
    "raise SystemExit",
    "assert False",
    "s = 'x' * 10 ** 10",
    "x = 9 ** 9 ** 9",
    "async def f():\n    pass",
]

_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="hostile_defs" name="Hostile"
             namespace="https://advocacy-flow.example/test">
  <decision id="hostile_decision" name="Hostile">
    <decisionTable id="hostile_table" hitPolicy="FIRST">
      <input id="in1" label="A"><inputExpression id="in1_expr" typeRef="string"><text>{input}</text></inputExpression></input>
      <output id="out1" label="R" name="result" typeRef="string" />
      <rule id="rule1">
        <inputEntry id="rule1_in"><text>{entry}</text></inputEntry>
        <outputEntry id="rule1_out"><text>{output}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""
_RULE_TASK = linear(
    "hostile",
    '<bpmn:businessRuleTask id="decide" name="Decide" camunda:decisionRef="hostile_decision" />',
)


def _gateway(condition: str) -> str:
    body = (
        '<bpmn:startEvent id="start" name="Start" />'
        '<bpmn:exclusiveGateway id="gw" name="Which?" default="flow_default" />'
        '<bpmn:endEvent id="end_a" name="A" /><bpmn:endEvent id="end_b" name="B" />'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />'
        '<bpmn:sequenceFlow id="flow_bad" sourceRef="gw" targetRef="end_a">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="flow_default" sourceRef="gw" targetRef="end_b" />'
    )
    return diagram("hostile", body)


def _timer(expression: str) -> str:
    return linear(
        "hostile",
        '<bpmn:intermediateCatchEvent id="timer_bad" name="Wait"><bpmn:timerEventDefinition id="td">'
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
    )


def _script(source: str) -> str:
    return linear("hostile", script_task("script_bad", escape(source)))


def _deploy_dmn(s, input_expr: str = "a", entry: str = "-", output: str = "'ok'"):
    dmn = _DMN.format(input=escape(input_expr), entry=escape(entry), output=escape(output))
    parts = [(io.BytesIO(_RULE_TASK.encode()), "hostile.bpmn"), (io.BytesIO(dmn.encode()), "hostile.dmn")]
    return s.client.post(
        "/api/v1/process-definitions",
        data={"file": parts},
        headers=s.headers("admin1"),
        content_type="multipart/form-data",
    )


def _refused(response, element_id: str) -> list[str]:
    body = problem(response, 422)
    assert element_id in body["errors"], (element_id, body["errors"])
    assert any(p.get("element_id") == element_id for p in body["problems"])
    return body["errors"][element_id]


def test_valid_templates_deploy(service):
    """The carriers themselves are fine: only the payloads are refused."""
    versions = []
    for response in (
        deploy_xml(service, _gateway("x == 1")),
        deploy_xml(service, _timer("'PT1H'")),
        deploy_xml(service, _script("y = 1")),
        _deploy_dmn(service, "a", "'x'", "'ok'"),
    ):
        assert response.status_code == 201, response.get_json()
        versions.append(response.get_json()["version"])
    assert versions == [1, 2, 3, 4]
    assert definition_keys(service) == {"hostile"}


@pytest.mark.parametrize("carrier", ["gateway", "timer", "script", "dmn_input", "dmn_entry", "dmn_output"])
def test_escape_payloads_are_refused_everywhere(service, carrier):
    payloads = ESCAPES + (SCRIPT_ESCAPES if carrier == "script" else [])
    if carrier == "dmn_entry":
        payloads = [p for p in payloads if p != DMN_ENTRY_GAP]
    accepted = []
    for payload in payloads:
        if carrier == "gateway":
            r, element = deploy_xml(service, _gateway(payload)), "flow_bad"
        elif carrier == "timer":
            r, element = deploy_xml(service, _timer(payload)), "timer_bad"
        elif carrier == "script":
            r, element = deploy_xml(service, _script(payload)), "script_bad"
        elif carrier == "dmn_input":
            r, element = _deploy_dmn(service, input_expr=payload), "in1_expr"
        elif carrier == "dmn_entry":
            r, element = _deploy_dmn(service, entry=payload), "rule1_in"
        else:
            r, element = _deploy_dmn(service, output=payload), "rule1_out"
        if r.status_code != 422:
            accepted.append((payload, r.status_code))
            continue
        messages = _refused(r, element)
        assert messages and all(isinstance(m, str) and m for m in messages)
    assert accepted == []
    assert definition_keys(service) == set(), "nothing of a refused deployment is stored"


DMN_ENTRY_GAP = "[0] * 10 ** 9"


def test_dmn_entry_size_bomb_is_refused(service):
    _refused(_deploy_dmn(service, entry=DMN_ENTRY_GAP), "rule1_in")


# -- unsafe XML ----------------------------------------------------------------------------

_BODY = linear("xmlbomb", '<bpmn:task id="t1" name="&lol9;" />').split("?>", 1)[1]
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10)).replace(
        "&lol1;", "&lol;"
    )
    + "]>"
    + _BODY
)
XML_ATTACKS = {
    "billion_laughs": LAUGHS,
    "external_entity": '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + _BODY.replace("&lol9;", "&xxe;"),
    "parameter_entity": '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>'
    + _BODY.replace("&lol9;", "x"),
    "external_dtd": '<?xml version="1.0"?>\n<!DOCTYPE definitions SYSTEM "http://127.0.0.1:1/bpmn.dtd">'
    + _BODY.replace("&lol9;", "x"),
    "lowercase_doctype": '<?xml version="1.0"?>\n<!doctype d [<!entity x "y">]>'
    + _BODY.replace("&lol9;", "x"),
    "deep_nesting": linear(
        "deep",
        '<bpmn:task id="t1" name="T"><bpmn:extensionElements>'
        + '<x:a xmlns:x="urn:x">' * 5000
        + "</x:a>" * 5000
        + "</bpmn:extensionElements></bpmn:task>",
    ),
    "not_xml": "this is not < xml at all &",
    "oversized": linear("big", '<bpmn:task id="t1" name="T" />').replace(
        "</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "--></bpmn:definitions>"
    ),
}


@pytest.mark.parametrize("attack", sorted(XML_ATTACKS))
def test_unsafe_xml_is_refused(service, attack):
    body = problem(deploy_xml(service, XML_ATTACKS[attack]), 422)
    assert list(body["errors"]) == ["upload.bpmn"], body["errors"]
    assert "root:" not in str(body), "no file content leaks into the answer"
    assert definition_keys(service) == set()


def test_body_over_the_request_limit_is_413(service):
    huge = XML_ATTACKS["oversized"].replace("x" * 1000, "x" * 2000)
    assert len(huge) > service.app.config["MAX_CONTENT_LENGTH"]
    problem(deploy_xml(service, huge), 413)
    assert definition_keys(service) == set()


def test_xinclude_is_refused(service):
    xml = linear(
        "xi",
        '<bpmn:task id="t1" name="T"><bpmn:documentation><xi:include '
        'xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>'
        "</bpmn:documentation></bpmn:task>",
    )
    problem(deploy_xml(service, xml), 422)


def test_utf16_doctype_is_refused(service):
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY x "y">]>' + _BODY.replace(
        "&lol9;", "&x;"
    )
    problem(deploy_xml(service, xml.encode("utf-16")), 422)
