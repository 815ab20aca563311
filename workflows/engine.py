"""Run a process instance one step at a time.

Each call takes the stored state (or nothing, to start), does one thing (start,
complete a task, fire a timer, deliver a message, cancel), runs the engine until
it waits for a person, a timer or a message, and returns the new state, what
can be read off it, and the history events the step produced (not yet numbered
or chained: the service does that in the same transaction as the state).

A script or expression that fails does not raise: the instance goes to
``error`` with an ``instance_error`` event naming the element, and the state
returned is the one just before the failing element ran.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import (
    CycleTimerEventDefinition,
    MessageEventDefinition,
    MultipleEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows import clock
from workflows.deployment import specs_for
from workflows.expressions import make_script_engine
from workflows.model import ProcessModel
from workflows.pruning import prune
from workflows.state import (
    Snapshot,
    bpmn_id,
    due_at,
    dump,
    event_subprocess_starts,
    load,
    messages_of,
    snapshot,
    timer_of,
)

# What a step starts from: the stored state (its JSON text, or a dict), or a workflow already parsed
# from it that nothing else holds (a parsed one is changed by the step; a text or dict never is).
State = str | dict[str, Any] | BpmnWorkflow


class TaskNotOpen(LookupError):
    """The task is not an open user task of this instance (completed, cancelled or unknown)."""


class NoWaitingEvent(LookupError):
    """The instance is not waiting for this message or timer."""


@dataclass
class EventDraft:
    type: str
    activity_id: str | None = None
    task_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None


@dataclass
class Outcome:
    state_text: str  # the serialized engine state (JSON), exactly as the service stores it
    snapshot: Snapshot
    events: list[EventDraft]
    # What was open and waiting before the step (None: not known, e.g. a start): lets the service
    # update its task and deadline indexes without first reading them back.
    tasks_before: frozenset[str] | None = None
    timers_before: frozenset[str] | None = None
    # The workflow ``state_text`` was serialized from (None after a cancel): the service may keep it
    # for the instance's next step instead of parsing the text again (service/store/parsed.py).
    workflow: BpmnWorkflow | None = None

    @property
    def state(self) -> dict[str, Any]:
        """The state as a fresh dict (parsed on each access; the service passes the text along)."""
        return json.loads(self.state_text)


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    set_ = {k: v for k, v in after.items() if k not in before or before[k] != v}
    removed = sorted(k for k in before if k not in after)
    if set_:
        changes["variables"] = set_
    if removed:
        changes["removed"] = removed
    return changes


class Runner:
    """Runs instances of one process model with the restricted script engine."""

    def __init__(
        self,
        model: ProcessModel,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        context_functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.model = model
        self.functions = functions
        self.context_functions = context_functions

    # -- the five things that can happen to an instance -------------------------------

    def start(self, variables: dict[str, Any], actor: str | None, now: datetime | None = None) -> Outcome:
        spec, subprocess_specs = specs_for(self.model)
        with clock.at(now):
            workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self._script_engine())
            start = workflow.task_tree
            start.data.update(copy.deepcopy(variables))
            trigger = EventDraft(
                # what the caller sent; "variables" (added after the step) is the state it led to
                "instance_started",
                data={"start_variables": copy.deepcopy(variables)},
                actor=actor,
            )
            return self._advance(workflow, trigger, None)

    def complete(
        self,
        state: State,
        task_id: str,
        data: dict[str, Any],
        actor: str,
        now: datetime | None = None,
    ) -> Outcome:
        with clock.at(now):
            workflow = self._load(state)
            task = self._open_user_task(workflow, task_id)
            prior = snapshot(self.model, workflow)
            task.data.update(copy.deepcopy(data))
            trigger = EventDraft(
                "task_completed",
                activity_id=bpmn_id(task),
                task_id=task_id,
                data={"data": copy.deepcopy(data)},
                actor=actor,
            )
            task.run()
            return self._advance(workflow, trigger, prior)

    def fire_timer(self, state: State, task_id: str, now: datetime | None = None) -> Outcome:
        """Fire the waiting timer ``task_id`` now, whatever its due time (the scheduler decides when)."""
        with clock.at(now) as moment:
            workflow = self._load(state)
            task = workflow.event_manager.tasks.get(UUID(task_id))
            found = timer_of(task) if task is not None else None
            if found is None:
                raise NoWaitingEvent(f"no waiting timer {task_id}")
            definition, element = found
            prior = snapshot(self.model, workflow)
            due = snapshot_due(task)
            if isinstance(definition, CycleTimerEventDefinition):
                # A cycle ticks when the clock passes its next moment, then waits for the next one.
                tick = max(moment, (due_at(task) or moment) + timedelta(microseconds=1))
                with clock.at(tick):
                    task.task_spec._update(task)
            else:
                task._set_internal_data(event_fired=True)
                task.task_spec._update(task)
            trigger = EventDraft(
                "timer_fired",
                activity_id=element,
                task_id=task_id,
                data={"due_at": due, "fired_at": moment.isoformat()},
            )
            return self._advance(workflow, trigger, prior)

    def deliver(
        self,
        state: State,
        name: str,
        payload: dict[str, Any],
        actor: str | None,
        now: datetime | None = None,
    ) -> Outcome:
        with clock.at(now):
            workflow = self._load(state)
            waiting = [t for t in workflow.event_manager.tasks.values() if name in messages_of(t)]
            starts = [s for s in event_subprocess_starts(workflow) if s[0] == name]
            if not waiting and starts:  # an event subprocess's message start: no task waits for it
                prior = snapshot(self.model, workflow)
                _, definition, start = starts[0]
                workflow.catch(BpmnEvent(definition, payload=copy.deepcopy(payload)))
                trigger = EventDraft(
                    "message_received",
                    activity_id=start.bpmn_id,
                    data={"name": name, "payload": copy.deepcopy(payload)},
                    actor=actor,
                )
                return self._advance(workflow, trigger, prior)
            if not waiting:
                raise NoWaitingEvent(f"not waiting for message '{name}'")
            prior = snapshot(self.model, workflow)
            definition = waiting[0].task_spec.event_definition
            if isinstance(definition, MultipleEventDefinition):  # an event-based gateway
                definition = next(
                    d
                    for d in definition.event_definitions
                    if isinstance(d, MessageEventDefinition) and d.name == name
                )
            workflow.catch(BpmnEvent(definition, payload=copy.deepcopy(payload)))
            trigger = EventDraft(
                "message_received",
                activity_id=bpmn_id(waiting[0]),
                task_id=str(waiting[0].id),
                data={"name": name, "payload": copy.deepcopy(payload)},
                actor=actor,
            )
            return self._advance(workflow, trigger, prior)

    def cancel(
        self,
        state: State,
        actor: str,
        reason: str,
        now: datetime | None = None,
        reason_code: str | None = None,
    ) -> Outcome:
        """Cancel the instance; ``reason_code`` (an end reason) is recorded and kept as ``end_reason``."""
        with clock.at(now):
            workflow = self._load(state)
            before = snapshot(self.model, workflow)
            workflow.cancel()
            after = snapshot(self.model, workflow, cancelled=True)
            after.variables = before.variables  # a cancelled instance keeps what it held
            events = [
                EventDraft("task_cancelled", activity_id=t.activity_id, task_id=t.task_id, actor=actor)
                for t in before.open_tasks
            ]
            data: dict[str, Any] = {"reason": reason}
            if reason_code is not None:
                data["reason_code"] = reason_code
                data["variables"] = {"end_reason": reason_code}
                after.variables = {**before.variables, "end_reason": reason_code}
            events.append(EventDraft("instance_cancelled", data=data, actor=actor))
            return Outcome(dump(workflow), after, events, *_open_and_waiting(before))

    def read(self, state: State, *, status: str | None = None) -> Snapshot:
        workflow = self._load(state)
        return snapshot(self.model, workflow, cancelled=status == "cancelled", error=status == "error")

    # -- machinery ---------------------------------------------------------------------

    def _script_engine(self):
        return make_script_engine(self.functions, self.context_functions)

    def script_engine(self):
        """The restricted script engine this runner's steps use (for a workflow built elsewhere)."""
        return self._script_engine()

    def advance(self, workflow: BpmnWorkflow, trigger: EventDraft, prior: Snapshot) -> Outcome:
        """Run the engine after ``trigger`` happened to ``workflow`` (a migration, say), as any step does."""
        return self._advance(workflow, trigger, prior)

    def _load(self, state: State) -> BpmnWorkflow:
        workflow = state if isinstance(state, BpmnWorkflow) else load(self.model, state)
        workflow.script_engine = self._script_engine()
        return workflow

    def _open_user_task(self, workflow: BpmnWorkflow, task_id: str) -> Task:
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, SpiffWorkflowException):
            task = None
        if task is None or not isinstance(task.task_spec, UserTask) or not task.has_state(TaskState.READY):
            raise TaskNotOpen(task_id)
        return task

    def _advance(self, workflow: BpmnWorkflow, trigger: EventDraft, prior: Snapshot | None) -> Outcome:
        """Run engine steps after ``trigger`` and describe what changed since ``prior`` (None: a start)."""
        before = copy.deepcopy(prior.variables) if prior else {}
        open_before = ({t.task_id for t in prior.open_tasks} if prior else set()) - {trigger.task_id}
        completed: list[str] = []
        fired: list[EventDraft] = []
        saved: dict[UUID, dict[str, Any]] = {}

        def will_run(task: Task) -> None:
            saved[task.id] = copy.deepcopy(task.data)
            definition = getattr(task.task_spec, "event_definition", None)
            firing = isinstance(definition, TimerEventDefinition) and not isinstance(
                definition,
                CycleTimerEventDefinition,  # a cycle ticks through new branches, not by running
            )
            if firing and str(task.id) != trigger.task_id:
                fired.append(
                    EventDraft(
                        "timer_fired",
                        activity_id=bpmn_id(task),
                        task_id=str(task.id),
                        data={"due_at": snapshot_due(task), "fired_at": clock.now().isoformat()},
                    )
                )

        def did_run(task: Task) -> None:
            saved.pop(task.id, None)
            element = bpmn_id(task)
            if element:
                completed.append(element)

        error: EventDraft | None = None
        try:
            workflow.do_engine_steps(will_complete_task=will_run, did_complete_task=did_run)
        except Exception as err:  # a script or expression in the diagram failed
            error = self._error_event(err, saved, workflow)
        if trigger.type == "task_completed" and trigger.activity_id:
            completed.insert(0, trigger.activity_id)
        after = snapshot(self.model, workflow, error=error is not None)
        trigger.data.update(_diff(before, after.variables))
        if prior is None or after.stage != prior.stage:
            trigger.data["stage"] = after.stage
        if completed:
            trigger.data["completed"] = [c for c in completed if c]
        events = [trigger, *fired]
        now_open = {t.task_id: t for t in after.open_tasks}
        for task_id in sorted(open_before - set(now_open)):
            task = workflow.get_task_from_id(UUID(task_id))
            events.append(EventDraft("task_cancelled", activity_id=bpmn_id(task), task_id=task_id))
        for task in after.open_tasks:
            if task.task_id not in open_before:
                events.append(
                    EventDraft(
                        "task_ready",
                        activity_id=task.activity_id,
                        task_id=task.task_id,
                        data={"name": task.name, "role": task.role, "assignee": task.assignee},
                    )
                )
        if error is not None:
            events.append(error)
        elif after.status == "completed":
            events.append(
                EventDraft(
                    "instance_completed", activity_id=after.end_state, data={"end_state": after.end_state}
                )
            )
        if error is None:
            prune(workflow)  # the finished part of the tree: the events hold the history
        return Outcome(dump(workflow), after, events, *_open_and_waiting(prior), workflow=workflow)

    def _error_event(
        self, err: Exception, saved: dict[UUID, dict[str, Any]], workflow: BpmnWorkflow
    ) -> EventDraft:
        task = getattr(err, "task", None)
        for task_id, data in saved.items():  # undo what the failing element did to its data
            failed = workflow.get_task_from_id(task_id)
            if failed is not None:
                failed.data = data
                task = task or failed
        element = bpmn_id(task) if task is not None else None
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return EventDraft(
            "instance_error",
            activity_id=element,
            task_id=str(task.id) if task is not None else None,
            data={"element": element, "error": _error_type(err), "message": message[:500]},
        )


def _open_and_waiting(prior: Snapshot | None) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    if prior is None:
        return None, None
    return frozenset(t.task_id for t in prior.open_tasks), frozenset(t.task_id for t in prior.timers)


def _error_type(err: Exception) -> str:
    """The error the diagram's code raised, not SpiffWorkflow's wrapper around it."""
    wrapped = getattr(err, "error_type", None)  # SpiffWorkflow's WorkflowTaskException names it
    return wrapped if isinstance(wrapped, str) and wrapped != "unknown" else type(err).__name__


def snapshot_due(task: Task) -> str | None:
    moment = due_at(task)
    return moment.isoformat() if moment else None
