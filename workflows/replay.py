"""Replay an instance from its history alone: the state just after any event, and its diagram path.

``replay`` folds the stored events in ``seq`` order; it runs no engine and reads
no clock, so the answer for a given history is always the same.  What each
event contributes (see ``engine.py``):

- any event: ``data.variables`` are set, ``data.removed`` are dropped,
  ``data.completed`` activities are added, ``data.stage`` (when present) is the
  new stage;
- ``task_ready`` opens a task, ``task_completed``/``task_cancelled`` close it;
- ``instance_completed`` / ``instance_cancelled`` / ``instance_error`` fix the
  status (and close every task / clear the stage for the first two).

Events of one engine step are folded one by one, so a ``seq`` in the middle of
a step shows the step half applied (e.g. just after ``task_completed``, before
the ``task_ready`` of the next task, no task is open and the status is
``waiting``).

``DiagramGraph`` reads the sequence flows and catch events of a BPMN document,
so ``path`` can tell which elements are active and which flows were taken.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import xmlsafe

TERMINAL = {"instance_completed": "completed", "instance_cancelled": "cancelled", "instance_error": "error"}
_DECIDING_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")


class SeqOutOfRange(LookupError):
    """The history has no event with that ``seq``."""


@dataclass
class ReplayState:
    seq: int
    at: str | None
    type: str | None
    status: str
    stage: str | None
    variables: dict[str, Any]
    active_tasks: list[dict[str, str]]  # {"task_id", "activity_id", "name"}, by activity id
    completed_activities: list[str]  # each activity once, in the order first completed
    end_state: str | None = None
    waiting_events: list[str] = field(default_factory=list)  # intermediate catch events waited on

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "type": self.type,
            "status": self.status,
            "stage": self.stage,
            "variables": self.variables,
            "active_tasks": [{"activity_id": t["activity_id"], "name": t["name"]} for t in self.active_tasks],
            "completed_activities": list(self.completed_activities),
            "end_state": self.end_state,
        }


@dataclass
class DiagramGraph:
    """What of a BPMN document the diagram path needs: flows, element kinds, boundary attachments."""

    flows: dict[str, tuple[str, str]] = field(default_factory=dict)  # flow id -> (source, target)
    kinds: dict[str, str] = field(default_factory=dict)  # element id -> local tag name
    attached: dict[str, str] = field(default_factory=dict)  # boundary event id -> activity id

    @classmethod
    def from_xml(cls, xml: str | bytes) -> DiagramGraph:
        graph = cls()
        for element in xmlsafe.parse(xml).iter():
            if not isinstance(element.tag, str) or not element.get("id"):
                continue
            kind = etree.QName(element).localname
            graph.kinds[element.get("id")] = kind
            if kind == "sequenceFlow":
                graph.flows[element.get("id")] = (element.get("sourceRef"), element.get("targetRef"))
            elif kind == "boundaryEvent" and element.get("attachedToRef"):
                graph.attached[element.get("id")] = element.get("attachedToRef")
        return graph

    def targets(self, source: str) -> list[str]:
        return [t for s, t in self.flows.values() if s == source]


def replay(
    events: Sequence[Mapping[str, Any]], seq: int | None = None, graph: DiagramGraph | None = None
) -> ReplayState:
    """The instance just after event ``seq`` (default: the last) of ``events`` (in ``seq`` order)."""
    if not events:
        raise SeqOutOfRange("the history is empty")
    last = events[-1]["seq"]
    seq = last if seq is None else seq
    if not 1 <= seq <= last:
        raise SeqOutOfRange(f"no event {seq}: the history has events 1 to {last}")
    variables: dict[str, Any] = {}
    stage: str | None = None
    tasks: dict[str, dict[str, str]] = {}
    completed: dict[str, None] = {}
    waiting: dict[str, int] = {}
    terminal: str | None = None
    end_state: str | None = None
    current: Mapping[str, Any] = events[0]
    for index, event in enumerate(events):
        if event["seq"] > seq:
            break
        current = event
        data = event.get("data") or {}
        kind = event["type"]
        variables.update(copy.deepcopy(data.get("variables") or {}))
        for name in data.get("removed") or []:
            variables.pop(name, None)
        if "stage" in data:
            stage = data["stage"]
        for activity in data.get("completed") or []:
            completed.setdefault(activity, None)
        if graph is not None and data.get("completed"):
            _follow(graph, waiting, data["completed"], _step_after(events, index))
        if kind == "task_ready" and event.get("task_id"):
            tasks[event["task_id"]] = {
                "task_id": event["task_id"],
                "activity_id": event.get("activity_id") or "",
                "name": data.get("name") or "",
            }
        elif kind in ("task_completed", "task_cancelled"):
            tasks.pop(event.get("task_id"), None)
        elif kind in TERMINAL:
            terminal = TERMINAL[kind]
            if kind == "instance_completed":
                end_state = data.get("end_state") or event.get("activity_id")
            if kind != "instance_error":
                tasks.clear()
                waiting.clear()
                stage = None
    active = sorted(tasks.values(), key=lambda t: (t["activity_id"], t["task_id"]))
    status = terminal or ("running" if active else "waiting")
    return ReplayState(
        seq=current["seq"],
        at=current.get("at"),
        type=current.get("type"),
        status=status,
        stage=stage,
        variables=variables,
        active_tasks=active,
        completed_activities=list(completed),
        end_state=end_state,
        waiting_events=sorted(e for e, n in waiting.items() if n > 0),
    )


def _step_after(events: Sequence[Mapping[str, Any]], index: int) -> list[Mapping[str, Any]]:
    """The rest of the engine step that ``events[index]`` triggered: same ``at``, no ``completed`` of its own."""
    out = []
    for event in events[index + 1 :]:
        if event.get("at") != events[index].get("at") or "completed" in (event.get("data") or {}):
            break
        out.append(event)
    return out


def _follow(
    graph: DiagramGraph,
    waiting: dict[str, int],
    completed: list[str],
    rest_of_step: list[Mapping[str, Any]],
) -> None:
    """Count intermediate catch events entered (a flow into them taken) and left (completed)."""
    readied = {e.get("activity_id") for e in rest_of_step if e.get("type") == "task_ready"}
    for position, node in enumerate(completed):
        if waiting.get(node):
            waiting[node] -= 1
            for source, target in graph.flows.values():  # an event-based gateway's other branches end
                if target == node and graph.kinds.get(source) == "eventBasedGateway":
                    for sibling in graph.targets(source):
                        waiting.pop(sibling, None)
        targets = graph.targets(node)
        later = set(completed[position + 1 :]) | readied
        for target in targets:
            if graph.kinds.get(target) != "intermediateCatchEvent":
                continue
            siblings = set(targets) - {target}
            if graph.kinds.get(node) in _DECIDING_GATEWAYS and siblings & later:
                continue  # the gateway sent the token elsewhere
            if target in completed[position + 1 :]:
                continue  # entered and left in the same step
            waiting[target] = waiting.get(target, 0) + 1


def path(graph: DiagramGraph, state: ReplayState) -> dict[str, list[str]]:
    """Completed and active elements and the sequence flows taken, for highlighting.

    Active: open user tasks, boundary events on them, and intermediate catch
    events waited on.  A flow is taken when its source completed and its target
    completed or is active (so a branch taken in an earlier round of a loop
    stays highlighted).
    """
    completed = [c for c in state.completed_activities if c in graph.kinds or not graph.kinds]
    active_tasks = {t["activity_id"] for t in state.active_tasks}
    active = set(active_tasks) | set(state.waiting_events)
    if state.status not in ("completed", "cancelled"):
        active |= {event for event, activity in graph.attached.items() if activity in active_tasks}
    done = set(completed)
    taken = [
        flow
        for flow, (source, target) in graph.flows.items()
        if source in done and (target in done or target in active)
    ]
    return {"completed": completed, "active": sorted(active), "taken_flows": sorted(taken)}
