"""Welsh overlays of referral_casework (format: CONTRACT.md): every text of every form and diagram name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "forms" / "referral_casework"
TRANSLATED = [
    "referral_received",
    "assess_eligibility",
    "allocate_advocate",
    "record_outcomes",
    "refer_back_to_authority",
    "end_case_early",
    "safeguarding_decision",
]


@pytest.mark.parametrize("form", TRANSLATED)
def test_each_form_has_a_complete_welsh_overlay(form: str) -> None:
    schema = json.loads((FORMS / f"{form}.json").read_text("utf-8"))
    overlay = json.loads((FORMS / f"{form}.cy.json").read_text("utf-8"))
    assert overlay["title"] and overlay["description"] and overlay["title"] != schema["title"]
    assert set(overlay["properties"]) == set(schema["properties"])
    for name, field in schema["properties"].items():
        welsh = overlay["properties"][name]
        assert welsh["title"] and welsh["description"], name
        choices = field.get("oneOf") or field.get("items", {}).get("oneOf") or []
        assert set(welsh.get("choices", {})) == {c["const"] for c in choices}, name
        assert all(welsh["choices"].values()) if choices else True


def test_every_named_element_of_the_diagram_has_a_welsh_name() -> None:
    root = etree.parse(str(REPO / "bpmn" / "referral_casework.bpmn")).getroot()
    named = {
        e.get("id")
        for e in root.iter()
        if isinstance(e.tag, str) and e.get("id") and e.get("name") and etree.QName(e).localname != "message"
    }
    overlay = json.loads((REPO / "bpmn" / "referral_casework.cy.json").read_text("utf-8"))
    assert set(overlay) == named and all(overlay.values())
