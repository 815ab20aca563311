"""Replay an instance from its history alone: the state just after any event, and its diagram path.

``replay`` folds the stored events in ``seq`` order; it runs no engine and reads
no clock, so the answer for a given history is always the same.  What each
event contributes (see ``engine.py``):

- any event: ``data.variables`` are set, ``data.removed`` are dropped,
  ``data.completed`` activities are added, ``data.stage`` (when present) is the
  new stage;
- ``task_ready`` opens a task, ``task_completed``/``task_cancelled`` close it;
- ``instance_completed`` / ``instance_cancelled`` / ``instance_error`` fix the
  status (and close every task / clear the stage for the first two);
- ``instance_migrated`` moves the instance to ``data.to_version``: its open tasks take the
  activity and name in ``data.tasks``, the activities done are renamed by ``data.mapping``, and
  (given ``versions``) the diagram of the new version is read for the path from then on.

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

from workflows import xmlsafe

TERMINAL = {"instance_completed": "completed", "instance_cancelled": "cancelled", "instance_error": "error"}


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
    taken_flows: list[str] = field(default_factory=list)  # needs the diagram graph
    # boundary timers that fired while their activity stays open (non-interrupting): no longer armed
    spent_boundaries: list[str] = field(default_factory=list)  # needs the diagram graph
    version: int | None = None  # the version in force (changed by instance_migrated), if known

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
    parents: dict[str, str] = field(default_factory=dict)  # element id -> enclosing subprocess id

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
            parent = element.getparent()
            if parent is not None and etree.QName(parent).localname in ("subProcess", "transaction"):
                graph.parents[element.get("id")] = parent.get("id")
        return graph

    def targets(self, source: str) -> list[str]:
        return [t for s, t in self.flows.values() if s == source]


def first_version(events: Sequence[Mapping[str, Any]], current: int) -> int:
    """The version an instance started on: the first migration's ``from_version``, else ``current``."""
    for event in events:
        if event["type"] == "instance_migrated":
            return int((event.get("data") or {}).get("from_version") or current)
    return current


def versions_of(events: Sequence[Mapping[str, Any]], current: int) -> list[int]:
    """Every version the instance has been on, in order (``current`` when it never moved)."""
    out = [first_version(events, current)]
    for event in events:
        if event["type"] == "instance_migrated":
            out.append(int((event.get("data") or {}).get("to_version") or out[-1]))
    return out


def replay(
    events: Sequence[Mapping[str, Any]],
    seq: int | None = None,
    graph: DiagramGraph | None = None,
    *,
    versions: Mapping[int, DiagramGraph] | None = None,
    version: int | None = None,
) -> ReplayState:
    """The instance just after event ``seq`` (default: the last) of ``events`` (in ``seq`` order).

    ``version`` is the version the history starts on; with ``versions`` (version -> its diagram),
    ``graph`` may be left out: the diagram of each version is used while the instance was on it.
    """
    if versions is not None and version is not None and graph is None:
        graph = versions.get(version)
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
    tracker = _PathTracker(graph) if graph is not None else None
    terminal: str | None = None
    end_state: str | None = None
    spent: set[str] = set()
    current: Mapping[str, Any] = events[0]
    for index, event in enumerate(events):
        if event["seq"] > seq:
            break
        current = event
        data = event.get("data") or {}
        kind = event["type"]
        if kind == "instance_migrated":
            version = data.get("to_version", version)
            mapping = data.get("mapping") or {}
            for moved in data.get("tasks") or []:
                if moved.get("task_id") in tasks:
                    tasks[moved["task_id"]].update(
                        activity_id=moved.get("activity_id") or "", name=moved.get("name") or ""
                    )
            completed = {mapping.get(c, c): None for c in completed}
            spent = {mapping.get(b, b) for b in spent}
            if tracker is not None:
                new_graph = versions.get(version) if versions is not None else None
                tracker.move(new_graph or tracker.graph, mapping)
                graph = tracker.graph
        variables.update(copy.deepcopy(data.get("variables") or {}))
        for name in data.get("removed") or []:
            variables.pop(name, None)
        if "stage" in data:
            stage = data["stage"]
        for activity in data.get("completed") or []:
            completed.setdefault(activity, None)
        if tracker is not None and "completed" in data:
            readied = [e.get("activity_id") for e in _step_after(events, index) if e["type"] == "task_ready"]
            tracker.step(list(data["completed"]), [r for r in readied if r])
        if graph is not None and kind == "timer_fired" and event.get("activity_id") in graph.attached:
            spent.add(event["activity_id"])
        if kind == "task_ready" and graph is not None:
            spent -= {b for b, a in graph.attached.items() if a == event.get("activity_id")}
        if kind == "task_ready" and event.get("task_id"):
            tasks[event["task_id"]] = {
                "task_id": event["task_id"],
                "activity_id": event.get("activity_id") or "",
                "name": data.get("name") or "",
            }
        elif kind in ("task_completed", "task_cancelled"):
            tasks.pop(event.get("task_id"), None)
            if tracker is not None and kind == "task_cancelled":
                tracker.pending.discard(event.get("activity_id"))
        elif kind in TERMINAL:
            terminal = TERMINAL[kind]
            if kind == "instance_completed":
                end_state = data.get("end_state") or event.get("activity_id")
            if kind != "instance_error":
                tasks.clear()
                stage = None
                if tracker is not None:
                    tracker.clear()
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
        waiting_events=sorted(e for e, n in tracker.waiting.items() if n > 0) if tracker else [],
        taken_flows=list(tracker.taken) if tracker else [],
        spent_boundaries=sorted(spent),
        version=version,
    )


def _step_after(events: Sequence[Mapping[str, Any]], index: int) -> list[Mapping[str, Any]]:
    """The rest of the engine step that ``events[index]`` triggered: same ``at``, no ``completed`` of its own."""
    out = []
    for event in events[index + 1 :]:
        if event.get("at") != events[index].get("at") or "completed" in (event.get("data") or {}):
            break
        out.append(event)
    return out


@dataclass
class _Offer:
    flow: str
    target: str
    emission: int
    exclusive: bool  # from a gateway that sends the token down one flow only


@dataclass
class _PathTracker:
    """Follows tokens along the sequence flows from the order in which elements complete.

    Each completed element offers a token on each outgoing flow; the element that
    arrives next on one of them (completes, or becomes a ready task or a waited-on
    catch event) takes it, and an exclusive gateway's other offers are withdrawn.
    """

    graph: DiagramGraph
    offers: list[_Offer] = field(default_factory=list)
    taken: dict[str, None] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # arrived, not yet completed (tasks, catch events)
    emissions: int = 0

    def step(self, completed: list[str], readied: list[str]) -> None:
        for node in completed:
            if node in self.pending:
                self.pending.discard(node)
            else:
                self._arrive(node)
            if self.waiting.get(node):
                self.waiting[node] -= 1
                self._end_event_based_siblings(node)
            self._emit(node)
        for node in readied:
            self._arrive(node)
            self.pending.add(node)
        keep = []
        for offer in self.offers:
            kind = self.graph.kinds.get(offer.target)
            if kind == "intermediateCatchEvent":
                self._take(offer)
                self.waiting[offer.target] = self.waiting.get(offer.target, 0) + 1
                self.pending.add(offer.target)
            elif kind in ("parallelGateway", "inclusiveGateway", "subProcess", "callActivity", "transaction"):
                keep.append(offer)  # a join waiting for other branches, or an activity completed later
        self.offers = keep

    def clear(self) -> None:
        self.offers, self.waiting, self.pending = [], {}, set()

    def move(self, graph: DiagramGraph, mapping: Mapping[str, str]) -> None:
        """The instance moved to another version: follow ``graph`` from now on, ids renamed by ``mapping``."""
        self.graph = graph
        self.pending = {mapping.get(p, p) for p in self.pending}
        waiting: dict[str, int] = {}
        for element, count in self.waiting.items():
            waiting[mapping.get(element, element)] = waiting.get(mapping.get(element, element), 0) + count
        self.waiting = waiting
        self.offers = [
            o
            for o in self.offers
            if o.flow in graph.flows and graph.flows[o.flow][1] == mapping.get(o.target, o.target)
        ]
        self.taken = {flow: None for flow in self.taken if flow in graph.flows}

    def _emit(self, node: str) -> None:
        self.emissions += 1
        exclusive = self.graph.kinds.get(node) == "exclusiveGateway"
        for flow, (source, target) in self.graph.flows.items():
            if source == node:
                self.offers.append(_Offer(flow, target, self.emissions, exclusive))

    def _arrive(self, node: str) -> None:
        self._arrive_subprocess(node)
        mine = [o for o in self.offers if o.target == node]
        if not mine:
            return
        if self.graph.kinds.get(node) in ("parallelGateway", "inclusiveGateway"):
            by_flow: dict[str, _Offer] = {}
            for offer in mine:
                by_flow.setdefault(offer.flow, offer)
            for offer in by_flow.values():
                self._take(offer)
        else:
            self._take(mine[-1])

    def _arrive_subprocess(self, node: str) -> None:
        parent = self.graph.parents.get(node)
        if parent and self.graph.kinds.get(node) == "startEvent" and parent not in self.pending:
            self._arrive(parent)
            self.pending.add(parent)

    def _take(self, offer: _Offer) -> None:
        self.taken.setdefault(offer.flow, None)
        self.offers = [
            o
            for o in self.offers
            if o is not offer and not (offer.exclusive and o.emission == offer.emission)
        ]

    def _end_event_based_siblings(self, node: str) -> None:
        for source, target in self.graph.flows.values():
            if target == node and self.graph.kinds.get(source) == "eventBasedGateway":
                for sibling in self.graph.targets(source):
                    if sibling != node:
                        self.waiting.pop(sibling, None)
                        self.pending.discard(sibling)


def path(graph: DiagramGraph, state: ReplayState) -> dict[str, list[str]]:
    """Completed and active elements and the sequence flows taken, for highlighting.

    ``state`` must come from ``replay(..., graph=graph)``.  Active: open user
    tasks, the boundary events on them still armed (a non-interrupting timer that fired is not),
    intermediate catch events waited on.
    """
    completed = [c for c in state.completed_activities if c in graph.kinds]
    active_tasks = {t["activity_id"] for t in state.active_tasks}
    active = set(active_tasks) | set(state.waiting_events)
    active |= {
        event
        for event, activity in graph.attached.items()
        if activity in active_tasks and event not in state.spent_boundaries
    }
    return {"completed": completed, "active": sorted(active), "taken_flows": sorted(state.taken_flows)}
