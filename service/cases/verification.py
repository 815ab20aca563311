"""Verifying the record from the rows: every instance's hash chain, the instance row as a second witness, and
the retention log's own chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cases.history_json import loads
from service.cases.retention import log_hash, retention_log
from service.store.audit_models import RetentionUnlock
from service.store.models import HistoryEvent, ProcessInstance
from workflows.history import GENESIS, verify


@dataclass(frozen=True)
class BrokenLink:
    where: str  # an instance id, or "retention_log"
    seq: int
    reason: str

    def __str__(self) -> str:
        what = "retention log" if self.where == "retention_log" else f"instance {self.where}"
        return f"{what} seq {self.seq}: {self.reason}"


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
                "data": loads(row.data),
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
        if log_hash(entry) != entry["hash"]:
            return [BrokenLink("retention_log", expected, "hash does not match the entry's content")]
        previous, expected = entry["hash"], expected + 1
    return []
