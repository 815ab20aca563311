"""Small diagrams that loop, one for each kind of loop (tests/unit/test_long_loops.py, bench/long_loops.py)."""

from __future__ import annotations

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="x">
"""
AGAIN = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">again == True</bpmn:conditionExpression>'
STEP = 'camunda:candidateGroups="manager"'


def _loop(process: str, body: str, flows: str, extra: str = "") -> str:
    """start -> merge -> [body: from 'b_in' to 'b_out'] -> more? -> (again) merge | end."""
    return (
        HEAD
        + f'<bpmn:process id="{process}" name="{process}" isExecutable="true">'
        + '<bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        + '<bpmn:exclusiveGateway id="merge" name="Again"><bpmn:incoming>f1</bpmn:incoming>'
        + "<bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>b_in</bpmn:outgoing></bpmn:exclusiveGateway>"
        + body
        + '<bpmn:exclusiveGateway id="more" name="More?" default="f5"><bpmn:incoming>b_out</bpmn:incoming>'
        + "<bpmn:outgoing>f4</bpmn:outgoing><bpmn:outgoing>f5</bpmn:outgoing></bpmn:exclusiveGateway>"
        + '<bpmn:endEvent id="end" name="End"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>'
        + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>'
        + f'<bpmn:sequenceFlow id="f4" sourceRef="more" targetRef="merge">{AGAIN}</bpmn:sequenceFlow>'
        + '<bpmn:sequenceFlow id="f5" sourceRef="more" targetRef="end"/>'
        + flows
        + extra
        + "</bpmn:process></bpmn:definitions>"
    )


# A user task in a loop: the step completes it with again=True.
PLAIN = _loop(
    "plain",
    f'<bpmn:userTask id="step" name="Step" {STEP}><bpmn:incoming>b_in</bpmn:incoming>'
    "<bpmn:outgoing>b_out</bpmn:outgoing></bpmn:userTask>",
    '<bpmn:sequenceFlow id="b_in" sourceRef="merge" targetRef="step"/>'
    '<bpmn:sequenceFlow id="b_out" sourceRef="step" targetRef="more"/>',
)

# A monthly timer then a script, in a loop: the step fires the timer.
TIMER = _loop(
    "timer",
    '<bpmn:intermediateCatchEvent id="month" name="A month"><bpmn:incoming>b_in</bpmn:incoming>'
    "<bpmn:outgoing>t1</bpmn:outgoing><bpmn:timerEventDefinition>"
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P1M"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    '<bpmn:scriptTask id="count" name="Count"><bpmn:incoming>t1</bpmn:incoming><bpmn:outgoing>b_out</bpmn:outgoing>'
    "<bpmn:script>again = True</bpmn:script></bpmn:scriptTask>",
    '<bpmn:sequenceFlow id="b_in" sourceRef="merge" targetRef="month"/>'
    '<bpmn:sequenceFlow id="t1" sourceRef="month" targetRef="count"/>'
    '<bpmn:sequenceFlow id="b_out" sourceRef="count" targetRef="more"/>',
)

# An embedded subprocess holding the user task, in a loop.
SUBPROCESS = _loop(
    "sub",
    '<bpmn:subProcess id="visit" name="Visit"><bpmn:incoming>b_in</bpmn:incoming><bpmn:outgoing>b_out</bpmn:outgoing>'
    '<bpmn:startEvent id="s_start" name="Begin"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>'
    f'<bpmn:userTask id="step" name="Step" {STEP}><bpmn:incoming>s1</bpmn:incoming>'
    "<bpmn:outgoing>s2</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:endEvent id="s_end" name="Done"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="s1" sourceRef="s_start" targetRef="step"/>'
    '<bpmn:sequenceFlow id="s2" sourceRef="step" targetRef="s_end"/>'
    "</bpmn:subProcess>",
    '<bpmn:sequenceFlow id="b_in" sourceRef="merge" targetRef="visit"/>'
    '<bpmn:sequenceFlow id="b_out" sourceRef="visit" targetRef="more"/>',
)

# A parallel split into a user task and a script, joined, in a loop.
PARALLEL = _loop(
    "parallel",
    '<bpmn:parallelGateway id="split" name="Split"><bpmn:incoming>b_in</bpmn:incoming>'
    "<bpmn:outgoing>p1</bpmn:outgoing><bpmn:outgoing>p2</bpmn:outgoing></bpmn:parallelGateway>"
    f'<bpmn:userTask id="step" name="Step" {STEP}><bpmn:incoming>p1</bpmn:incoming>'
    "<bpmn:outgoing>p3</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:scriptTask id="note" name="Note"><bpmn:incoming>p2</bpmn:incoming><bpmn:outgoing>p4</bpmn:outgoing>'
    "<bpmn:script>noted = True</bpmn:script></bpmn:scriptTask>"
    '<bpmn:parallelGateway id="join" name="Join"><bpmn:incoming>p3</bpmn:incoming><bpmn:incoming>p4</bpmn:incoming>'
    "<bpmn:outgoing>b_out</bpmn:outgoing></bpmn:parallelGateway>",
    '<bpmn:sequenceFlow id="b_in" sourceRef="merge" targetRef="split"/>'
    '<bpmn:sequenceFlow id="p1" sourceRef="split" targetRef="step"/>'
    '<bpmn:sequenceFlow id="p2" sourceRef="split" targetRef="note"/>'
    '<bpmn:sequenceFlow id="p3" sourceRef="step" targetRef="join"/>'
    '<bpmn:sequenceFlow id="p4" sourceRef="note" targetRef="join"/>'
    '<bpmn:sequenceFlow id="b_out" sourceRef="join" targetRef="more"/>',
)

# The plain loop with a non-interrupting message event subprocess (a concern, at any time).
EVENT_SUBPROCESS = HEAD.replace(
    'targetNamespace="x">', 'targetNamespace="x"><bpmn:message id="m_concern" name="concern"/>'
) + PLAIN[len(HEAD) :].replace('id="plain" name="plain"', 'id="evsub" name="evsub"').replace(
    "</bpmn:process>",
    '<bpmn:subProcess id="on_concern" name="On concern" triggeredByEvent="true">'
    '<bpmn:startEvent id="concern" name="Concern" isInterrupting="false"><bpmn:outgoing>e1</bpmn:outgoing>'
    '<bpmn:messageEventDefinition messageRef="m_concern"/></bpmn:startEvent>'
    f'<bpmn:userTask id="triage" name="Triage" {STEP}><bpmn:incoming>e1</bpmn:incoming>'
    "<bpmn:outgoing>e2</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:endEvent id="e_end" name="Triaged"><bpmn:incoming>e2</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="e1" sourceRef="concern" targetRef="triage"/>'
    '<bpmn:sequenceFlow id="e2" sourceRef="triage" targetRef="e_end"/>'
    "</bpmn:subProcess></bpmn:process>",
)

# A user task with a non-interrupting boundary timer (a reminder) in a loop.
BOUNDARY = _loop(
    "boundary",
    f'<bpmn:userTask id="step" name="Step" {STEP}><bpmn:incoming>b_in</bpmn:incoming>'
    "<bpmn:outgoing>b_out</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:boundaryEvent id="remind" name="Reminder" attachedToRef="step" cancelActivity="false">'
    "<bpmn:outgoing>r1</bpmn:outgoing><bpmn:timerEventDefinition>"
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P7D"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:endEvent id="reminded" name="Reminded"><bpmn:incoming>r1</bpmn:incoming></bpmn:endEvent>',
    '<bpmn:sequenceFlow id="b_in" sourceRef="merge" targetRef="step"/>'
    '<bpmn:sequenceFlow id="b_out" sourceRef="step" targetRef="more"/>'
    '<bpmn:sequenceFlow id="r1" sourceRef="remind" targetRef="reminded"/>',
)

# The parallel loop with a user task on each branch (their order may change from round to round).
PARALLEL_TWO_TASKS = PARALLEL.replace(
    '<bpmn:scriptTask id="note" name="Note">', f'<bpmn:userTask id="note" name="Note" {STEP}>'
).replace("<bpmn:script>noted = True</bpmn:script></bpmn:scriptTask>", "</bpmn:userTask>")
