"""Use cases of the audit record: read history, replay and diagram (logging auditors' reads),
verify every hash chain from the rows, export, and retention cleanup with its chained log.

The API (``api/audit.py``), the command line (``audit_cli.py``) and the tests call these.
Each runs inside the caller's transaction (``uow.Database.run``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.access.permissions import Actor, can_see_content
from service.base.problems import Forbidden, NotFound
from service.cases.definitions import bpmn_xml
from service.cases.queries import events_of, visible_instance
from service.store import persist
from service.store.audit_models import RetentionLog, RetentionUnlock
from service.store.models import Deadline, HistoryEvent, ProcessDefinition, ProcessInstance, Task
from workflows.engine import EventDraft
from workflows.history import GENESIS, verify
from workflows.replay import DiagramGraph, SeqOutOfRange, path, replay

RETENTION_ENV = "ADVOCACY_FLOW_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 2190  # six years
FINISHED = ("completed", "cancelled")
CSV_COLUMNS = ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash", "hash")


def utcnow() -> datetime:
    return datetime.now(UTC)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- reading the record ---------------------------------------------------------------------------


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


def _graph(session: Session, instance: ProcessInstance) -> tuple[str, DiagramGraph]:
    xml = bpmn_xml(session.get(ProcessDefinition, instance.definition_id))
    return xml, DiagramGraph.from_xml(xml)


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
    xml, graph = _graph(session, instance)
    state = replay(events, seq, graph)
    return {"seq": state.seq, "status": state.status, "xml": xml, **path(graph, state)}


# -- retention --------------------------------------------------------------------------------------


def retention_days() -> int:
    value = os.environ.get(RETENTION_ENV, "").strip()
    return int(value) if value else DEFAULT_RETENTION_DAYS


def removal_at(instance: ProcessInstance, days: int | None = None) -> datetime | None:
    if instance.status not in FINISHED or instance.ended_at is None:
        return None
    return instance.ended_at + timedelta(days=retention_days() if days is None else days)


def retention(session: Session, actor: Actor, instance_id: str) -> dict[str, Any]:
    instance = visible_instance(session, actor, instance_id)
    return {
        "instance_id": instance.id,
        "status": instance.status,
        "ended_at": instance.ended_at,
        "retention_days": retention_days(),
        "removal_at": removal_at(instance),
    }


def _log_hash(entry: dict[str, Any]) -> str:
    fields = {name: entry[name] for name in ("seq", "at", "data", "prev_hash")}
    return hashlib.sha256(canonical(fields).encode("utf-8")).hexdigest()


def retention_log(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(RetentionLog).order_by(RetentionLog.seq))
    return [
        {"seq": r.seq, "at": r.at, "data": _loads(r.data), "prev_hash": r.prev_hash, "hash": r.hash}
        for r in rows
    ]


def cleanup(session: Session, now: datetime | None = None, days: int | None = None) -> dict[str, Any] | None:
    """Remove finished instances past their removal time, with their tasks, deadlines and history.

    Records what was removed in the chained retention log; returns that entry (None if nothing was due).
    """
    now = now or utcnow()
    days = retention_days() if days is None else days
    cutoff = now - timedelta(days=days)
    due = session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.status.in_(FINISHED),
            ProcessInstance.ended_at.is_not(None),
            ProcessInstance.ended_at <= cutoff,
        )
        .order_by(ProcessInstance.ended_at, ProcessInstance.id)
        .with_for_update()
    ).all()
    if not due:
        return None
    ids = [i.id for i in due]
    removed = [
        {
            "id": i.id,
            "process": i.process_key,
            "version": i.version,
            "business_key": i.business_key,
            "status": i.status,
            "started_at": persist.iso(i.started_at),
            "ended_at": persist.iso(i.ended_at),
            "events": i.last_seq,
            "last_hash": i.last_hash,
        }
        for i in due
    ]
    session.add(RetentionUnlock(id=1, at=persist.iso(now)))
    session.flush()
    events = session.execute(delete(HistoryEvent).where(HistoryEvent.instance_id.in_(ids))).rowcount
    session.execute(delete(Task).where(Task.instance_id.in_(ids)))
    session.execute(delete(Deadline).where(Deadline.instance_id.in_(ids)))
    session.execute(delete(ProcessInstance).where(ProcessInstance.id.in_(ids)))
    session.execute(delete(RetentionUnlock))
    data = {
        "count": len(ids),
        "instance_ids": ids,
        "events_removed": events,
        "retention_days": days,
        "cutoff": persist.iso(cutoff),
        "range": {
            "started_from": min(r["started_at"] for r in removed),
            "ended_until": max(r["ended_at"] for r in removed),
        },
        "instances": removed,
    }
    last = session.scalars(select(RetentionLog).order_by(RetentionLog.seq.desc()).limit(1)).first()
    entry = {
        "seq": (last.seq if last else 0) + 1,
        "at": persist.iso(now),
        "data": data,
        "prev_hash": last.hash if last else GENESIS,
    }
    entry["hash"] = _log_hash(entry)
    session.add(RetentionLog(**{**entry, "data": canonical(data)}))
    session.flush()
    return entry


# -- verifying and exporting ------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenLink:
    where: str  # an instance id, or "retention_log"
    seq: int
    reason: str

    def __str__(self) -> str:
        what = "retention log" if self.where == "retention_log" else f"instance {self.where}"
        return f"{what} seq {self.seq}: {self.reason}"


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return {"__unreadable__": text}


def _rows(session: Session, instance_id: str | None) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every instance's history rows straight from the table, in ``seq`` order, one instance at a time."""
    query = select(HistoryEvent).order_by(HistoryEvent.instance_id, HistoryEvent.seq, HistoryEvent.id)
    if instance_id is not None:
        query = query.where(HistoryEvent.instance_id == instance_id)
    current, events = None, []
    for row in session.scalars(query.execution_options(yield_per=2000)):
        if row.instance_id != current and events:
            yield current, events
            events = []
        current = row.instance_id
        events.append(
            {
                "seq": row.seq,
                "at": row.at,
                "type": row.type,
                "actor": row.actor,
                "activity_id": row.activity_id,
                "task_id": row.task_id,
                "data": _loads(row.data),
                "prev_hash": row.prev_hash,
                "hash": row.hash,
            }
        )
    if events:
        yield current, events


def verify_chains(session: Session, instance_id: str | None = None) -> tuple[int, int, list[BrokenLink]]:
    """Check every history chain (or one) and the retention log; (instances, events, broken links)."""
    broken: list[BrokenLink] = []
    heads = {
        i: (seq, h)
        for i, seq, h in session.execute(
            select(ProcessInstance.id, ProcessInstance.last_seq, ProcessInstance.last_hash).where(
                ProcessInstance.id == instance_id if instance_id else ProcessInstance.id.is_not(None)
            )
        )
    }
    if instance_id is not None and instance_id not in heads:
        heads[instance_id] = (None, None)
    seen, count = set(), 0
    for where, events in _rows(session, instance_id):
        seen.add(where)
        count += len(events)
        gap = verify(events)
        if gap is not None:
            broken.append(BrokenLink(where, gap.seq, gap.reason))
            continue
        # The chain is whole; the instance row (read before the rows, so a concurrent step can only
        # make the rows longer) is a second witness: rows removed from the end, or the end rewritten.
        last_seq, last_hash = heads.get(where, (None, None))
        end = events[-1]
        if last_seq is not None and end["seq"] < last_seq:
            broken.append(BrokenLink(where, end["seq"] + 1, f"missing: the instance has {last_seq} events"))
        elif last_seq is not None and end["seq"] == last_seq and end["hash"] != last_hash:
            broken.append(BrokenLink(where, end["seq"], "hash differs from the instance's last hash"))
    for where, (last_seq, _) in heads.items():
        if where not in seen and last_seq:
            broken.append(BrokenLink(where, 1, "the instance has no history rows"))
    broken.extend(_verify_log(session))
    if session.scalar(select(func.count()).select_from(RetentionUnlock)):
        broken.append(BrokenLink("retention_log", 0, "retention_unlock holds a row: history deletes allowed"))
    return len(seen), count, broken


def _verify_log(session: Session) -> list[BrokenLink]:
    previous, expected = GENESIS, 1
    for entry in retention_log(session):
        if entry["seq"] != expected:
            return [BrokenLink("retention_log", expected, f"expected seq {expected}, found {entry['seq']}")]
        if entry["prev_hash"] != previous:
            return [BrokenLink("retention_log", expected, "prev_hash does not match the previous hash")]
        if _log_hash(entry) != entry["hash"]:
            return [BrokenLink("retention_log", expected, "hash does not match the entry's content")]
        previous, expected = entry["hash"], expected + 1
    return []


def export(session: Session, instance_id: str) -> dict[str, Any]:
    instance = session.get(ProcessInstance, instance_id)
    events = events_of(session, instance_id)
    if instance is None and not events:
        raise NotFound(f"no process instance {instance_id}")
    return {
        "instance_id": instance_id,
        "process": instance.process_key if instance else None,
        "version": instance.version if instance else None,
        "items": events,
    }


def to_csv(events: list[dict[str, Any]]) -> str:
    """One row per event; ``data`` as canonical JSON, an empty cell for null."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = {**event, "data": canonical(event["data"])}
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()


# -- the auditor's web page ---------------------------------------------------------------------------


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
    xml, graph = _graph(session, instance)
    state = replay(events, seq, graph)  # one fold: the graph adds the path, not the state replay_at shows
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
        result["recorded"] = {name: getattr(row, name) for name in CSV_COLUMNS} | {"data": _loads(row.data)}
    return result
