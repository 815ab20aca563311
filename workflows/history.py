"""History events and their hash chain (API.md, "An event").

``hash`` is the SHA-256 hex digest of the canonical JSON of exactly eight
fields as the API returns them; the first ``prev_hash`` is 64 zeros and each
later one is the previous ``hash``.  Anyone can check an exported history
with ``verify``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
CHAINED_FIELDS = ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash")
EVENT_TYPES = (
    "instance_started",
    "task_ready",
    "task_claimed",
    "task_completed",
    "task_cancelled",
    "timer_fired",
    "deadline_breached",
    "message_received",
    "escalation_started",
    "instance_completed",
    "instance_cancelled",
    "instance_error",
    "record_read",
    "notification_sent",
    "instance_migrated",
)


def event_hash(event: Mapping[str, Any]) -> str:
    fields = {name: event[name] for name in CHAINED_FIELDS}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain(
    drafts: Iterable[Mapping[str, Any]], *, last_seq: int, last_hash: str | None
) -> list[dict[str, Any]]:
    """Number and chain new events after ``last_seq``/``last_hash``.

    Each draft has ``at``, ``type``, ``actor``, ``activity_id``, ``task_id``, ``data``.
    """
    previous = last_hash or GENESIS
    out = []
    for offset, draft in enumerate(drafts, start=1):
        if draft["type"] not in EVENT_TYPES:
            raise ValueError(f"unknown event type {draft['type']!r}")
        event = {
            "seq": last_seq + offset,
            "at": draft["at"],
            "type": draft["type"],
            "actor": draft.get("actor"),
            "activity_id": draft.get("activity_id"),
            "task_id": draft.get("task_id"),
            "data": draft.get("data") or {},
            "prev_hash": previous,
        }
        event["hash"] = event_hash(event)
        previous = event["hash"]
        out.append(event)
    return out


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def verify(events: Iterable[Mapping[str, Any]]) -> Break | None:
    """The first broken link of one instance's history in ``seq`` order, or None if it is whole."""
    previous = GENESIS
    expected_seq = 1
    for event in events:
        seq = event.get("seq")
        if seq != expected_seq:
            return Break(expected_seq, f"expected seq {expected_seq}, found {seq}")
        if event.get("prev_hash") != previous:
            return Break(seq, "prev_hash does not match the previous event's hash")
        if event_hash(event) != event.get("hash"):
            return Break(seq, "hash does not match the event's content")
        previous = event["hash"]
        expected_seq += 1
    return None
