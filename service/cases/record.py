"""Reading an instance's record: its history, its replay and its diagram at any event.

An auditor's read is itself a history event (``record_read``), written in the same transaction as the read;
the auditor's page reads the replay and the diagram at one event in one recorded read (``replay_view``).
Each runs inside the caller's transaction (``uow.Database.run``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor, can_see_content
from service.base.problems import Forbidden, NotFound
from service.cases.definitions import bpmn_xml, get_definition
from service.cases.history_json import loads, utcnow
from service.cases.queries import events_of, visible_instance
from service.store import persist
from service.store.models import HistoryEvent, ProcessDefinition, ProcessInstance
from workflows.engine import EventDraft
from workflows.replay import DiagramGraph, SeqOutOfRange, path, replay, versions_of

EVENT_FIELDS = ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash", "hash")


def _readable(session: Session, actor: Actor, instance_id: str) -> ProcessInstance:
    instance = visible_instance(session, actor, instance_id)
    if not can_see_content(actor):
        raise Forbidden("the admin role holds no casework content")
    return instance


def record_read(
    session: Session, actor: Actor, instance: ProcessInstance, what: str, seq: int | None = None
) -> None:
    """An auditor's read is itself a history event, written in the same transaction as the read."""
    if actor.role != "auditor":
        return
    data: dict[str, Any] = {"what": what}
    if seq is not None:
        data["seq"] = seq
    persist.append_events(
        session, instance, [EventDraft("record_read", actor=actor.username, data=data)], utcnow()
    )
    session.flush()


def history(session: Session, actor: Actor, instance_id: str) -> list[dict[str, Any]]:
    """The whole history; an auditor's read is recorded first, so it is the last event returned."""
    instance = _readable(session, actor, instance_id)
    record_read(session, actor, instance, "history")
    return events_of(session, instance.id)


def _at_seq(
    session: Session, actor: Actor, instance_id: str, seq: int | None, what: str
) -> tuple[ProcessInstance, list[dict[str, Any]], int]:
    instance = _readable(session, actor, instance_id)
    last = instance.last_seq
    if seq is None:
        seq = last
    if not 1 <= seq <= last:
        raise NotFound(f"instance {instance_id} has no event {seq} (its history has events 1 to {last})")
    events = events_of(session, instance.id, up_to=seq)
    record_read(session, actor, instance, what, seq)
    return instance, events, seq


class _Diagrams:
    """The diagram of each version an instance has been on (a migration moves it to another)."""

    def __init__(self, session: Session, instance: ProcessInstance) -> None:
        self.xml: dict[int, str] = {}
        self.graphs: dict[int, DiagramGraph] = {}
        moves = [  # read whole: ``events`` may end before a move, and the first version is known from it
            {"type": "instance_migrated", "data": loads(data)}
            for data in session.scalars(
                select(HistoryEvent.data)
                .where(HistoryEvent.instance_id == instance.id, HistoryEvent.type == "instance_migrated")
                .order_by(HistoryEvent.seq)
            )
        ]
        numbers = versions_of(moves, instance.version)
        self.first = numbers[0]
        for number in dict.fromkeys(numbers):
            if number == instance.version:
                definition = session.get(ProcessDefinition, instance.definition_id)
            else:
                definition = get_definition(session, instance.process_key, number)
            self.xml[number] = bpmn_xml(definition)
            self.graphs[number] = DiagramGraph.from_xml(self.xml[number])

    def replay(self, events: list[dict[str, Any]], seq: int) -> tuple[str, DiagramGraph, Any]:
        """The state just after ``seq`` with the XML and graph of the version the instance was on then."""
        state = replay(events, seq, versions=self.graphs, version=self.first)
        number = state.version if state.version is not None else self.first
        return self.xml[number], self.graphs[number], state


def replay_at(session: Session, actor: Actor, instance_id: str, seq: int | None = None) -> dict[str, Any]:
    """The instance just after event ``seq`` (default: the last event before this read)."""
    _, events, seq = _at_seq(session, actor, instance_id, seq, "replay")
    try:
        return replay(events, seq).to_json()
    except SeqOutOfRange as err:  # pragma: no cover - bounds checked above
        raise NotFound(str(err)) from None


def diagram_at(session: Session, actor: Actor, instance_id: str, seq: int | None = None) -> dict[str, Any]:
    """The BPMN XML of the instance's version with the path as it stood just after event ``seq``."""
    instance, events, seq = _at_seq(session, actor, instance_id, seq, "diagram")
    xml, graph, state = _Diagrams(session, instance).replay(events, seq)
    return {"seq": state.seq, "status": state.status, "xml": xml, **path(graph, state)}


def diagram_of(
    session: Session, instance: ProcessInstance, events: list[dict[str, Any]], seq: int | None = None
) -> dict[str, Any]:
    """The instance's BPMN XML with the path just after event ``seq`` of ``events`` (already read)."""
    seq = seq or (events[-1]["seq"] if events else 0)
    upto = [e for e in events if e["seq"] <= seq]
    xml, graph, state = _Diagrams(session, instance).replay(upto, seq)
    return {"seq": state.seq, "status": state.status, "xml": xml, **path(graph, state)}


def replay_view(
    session: Session, actor: Actor, instance_id: str, seq: int | None = None, *, with_history: bool = False
) -> dict[str, Any]:
    """``replay_at`` and ``diagram_at`` at one ``seq`` in a single recorded read (the auditor's page).

    ``replay`` and ``diagram`` are exactly what those two answer (the same fold of the same events);
    ``event`` is event ``seq`` itself, ``recorded`` the ``record_read`` event this read wrote (None for
    other roles), ``last_seq`` the end of the history after it.  The read is recorded as
    ``{"what": "history" if with_history else "replay", "seq": N}``; with ``with_history`` the answer
    carries the whole ``history`` too, ending with that read.
    """
    instance, events, seq = _at_seq(session, actor, instance_id, seq, "history" if with_history else "replay")
    xml, graph, state = _Diagrams(session, instance).replay(
        events, seq
    )  # one fold: the graph adds the path, not the state replay_at shows
    result: dict[str, Any] = {
        "replay": state.to_json(),
        "diagram": {"seq": state.seq, "status": state.status, "xml": xml, **path(graph, state)},
        "event": events[-1],
        "recorded": None,
        "last_seq": instance.last_seq,
    }
    if with_history:
        result["history"] = events_of(session, instance.id)
        result["recorded"] = result["history"][-1] if actor.role == "auditor" else None
    elif actor.role == "auditor":
        row = session.scalars(
            select(HistoryEvent).where(
                HistoryEvent.instance_id == instance.id, HistoryEvent.seq == instance.last_seq
            )
        ).one()
        result["recorded"] = {name: getattr(row, name) for name in EVENT_FIELDS} | {"data": loads(row.data)}
    return result
