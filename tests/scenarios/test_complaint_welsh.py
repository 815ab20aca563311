"""The complaint's Welsh overlays (the format of CONTRACT.md): every named element, every form text."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]


def test_every_named_element_of_the_diagram_has_a_welsh_name() -> None:
    root = etree.parse(str(REPO / "bpmn" / "complaint.bpmn")).getroot()
    # the process and its pool (the collaboration's participant) are both shown by name
    named = {
        el.get("id")
        for part in root.xpath("./*[local-name()='process' or local-name()='collaboration']")
        for el in part.iter()
        if isinstance(el.tag, str) and el.get("id") and el.get("name")
    }
    overlay = json.loads((REPO / "bpmn" / "complaint.cy.json").read_text("utf-8"))
    assert set(overlay) == named and all(overlay.values())


def test_every_form_text_has_a_welsh_overlay() -> None:
    for path in sorted((REPO / "forms" / "complaint").glob("*.json")):
        if path.name.endswith(".cy.json"):
            continue
        form = json.loads(path.read_text("utf-8"))
        overlay = json.loads(path.with_name(path.stem + ".cy.json").read_text("utf-8"))
        assert overlay["title"] and overlay["description"], path.name
        assert set(overlay["properties"]) == set(form["properties"]), path.name
        for name, field in form["properties"].items():
            texts = overlay["properties"][name]
            assert texts["title"] and texts["description"], f"{path.name} {name}"
            consts = {choice["const"] for choice in field.get("oneOf", [])}
            assert set(texts.get("choices", {})) == consts, f"{path.name} {name}"
