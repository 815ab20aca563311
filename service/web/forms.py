"""A user task's JSON Schema as an HTML form, and a posted form back as the task's data.

The schema stays the one source of truth: the service validates the data
against it again when the task is completed.  This module only chooses a
control for each property, reads the posted strings back into JSON types and
words the validation messages for a person instead of a programmer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.datastructures import MultiDict

from workflows.calendar import service_timezone

_FORMATS = FormatChecker()
LONG_TEXT = 200  # a string that may be longer than this gets a text area
MAX_RADIOS = 7  # more choices than this get a drop-down list


@dataclass
class Field:
    name: str
    label: str
    hint: str
    control: str  # text, textarea, lines, number, date, datetime, radios, select, checkboxes, yesno
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    errors: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


def _options(spec: dict[str, Any]) -> list[tuple[str, str]]:
    if "oneOf" in spec and all("const" in o for o in spec["oneOf"]):
        return [(str(o["const"]), o.get("title") or str(o["const"])) for o in spec["oneOf"]]
    if "enum" in spec:
        titles = spec.get("x-enum-titles") or {}
        return [(str(v), titles.get(str(v)) or str(v).replace("_", " ").capitalize()) for v in spec["enum"]]
    return []


def _control(spec: dict[str, Any]) -> tuple[str, list[tuple[str, str]], dict[str, Any]]:
    kind = spec.get("type")
    options = _options(spec)
    attrs: dict[str, Any] = {}
    if kind == "boolean":
        return "yesno", [("true", gettext("Yes")), ("false", gettext("No"))], attrs
    if kind == "array":
        items = spec.get("items") or {}
        choices = _options(items)
        return ("checkboxes", choices, attrs) if choices else ("lines", [], attrs)
    if options:
        return ("radios" if len(options) <= MAX_RADIOS else "select"), options, attrs
    if kind in ("integer", "number"):
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if key in spec:
                attrs[attr] = spec[key]
        attrs["step"] = "1" if kind == "integer" else "any"
        return "number", [], attrs
    if spec.get("format") == "date":
        return "date", [], attrs
    if spec.get("format") == "date-time":
        return "datetime", [], attrs
    if "maxLength" in spec:
        attrs["maxlength"] = spec["maxLength"]
    short = "pattern" in spec or spec.get("maxLength", LONG_TEXT + 1) <= LONG_TEXT
    return ("text" if short else "textarea"), [], attrs


def fields_of(
    schema: dict[str, Any] | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[Field]:
    """One field per property of the form, in the schema's order, with any values and errors to show."""
    schema = schema or {}
    required = set(schema.get("required") or [])
    values = values or {}
    result = []
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict) or spec.get("readOnly"):
            continue
        control, options, attrs = _control(spec)
        result.append(
            Field(
                name=name,
                label=spec.get("title") or name.replace("_", " ").capitalize(),
                hint=spec.get("description", ""),
                control=control,
                required=name in required,
                options=options,
                value=_shown(values.get(name), control),
                errors=(errors or {}).get(name, []),
                attrs=attrs,
            )
        )
    return result


def _shown(value: Any, control: str) -> Any:
    """A value as its control shows it (what was typed, or what the task already holds)."""
    if value is None:
        return None
    if control == "yesno" and isinstance(value, bool):
        return "true" if value else "false"
    if control == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if control == "datetime" and isinstance(value, str) and len(value) > 16:
        try:
            return datetime.fromisoformat(value).astimezone(service_timezone()).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            return value
    return value


def read_form(schema: dict[str, Any] | None, form: MultiDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The task's data from a posted form, and the fields that could not be read as their type."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in fields_of(schema):
        spec = (schema or {})["properties"][f.name]
        if f.control == "checkboxes":
            picked = [v for v in form.getlist(f.name) if v and "\x00" not in v]
            if picked or f.name in form:
                data[f.name] = picked
            continue
        raw = form.get(f.name, "")
        if "\x00" in raw:
            errors[f.name] = [gettext("Remove the NUL character from this answer")]
            continue
        if f.control == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines:
                data[f.name] = lines
            continue
        raw = raw.strip() if f.control != "textarea" else raw.strip("\r\n")
        if raw.strip() == "":
            continue
        try:
            data[f.name] = _typed(raw, spec, f.control)
        except ValueError as err:
            errors[f.name] = [str(err)]
            data[f.name] = raw
    return data, errors


def _typed(raw: str, spec: dict[str, Any], control: str) -> Any:
    kind = spec.get("type")
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError(gettext("Choose Yes or No"))
        return raw == "true"
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(gettext("Enter a whole number, like 3")) from None
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(gettext("Enter a number, like 2.5")) from None
        return int(number) if number.is_integer() else number
    if control == "datetime":
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(gettext("Enter a date and time, like 2026-11-26 14:30")) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=service_timezone())
        return moment.isoformat()
    return raw


def check(schema: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, list[str]]:
    """The schema's verdict on ``data``, per field, in words for the person filling the form."""
    schema = schema or {"type": "object"}
    errors: dict[str, list[str]] = {}
    for error in Draft202012Validator(schema, format_checker=_FORMATS).iter_errors(data):
        if error.validator == "required":
            name = error.message.split("'")[1] if "'" in error.message else "_"
            spec = (schema.get("properties") or {}).get(name, {})
            errors.setdefault(name, []).append(_required(spec))
            continue
        path = [str(p) for p in error.absolute_path]
        name = path[0] if path else "_"
        errors.setdefault(name, []).append(_say(error))
    return {name: sorted(set(messages), key=messages.index) for name, messages in errors.items()}


def _required(spec: dict[str, Any]) -> str:
    if spec.get("type") == "boolean" or _options(spec):
        return gettext("Choose an answer")
    if spec.get("type") == "array":
        return (
            gettext("Choose at least one")
            if _options(spec.get("items") or {})
            else gettext("Enter at least one line")
        )
    return gettext("This field is required")


def _say(error: Any) -> str:
    rule, limit = error.validator, error.validator_value
    if rule == "minLength":
        return (
            gettext("This field is required")
            if limit == 1
            else gettext("Enter at least %(limit)s characters", limit=limit)
        )
    if rule == "maxLength":
        return gettext("Enter no more than %(limit)s characters", limit=limit)
    if rule == "minimum":
        return gettext("Enter %(limit)s or more", limit=limit)
    if rule == "maximum":
        return gettext("Enter %(limit)s or less", limit=limit)
    if rule == "minItems":
        return gettext("Choose or enter at least %(limit)s", limit=limit)
    if rule == "maxItems":
        return gettext("Choose or enter no more than %(limit)s", limit=limit)
    if rule == "uniqueItems":
        return gettext("Each entry must be different")
    if rule == "pattern":
        return gettext("This is not in the expected format (see the hint)")
    if rule == "format":
        return {"date": gettext("Enter a real date"), "date-time": gettext("Enter a real date and time")}.get(
            limit, gettext("Enter a valid %(format)s", format=limit)
        )
    if rule in ("oneOf", "enum", "const"):
        return gettext("Choose one of the options")
    if rule == "type":
        return {
            "integer": gettext("Enter a whole number"),
            "number": gettext("Enter a number"),
            "boolean": gettext("Choose Yes or No"),
        }.get(limit if isinstance(limit, str) else "", gettext("This answer is not of the right kind"))
    if rule == "additionalProperties":
        return gettext("This form does not take that field")
    return error.message


def submitted(schema: dict[str, Any] | None, form: MultiDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A posted form read and checked: the data (as typed, to show again) and every field's errors."""
    data, unreadable = read_form(schema, form)
    readable = {name: value for name, value in data.items() if name not in unreadable}
    checked = {name: messages for name, messages in check(schema, readable).items() if name not in unreadable}
    return data, merge(unreadable, checked)


def merge(*sources: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for source in sources:
        for name, messages in source.items():
            for message in messages:
                if message not in merged.setdefault(name, []):
                    merged[name].append(message)
    return merged
