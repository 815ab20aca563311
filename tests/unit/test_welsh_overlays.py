"""The Welsh overlays of the diagrams and forms of issue 15 (example_callback, advocate_supervision).

CONTRACT.md's format: ``bpmn/<process>.cy.json`` names every named element of the diagram;
``forms/<process>/<id>.cy.json`` holds only texts, for fields and choices the form has.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from workflows.sources import read_directory

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ["example_callback", "advocate_supervision"]
KINDS = {"process", "participant", "lane", "sequenceFlow", "subProcess"}
OVERLAID_FORMS = {
    "example_callback": ["chase_call_back"],
    "advocate_supervision": [p.stem for p in (ROOT / "forms" / "advocate_supervision").glob("*.json")],
}


def _named(process: str) -> dict[str, str]:
    root = etree.parse(str(ROOT / "bpmn" / f"{process}.bpmn")).getroot()
    found = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id") or not element.get("name"):
            continue
        kind = etree.QName(element).localname
        if kind in KINDS or kind.endswith(("Task", "Event", "Gateway")):
            found[element.get("id")] = element.get("name")
    return found


@pytest.mark.parametrize("process", PROCESSES)
def test_every_named_element_has_a_welsh_name(process: str) -> None:
    overlay = json.loads((ROOT / "bpmn" / f"{process}.cy.json").read_text("utf-8"))
    named = _named(process)
    assert set(overlay) == set(named)
    assert all(isinstance(v, str) and v.strip() and v != named[k] for k, v in overlay.items())


@pytest.mark.parametrize(
    ("process", "form"),
    [(p, f) for p, forms in OVERLAID_FORMS.items() for f in sorted(forms) if not f.endswith(".cy")],
)
def test_each_form_overlay_holds_only_texts_the_form_has(process: str, form: str) -> None:
    schema = json.loads((ROOT / "forms" / process / f"{form}.json").read_text("utf-8"))
    overlay = json.loads((ROOT / "forms" / process / f"{form}.cy.json").read_text("utf-8"))
    assert set(overlay) == {"title", "description", "properties"} and overlay["title"] != schema["title"]
    assert set(overlay["properties"]) == set(schema["properties"])
    for name, texts in overlay["properties"].items():
        field = schema["properties"][name]
        assert set(texts) <= {"title", "description", "choices"} and texts["title"] and texts["description"]
        choices = {c["const"] for c in field.get("oneOf", field.get("items", {}).get("oneOf", []))}
        assert set(texts.get("choices", {})) == choices, f"{form}.{name}"


def test_an_overlay_is_not_read_as_a_form() -> None:
    _files, forms = read_directory([ROOT / "bpmn" / "advocate_supervision.bpmn"], ROOT / "forms")
    assert not [name for name in forms["advocate_supervision"] if name.endswith(".cy")]
