"""The engine layer on its own: deploy-time checks and one step at a time, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workflows.deployment import compile_deployment
from workflows.engine import NoWaitingEvent, Runner, TaskNotOpen
from workflows.history import chain, verify
from workflows.model import DeploymentInvalid
from workflows.sources import read_directory

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model():
    files, forms = read_directory([ROOT / "bpmn" / "example_callback.bpmn"], ROOT / "forms")
    (only,) = compile_deployment(files, {"example_callback": forms["example_callback"]})
    return only


def _types(outcome) -> list[str]:
    return [e.type for e in outcome.events]


def test_start_runs_the_script_and_waits_for_the_call_back(model):
    out = Runner(model).start({"caller_ref": "R-1", "priority": "high"}, "manager1", T0)
    assert out.snapshot.status == "running"
    assert out.snapshot.variables["target_hours"] == 4
    assert [t.activity_id for t in out.snapshot.open_tasks] == ["call_back"]
    (timer,) = out.snapshot.timers
    assert timer.activity_id == "call_back_overdue"
    assert timer.due_at == T0 + timedelta(hours=4)
    assert _types(out) == ["instance_started", "task_ready"]


def test_normal_priority_gets_a_day(model):
    out = Runner(model).start({"caller_ref": "R-1", "priority": "normal"}, "manager1", T0)
    assert out.snapshot.timers[0].due_at == T0 + timedelta(hours=24)


def test_timer_fired_escalates_and_the_call_back_stays_open(model):
    runner = Runner(model)
    out = runner.start({"caller_ref": "R-1", "priority": "high"}, "manager1", T0)
    fired = runner.fire_timer(out.state, out.snapshot.timers[0].task_id, T0 + timedelta(hours=4, seconds=1))
    assert [t.activity_id for t in fired.snapshot.open_tasks] == ["call_back", "chase_call_back"]
    assert _types(fired) == ["timer_fired", "task_ready"]
    assert fired.snapshot.timers == []  # a timeDate fires once
    assert fired.events[0].data["due_at"] == (T0 + timedelta(hours=4)).isoformat()
    tasks = {t.activity_id: t.task_id for t in fired.snapshot.open_tasks}
    chased = runner.complete(
        fired.state,
        tasks["chase_call_back"],
        {"overdue_reason": "ill", "chase_action": "reassigned"},
        "manager1",
        T0,
    )
    assert chased.snapshot.status == "running"
    assert [t.activity_id for t in chased.snapshot.open_tasks] == ["call_back"]
    done = runner.complete(
        chased.state,
        tasks["call_back"],
        {"called_at": T0.isoformat(), "documents_needed": False},
        "manager1",
        T0 + timedelta(hours=5),
    )
    assert done.snapshot.status == "completed"
    assert done.snapshot.end_state == "resolved"


def test_call_back_made_before_the_chase_leaves_the_chase_open(model):
    runner = Runner(model)
    out = runner.start({"caller_ref": "R-1", "priority": "high"}, "manager1", T0)
    fired = runner.fire_timer(out.state, out.snapshot.timers[0].task_id, T0 + timedelta(hours=4, seconds=1))
    tasks = {t.activity_id: t.task_id for t in fired.snapshot.open_tasks}
    called = runner.complete(
        fired.state,
        tasks["call_back"],
        {"called_at": T0.isoformat(), "documents_needed": False},
        "manager1",
        T0,
    )
    assert called.snapshot.status == "running"
    assert [t.activity_id for t in called.snapshot.open_tasks] == ["chase_call_back"]
    done = runner.complete(
        called.state,
        tasks["chase_call_back"],
        {"overdue_reason": "ill", "chase_action": "calling_now"},
        "manager1",
        T0,
    )
    assert done.snapshot.status == "completed"
    assert done.snapshot.end_state == "overdue_chased"


def test_unknown_task_is_not_open_and_changes_nothing(model):
    runner = Runner(model)
    out = runner.start({"caller_ref": "R-1", "priority": "high"}, "manager1", T0)
    late = T0 + timedelta(hours=5)
    with pytest.raises(TaskNotOpen):
        runner.complete(out.state, "not-a-task", {}, "manager1", late)
    assert runner.read(out.state).timers[0].due_at == T0 + timedelta(hours=4)


def test_message_path_and_completed_task_is_not_open(model):
    runner = Runner(model)
    out = runner.start({"caller_ref": "R-1", "priority": "high"}, "manager1", T0)
    task_id = out.snapshot.open_tasks[0].task_id
    called = runner.complete(
        out.state, task_id, {"called_at": T0.isoformat(), "documents_needed": True}, "m", T0
    )
    assert called.snapshot.status == "waiting"
    assert called.snapshot.messages == ["documents_received"]
    assert called.snapshot.timers == []
    with pytest.raises(TaskNotOpen):
        runner.complete(called.state, task_id, {}, "m", T0)
    with pytest.raises(NoWaitingEvent):
        runner.deliver(called.state, "something_else", {}, "m", T0)
    done = runner.deliver(called.state, "documents_received", {"pages": 2}, "m", T0)
    assert done.snapshot.end_state == "resolved"
    assert done.snapshot.variables["pages"] == 2
    assert _types(done) == ["message_received", "instance_completed"]


def test_events_of_a_whole_run_chain(model):
    runner = Runner(model)
    out = runner.start({"caller_ref": "R-1", "priority": "high"}, "m", T0)
    drafts = list(out.events)
    out = runner.complete(
        out.state,
        out.snapshot.open_tasks[0].task_id,
        {"called_at": T0.isoformat(), "documents_needed": False},
        "m",
        T0,
    )
    drafts += out.events
    events = chain(
        (
            {
                "at": T0.isoformat(),
                "type": d.type,
                "actor": d.actor,
                "activity_id": d.activity_id,
                "task_id": d.task_id,
                "data": d.data,
            }
            for d in drafts
        ),
        last_seq=0,
        last_hash=None,
    )
    assert verify(events) is None
    assert events[-1]["type"] == "instance_completed"


BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:process id="broken" name="Broken" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="escape" name="Escape"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>x = ().__class__.__bases__[0].__subclasses__()</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="nobody" name="Nobody's task"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" name="Which?"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="escape"/>
    <bpmn:sequenceFlow id="f2" sourceRef="escape" targetRef="nobody"/>
    <bpmn:sequenceFlow id="f3" sourceRef="nobody" targetRef="gw"/>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">__import__('os')</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="end" name="End"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_every_problem_is_listed_with_its_element():
    with pytest.raises(DeploymentInvalid) as err:
        compile_deployment([("broken.bpmn", BROKEN)])
    by_element = {p.element_id for p in err.value.problems}
    assert {"escape", "nobody", "f4"} <= by_element


@pytest.mark.parametrize(
    "content",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<html/>",
        b"<x>" + b"a" * (3 * 1024 * 1024) + b"</x>",
    ],
)
def test_unsafe_or_foreign_files_are_refused(content):
    with pytest.raises(DeploymentInvalid) as err:
        compile_deployment([("f.bpmn", content)])
    assert err.value.problems[0].file == "f.bpmn"


def test_script_error_keeps_the_state_before_the_failing_step():
    xml = (
        BROKEN.replace("().__class__.__bases__[0].__subclasses__()", "1 / 0")
        .replace("__import__('os')", "True")
        .replace('name="Nobody\'s task"', 'name="Task" camunda:candidateGroups="manager"')
        .replace("xmlns:xsi=", 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=')
    )
    (model,) = compile_deployment([("div.bpmn", xml)])
    out = Runner(model).start({"kept": 1}, "m", T0)
    assert out.snapshot.status == "error"
    error = out.events[-1]
    assert error.type == "instance_error"
    assert error.activity_id == "escape"
    assert error.data["error"] == "ZeroDivisionError"
    assert out.snapshot.variables == {"kept": 1}


TWO_TIMERS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="two" name="Two timers" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:eventBasedGateway id="gw" name="Which first?"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:eventBasedGateway>
    <bpmn:intermediateCatchEvent id="late" name="Two hours"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="early" name="One hour"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end_late" name="Late"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_early" name="Early"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw" />
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="late" />
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="early" />
    <bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="end_late" />
    <bpmn:sequenceFlow id="f5" sourceRef="early" targetRef="end_early" />
  </bpmn:process>
</bpmn:definitions>"""


def test_an_event_gateway_waiting_for_two_timers_is_refused():
    """SpiffWorkflow 3.2 gives every timer of a gateway the first one's due time: the one-hour timer
    would fire at two hours, so such a diagram cannot be deployed; with one timer it can."""
    with pytest.raises(DeploymentInvalid) as err:
        compile_deployment([("two.bpmn", TWO_TIMERS)])
    (problem,) = err.value.problems
    assert problem.element_id == "gw"
    assert "one timer at most, not 2 ('Two hours', 'One hour')" in problem.message
    one_timer = TWO_TIMERS.replace(
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"'
        "</bpmn:timeDuration></bpmn:timerEventDefinition>",
        '<bpmn:messageEventDefinition messageRef="reply" />',
    ).replace('<bpmn:process id="two"', '<bpmn:message id="reply" name="reply" />\n  <bpmn:process id="two"')
    assert one_timer.count("timerEventDefinition>") == 2  # one timer left (open and close tags)
    (model,) = compile_deployment([("one.bpmn", one_timer)])
    out = Runner(model).start({}, "m", T0)
    assert [t.activity_id for t in out.snapshot.timers] == ["late"]
