"""An instance's whole record for export: as JSON (with its process and version) or as CSV."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.base.csvtext import csv_text
from service.base.problems import NotFound
from service.cases.history_json import canonical
from service.cases.queries import events_of
from service.cases.record import EVENT_FIELDS
from service.store.models import ProcessInstance


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
    rows = ([{**event, "data": canonical(event["data"])}[c] for c in EVENT_FIELDS] for event in events)
    return csv_text(EVENT_FIELDS, rows)
