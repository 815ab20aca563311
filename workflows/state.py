"""Serialized engine state without the specs, and what can be read off it.

The stored state of an instance holds only its task tree and data: the specs
come from the deployed definition (parsed once and cached), so a step's cost
does not include re-reading the diagram.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import (
    CycleTimerEventDefinition,
    MessageEventDefinition,
    MultipleEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows.deployment import specs_for
from workflows.model import ProcessModel
from workflows.parser import SERIALIZER


def dump(workflow: BpmnWorkflow) -> str:
    """The state as the JSON text the service stores: serialized once per step, never re-parsed here."""
    dct = SERIALIZER.to_dict(workflow)
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return json.dumps(dct, separators=(",", ":"))


def load(model: ProcessModel, state: str | dict[str, Any]) -> BpmnWorkflow:
    """A workflow from stored state: the JSON text (parsed once), or a dict (copied, never changed)."""
    spec, subprocess_specs = specs_for(model)
    dct = json.loads(state if isinstance(state, str) else json.dumps(state))
    SERIALIZER.migrate(dct)
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    return SERIALIZER.from_dict(dct)


def all_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Every task of the instance and its subprocesses (no depth limit, unlike the iterator)."""
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def bpmn_id(task: Task) -> str | None:
    return getattr(task.task_spec, "bpmn_id", None)


@dataclass
class OpenTask:
    task_id: str
    activity_id: str
    name: str
    role: str
    assignee: str | None


@dataclass
class PendingTimer:
    task_id: str
    activity_id: str
    name: str
    due_at: datetime | None
    sla_milestone: str | None


@dataclass
class Snapshot:
    status: str  # running | waiting | completed | cancelled | error
    stage: str | None
    variables: dict[str, Any]
    open_tasks: list[OpenTask] = field(default_factory=list)
    timers: list[PendingTimer] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    end_state: str | None = None


def _resolve_assignee(expression: str | None, data: dict[str, Any]) -> str | None:
    if not expression:
        return None
    if expression.startswith("${") and expression.endswith("}"):
        value = data.get(expression[2:-1])
        return value if isinstance(value, str) and value else None
    return expression


def timer_of(task: Task) -> tuple[TimerEventDefinition, str] | None:
    """The timer a waiting task waits for, with the element it belongs to.

    An event-based gateway waits for the events of the catch events after it: its timer is
    reported as the timer catch event's element.
    """
    definition = task.task_spec.event_definition
    if isinstance(definition, TimerEventDefinition):
        return definition, bpmn_id(task) or ""
    if isinstance(definition, MultipleEventDefinition):
        for index, inner in enumerate(definition.event_definitions):
            if isinstance(inner, TimerEventDefinition):
                outputs = task.task_spec.outputs
                element = getattr(outputs[index], "bpmn_id", None) if index < len(outputs) else None
                return inner, element or bpmn_id(task) or ""
    return None


def messages_of(task: Task) -> list[str]:
    definition = task.task_spec.event_definition
    inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return [d.name for d in inner if isinstance(d, MessageEventDefinition)]


def event_subprocess_starts(workflow: BpmnWorkflow) -> list[tuple[str, Any]]:
    """(message name, its definition) of the message start events of the process's event subprocesses.

    SpiffWorkflow starts an event subprocess when its event is caught, without a waiting task: while
    the instance runs, these messages are awaited too (a safeguarding concern at any time, say).
    """
    if workflow.is_completed():
        return []
    found = []
    for name in getattr(workflow.spec.start, "trigger_specs", []):
        sub_spec = workflow.subprocess_specs.get(name)
        for start in getattr(sub_spec, "bpmn_start_events", []) if sub_spec is not None else []:
            definition = start.event_definition
            if isinstance(definition, MessageEventDefinition):
                found.append((definition.name, definition, start))
    return found


def due_at(task: Task) -> datetime | None:
    """When a waiting timer is due, as the engine computed it."""
    found = timer_of(task)
    if found is None:
        return None
    definition = found[0]
    value = definition.details(task).value
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        value = value["next"] if isinstance(value, dict) else value
    if not isinstance(value, str):
        return None
    moment = TimerEventDefinition.get_datetime(value)
    return datetime.fromtimestamp(moment.timestamp(), UTC)  # a plain datetime, not the engine clock's


_MISSING = object()


def _changes(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if base.get(k, _MISSING) != v}


def _is_event_subprocess(workflow: BpmnWorkflow, task: Task) -> bool:
    """The task of an event subprocess (the Camunda parser gives it a call activity's spec)."""
    names = getattr(workflow.spec.start, "trigger_specs", [])
    return isinstance(task.task_spec, EventSubprocess) or task.task_spec.name in names


def _event_subprocess_base(workflow: BpmnWorkflow, task: Task) -> dict[str, Any] | None:
    """For a task inside an event subprocess: the data the subprocess started with (else None)."""
    sub = task.workflow
    if sub is workflow or sub.parent_task_id is None:
        return None
    parent = workflow.get_task_from_id(sub.parent_task_id)
    if parent is None or not _is_event_subprocess(workflow, parent):
        return None
    return sub.task_tree.data


def _event_subprocess_results(workflow: BpmnWorkflow) -> list[tuple[float, dict[str, Any]]]:
    """(when, what it changed) of each finished event subprocess (a safeguarding decision, say)."""
    found = []
    for task in workflow.tasks.values():
        if _is_event_subprocess(workflow, task) and task.has_state(TaskState.COMPLETED):
            sub = workflow.subprocesses.get(task.id)
            if sub is not None:
                found.append((task.last_state_change, _changes(task.data, sub.task_tree.data)))
    return found


def variables(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's variables: what its active tasks hold, latest change last; at the end, the result.

    An event subprocess starts from a copy of the data of its moment: only what it changed counts,
    while it runs and after it finished (so a safeguarding decision stays in the variables).
    """
    if workflow.is_completed():
        merged = dict(workflow.data)
        for _, changes in sorted(_event_subprocess_results(workflow), key=lambda c: c[0]):
            merged.update(changes)
        merged.pop("data_objects", None)
        return merged
    active = [
        t
        for t in all_tasks(workflow)
        if t.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR)
    ]
    updates: list[tuple[float, dict[str, Any]]] = list(_event_subprocess_results(workflow))
    for task in active:
        base = _event_subprocess_base(workflow, task)
        updates.append((task.last_state_change, task.data if base is None else _changes(task.data, base)))
    merged: dict[str, Any] = {}
    for _, data in sorted(updates, key=lambda u: u[0]):
        merged.update(data)
    merged.pop("data_objects", None)
    return merged


def _stage(model: ProcessModel, workflow: BpmnWorkflow, task: Task) -> str | None:
    current: Task | None = task
    while current is not None:
        element = bpmn_id(current)
        if element in model.stages:
            return model.stages[element]
        lane = model.lanes.get(element or "")
        if lane in model.stages:
            return model.stages[lane]
        parent_id = current.workflow.parent_task_id
        current = workflow.get_task_from_id(parent_id) if parent_id is not None else None
    return None


def snapshot(
    model: ProcessModel, workflow: BpmnWorkflow, *, cancelled: bool = False, error: bool = False
) -> Snapshot:
    tasks = all_tasks(workflow)
    data = variables(workflow)
    open_tasks = []
    for task in tasks:
        if isinstance(task.task_spec, UserTask) and task.has_state(TaskState.READY):
            meta = model.user_tasks.get(bpmn_id(task) or "")
            if meta is None:
                continue
            open_tasks.append(
                OpenTask(
                    task_id=str(task.id),
                    activity_id=meta.activity_id,
                    name=meta.name,
                    role=meta.role,
                    assignee=_resolve_assignee(meta.assignee, task.data),
                )
            )
    timers, messages = [], []
    for task in workflow.event_manager.tasks.values():
        found = timer_of(task)
        if found is not None:
            element = found[1]
            meta = model.timers.get(element)
            timers.append(
                PendingTimer(
                    task_id=str(task.id),
                    activity_id=element,
                    name=meta.name if meta else element,
                    due_at=due_at(task),
                    sla_milestone=meta.sla_milestone if meta else None,
                )
            )
        messages.extend(messages_of(task))
    messages.extend(name for name, _, _ in event_subprocess_starts(workflow))
    end_state = None
    if cancelled:
        status = "cancelled"
    elif error:
        status = "error"
    elif workflow.is_completed():
        status = "completed"
        ends = [
            t
            for t in workflow.tasks.values()
            if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)
        ]
        if ends:
            end_state = bpmn_id(max(ends, key=lambda t: t.last_state_change))
    else:
        status = "running" if open_tasks else "waiting"
    stage = None
    if status in ("running", "waiting", "error"):
        active = [t for t in tasks if t.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED)]
        for task in sorted(active, key=lambda t: -t.last_state_change):
            stage = _stage(model, workflow, task)
            if stage:
                break
    open_tasks.sort(key=lambda t: t.activity_id)
    timers.sort(key=lambda t: (t.due_at is None, t.due_at or datetime.max, t.activity_id))
    return Snapshot(
        status=status,
        stage=stage,
        variables=data,
        open_tasks=open_tasks,
        timers=timers,
        messages=sorted(set(messages)),
        end_state=end_state,
    )
