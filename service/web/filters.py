"""The templates' filters: moments in the service's time zone, due states, names and values for people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.calendar import service_timezone


def aware(moment: datetime | str | None) -> datetime | None:
    """A stored moment (an aware datetime from the database, or ISO text from the history)."""
    if isinstance(moment, str):
        return datetime.fromisoformat(moment)
    return moment


def when(moment: datetime | str | None, with_time: bool = True) -> str:
    """A moment for people: in the service's time zone, e.g. 'Thu 26 Nov 2026, 14:30'."""
    value = aware(moment)
    if value is None:
        return "—"
    local = value.astimezone(service_timezone())
    return local.strftime("%a %-d %b %Y, %H:%M" if with_time else "%a %-d %b %Y")


def due_state(due: datetime | str | None, now: datetime | None = None) -> str:
    """'overdue', 'due-soon' (within a day) or ''."""
    value = aware(due)
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value < now:
        return "overdue"
    return "due-soon" if (value - now).total_seconds() < 86_400 else ""


def humanise(name: str) -> str:
    return name.replace("_", " ").capitalize()


def shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{humanise(str(k))}: {shown(v)}" for k, v in value.items()) or "—"
    return str(value)
