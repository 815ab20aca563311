"""service/web/forms.py: a JSON Schema as form fields, and a posted form back as typed data."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from service.base.config import ROOT
from service.web import forms

SCHEMA = {
    "type": "object",
    "properties": {
        "ref": {"title": "Reference", "type": "string", "pattern": "^[A-Z]-[0-9]+$"},
        "notes": {"type": "string", "maxLength": 4000},
        "short": {"type": "string", "maxLength": 20, "minLength": 3},
        "count": {"type": "integer", "minimum": 0, "maximum": 10},
        "ratio": {"type": "number"},
        "ok": {"type": "boolean", "description": "Tick if ok."},
        "when": {"type": "string", "format": "date"},
        "moment": {"type": "string", "format": "date-time"},
        "kind": {
            "type": "string",
            "oneOf": [{"const": "a", "title": "Alpha"}, {"const": "b", "title": "Beta"}],
        },
        "many": {"type": "string", "enum": [f"v{i}" for i in range(9)]},
        "tags": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "type": "string",
                "oneOf": [{"const": "x", "title": "Ex"}, {"const": "y", "title": "Why"}],
            },
        },
        "lines": {"type": "array", "items": {"type": "string", "minLength": 3}, "maxItems": 2},
    },
    "required": ["ref", "ok", "kind", "tags"],
    "additionalProperties": False,
}


def test_each_property_gets_the_control_a_person_expects():
    controls = {f.name: f.control for f in forms.fields_of(SCHEMA)}
    assert controls == {
        "ref": "text",
        "notes": "textarea",
        "short": "text",
        "count": "number",
        "ratio": "number",
        "ok": "yesno",
        "when": "date",
        "moment": "datetime",
        "kind": "radios",
        "many": "select",
        "tags": "checkboxes",
        "lines": "lines",
    }
    by_name = {f.name: f for f in forms.fields_of(SCHEMA)}
    assert by_name["ref"].label == "Reference" and by_name["ref"].required
    assert by_name["notes"].label == "Notes" and not by_name["notes"].required
    assert by_name["count"].attrs == {"min": 0, "max": 10, "step": "1"}
    assert by_name["kind"].options == [("a", "Alpha"), ("b", "Beta")]
    assert by_name["ok"].hint == "Tick if ok."


def test_every_deployed_form_renders_a_field_per_property():
    for path in sorted((ROOT / "forms").glob("*/*.json")):
        if path.name.endswith(".cy.json"):  # a Welsh overlay of the texts, not a form
            continue
        schema = json.loads(path.read_text())
        fields = forms.fields_of(schema)
        assert [f.name for f in fields] == list(schema.get("properties", {})), path
        assert all(f.label for f in fields), path


def test_a_posted_form_is_read_back_as_json_types(monkeypatch):
    monkeypatch.setenv("ADVOCACY_FLOW_TIMEZONE", "Europe/London")
    posted = MultiDict(
        [
            ("ref", " A-12 "),
            ("notes", "line one\r\nline two\r\n"),
            ("count", "3"),
            ("ratio", "2.5"),
            ("ok", "false"),
            ("when", "2026-07-01"),
            ("moment", "2026-07-01T10:15"),
            ("kind", "b"),
            ("tags", "x"),
            ("tags", "y"),
            ("lines", "first\n\n  second  \n"),
            ("unknown", "ignored"),
        ]
    )
    data, errors = forms.submitted(SCHEMA, posted)
    assert errors == {}
    assert data == {
        "ref": "A-12",
        "notes": "line one\r\nline two",
        "count": 3,
        "ratio": 2.5,
        "ok": False,
        "when": "2026-07-01",
        "moment": "2026-07-01T10:15:00+01:00",  # London summer time
        "kind": "b",
        "tags": ["x", "y"],
        "lines": ["first", "second"],
    }


def test_empty_answers_are_left_out_so_required_ones_are_named():
    data, errors = forms.submitted(SCHEMA, MultiDict([("ref", ""), ("count", "  ")]))
    assert data == {}
    assert errors == {
        "ref": ["This field is required"],
        "ok": ["Choose an answer"],
        "kind": ["Choose an answer"],
        "tags": ["Choose at least one"],
    }


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("count", "three", "Enter a whole number, like 3"),
        ("count", "11", "Enter 10 or less"),
        ("count", "-1", "Enter 0 or more"),
        ("ratio", "1,5", "Enter a number, like 2.5"),
        ("ok", "yes", "Choose Yes or No"),
        ("moment", "tomorrow", "Enter a date and time, like 2026-11-26 14:30"),
        ("when", "2026-02-30", "Enter a real date"),
        ("ref", "a12", "This is not in the expected format (see the hint)"),
        ("short", "ab", "Enter at least 3 characters"),
        ("short", "x" * 21, "Enter no more than 20 characters"),
        ("kind", "c", "Choose one of the options"),
        ("notes", "a\x00b", "Remove the NUL character from this answer"),
    ],
)
def test_each_kind_of_mistake_gets_words_for_a_person(field, value, message):
    base = [("ref", "A-1"), ("ok", "true"), ("kind", "a"), ("tags", "x")]
    _, errors = forms.submitted(SCHEMA, MultiDict([*[(k, v) for k, v in base if k != field], (field, value)]))
    assert errors == {field: [message]}


def test_a_value_that_cannot_be_read_is_kept_to_show_again():
    data, errors = forms.submitted(SCHEMA, MultiDict([("count", "lots")]))
    assert data["count"] == "lots" and errors["count"] == ["Enter a whole number, like 3"]
    shown = {f.name: f.value for f in forms.fields_of(SCHEMA, data)}
    assert shown["count"] == "lots"


def test_lists_and_conditional_requirements():
    schema = json.loads((ROOT / "forms" / "referral_casework" / "signpost.json").read_text())
    required_if = schema["allOf"][0]["then"]["required"][0]
    _, errors = forms.submitted(schema, MultiDict([("signposted_to", "other")]))
    assert errors.get(required_if) == ["This field is required"]
    _, errors = forms.submitted(SCHEMA, MultiDict([("lines", "ab\ncd\nef")]))
    assert errors["lines"] == ["Enter at least 3 characters", "Choose or enter no more than 2"]


def test_stored_values_are_shown_in_their_controls():
    values = {"ok": True, "lines": ["a", "b"], "moment": "2026-01-05T09:00:00+00:00", "kind": "a"}
    shown = {f.name: f.value for f in forms.fields_of(SCHEMA, values)}
    assert shown["ok"] == "true" and shown["lines"] == "a\nb"
    assert shown["moment"] == "2026-01-05T09:00" and shown["kind"] == "a"


def test_recorded_values_read_as_the_forms_showed_them(monkeypatch):
    from service.web import record

    monkeypatch.setenv("ADVOCACY_FLOW_TIMEZONE", "Europe/London")
    titles = record.value_titles({"f": SCHEMA})
    assert titles["kind"] == {"a": "Alpha", "b": "Beta"} and titles["tags"] == {"x": "Ex", "y": "Why"}
    shown = record.readable(
        {
            "kind": "b",
            "tags": ["x", "z"],
            "ok": True,
            "count": 3,
            "at": "2026-07-01T09:00:00+00:00",
            "ref": "A-1",
        },
        titles,
    )
    assert shown == {
        "kind": "Beta",
        "tags": ["Ex", "z"],
        "ok": True,
        "count": 3,
        "at": "Wed 1 Jul 2026, 10:00",
        "ref": "A-1",
    }
    assert record.field_labels({"f": SCHEMA})["ref"] == "Reference"
