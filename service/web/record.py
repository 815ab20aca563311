"""What the case page and the auditor's page show of an instance's record: the timeline, the recorded values
as the forms showed them.

The path through the diagram comes from the same use case as the API's ``/diagram``
(``service.cases.record``), so the pages and the API can never disagree.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext

from service.base.languages import N_
from service.cases.end_reasons import LABELS as END_REASON_LABELS
from service.web.filters import when

_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
EVENT_LABELS = {
    "instance_started": N_("Started"),
    "task_ready": N_("Task ready"),
    "task_claimed": N_("Task claimed"),
    "task_completed": N_("Task completed"),
    "task_cancelled": N_("Task withdrawn"),
    "timer_fired": N_("Timer fired"),
    "deadline_breached": N_("Deadline missed"),
    "message_received": N_("Message received"),
    "escalation_started": N_("Escalation started"),
    "instance_completed": N_("Finished"),
    "instance_cancelled": N_("Cancelled"),
    "instance_error": N_("Stopped by an error"),
    "record_read": N_("Record read by an auditor"),
    "instance_migrated": N_("Moved to another version"),
}


def timeline(events: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Events for people: what happened, to which step, by whom and when (newest first)."""
    rows = []
    for event in reversed(events):
        data = event.get("data") or {}
        step = names.get(event.get("activity_id") or "", event.get("activity_id") or "")
        detail = ""
        if event["type"] == "instance_cancelled":
            detail = data.get("reason", "")
            if data.get("reason_code"):
                code = data["reason_code"]
                why = (
                    gettext(END_REASON_LABELS[code]) if code in END_REASON_LABELS else code.replace("_", " ")
                )
                detail = f"{why}: {detail}"
        elif event["type"] == "instance_error":
            detail = data.get("message") or data.get("error", "")
        elif event["type"] == "record_read":
            detail = data.get("what", "")
        elif event["type"] == "instance_migrated":
            detail = f"{data.get('from_version')} → {data.get('to_version')}"
        rows.append(
            {
                "seq": event["seq"],
                "at": event["at"],
                "label": gettext(EVENT_LABELS[event["type"]])
                if event["type"] in EVENT_LABELS
                else event["type"],
                "type": event["type"],
                "step": step,
                "actor": event.get("actor"),
                "detail": detail,
                "changed": sorted((data.get("variables") or {}).keys()),
            }
        )
    return rows


def value_titles(forms: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Field name -> {stored value: its title in the forms}, e.g. care_act -> Care Act advocacy (England)."""
    titles: dict[str, dict[str, str]] = {}
    for schema in forms.values():
        for name, spec in (schema.get("properties") or {}).items():
            spec = spec.get("items", spec) if spec.get("type") == "array" else spec
            for option in spec.get("oneOf") or []:
                if "const" in option and "title" in option:
                    titles.setdefault(name, {})[str(option["const"])] = option["title"]
    return titles


def field_labels(forms: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Field name -> its title in the forms (the question a person answered)."""
    return {
        name: spec["title"]
        for schema in forms.values()
        for name, spec in (schema.get("properties") or {}).items()
        if isinstance(spec, dict) and spec.get("title")
    }


def readable(variables: dict[str, Any], titles: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The recorded values as the forms showed them: a coded choice by its title, a moment in local time."""

    def one(name: str, value: Any) -> Any:
        if isinstance(value, list):
            return [one(name, v) for v in value]
        if isinstance(value, str) and _MOMENT.match(value):
            return when(value)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return titles.get(name, {}).get(str(value), value)
        return value

    return {name: one(name, value) for name, value in variables.items()}
