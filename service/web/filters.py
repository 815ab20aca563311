"""The templates' filters: moments in the service's time zone, due states, names and values for people.

Moments and numbers are written by Babel in the language of the request (Welsh or English).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from flask import has_request_context
from flask_babel import get_locale, gettext

from workflows.calendar import service_timezone


def language() -> str:
    """The request's language ('en' outside a request)."""
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale is not None else "en"


def aware(moment: datetime | str | None) -> datetime | None:
    """A stored moment (an aware datetime from the database, or ISO text from the history)."""
    if isinstance(moment, str):
        return datetime.fromisoformat(moment)
    return moment


def when(moment: datetime | str | None, with_time: bool = True) -> str:
    """A moment for people: in the service's time zone, e.g. 'Thu 26 Nov 2026, 14:30' ('Iau 26 Tach 2026')."""
    value = aware(moment)
    if value is None:
        return "—"
    local = value.astimezone(service_timezone())
    return format_datetime(local, "EEE d MMM y, HH:mm" if with_time else "EEE d MMM y", locale=language())


def number(value: Any) -> str:
    """A count or figure in the request's language ('1,234'; text such as '<5' as it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    return format_decimal(value, locale=language())


def percent(value: float | None) -> str:
    """A share from 0 to 1 as a per cent ('75%')."""
    return "—" if value is None else format_percent(value, locale=language())


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
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{humanise(str(k))}: {shown(v)}" for k, v in value.items()) or "—"
    return str(value)
