"""Every form and every diagram of the repository has its Welsh texts (new ones added later are covered).

The tests walk ALL of forms/ and bpmn/: a form without ``<id>.cy.json``, a title, description or choice
without Welsh, a named diagram element without a Welsh name, or an overlay naming what no longer exists,
fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.base.overlays import apply_form, diagram_names, form_overlay, form_texts, named_elements

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted(p for p in (ROOT / "forms").glob("*/*.json") if "." not in p.stem)
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}" if path.parent.name != "bpmn" else path.stem


def test_there_is_something_to_check() -> None:
    assert len(FORMS) > 50 and len(DIAGRAMS) >= 6


@pytest.mark.parametrize("path", FORMS, ids=_id)
def test_every_form_text_has_welsh(path: Path) -> None:
    schema = json.loads(path.read_text("utf-8"))
    overlay = form_overlay(path.parent.name, path.stem, "cy")
    assert overlay is not None, f"{path.relative_to(ROOT)} has no {path.stem}.cy.json"
    welsh = dict(form_texts(apply_form(schema, overlay)))
    english = dict(form_texts(schema))
    given = {k for k in ("title", "description") if overlay.get(k)}
    for name, texts in (overlay.get("properties") or {}).items():
        given |= {f"{name}.{k}" for k in ("title", "description") if texts.get(k)}
        given |= {f"{name}.choices.{c}" for c, t in (texts.get("choices") or {}).items() if t}
    # every text is given in the overlay (a word that is the same in Welsh, e.g. "Grant", is given too)
    missing = [where for where, text in english.items() if text and where not in given]
    assert not missing, f"{_id(path)}: still in English: {missing}"
    assert all(welsh.get(where) for where in english), f"{_id(path)}: an empty Welsh text"
    unknown = set(overlay.get("properties") or {}) - set(schema.get("properties") or {})
    assert not unknown, f"{_id(path)}: the overlay names fields the form does not have: {unknown}"


@pytest.mark.parametrize("path", FORMS, ids=_id)
def test_an_overlay_changes_only_texts(path: Path) -> None:
    schema = json.loads(path.read_text("utf-8"))
    localised = apply_form(schema, form_overlay(path.parent.name, path.stem, "cy")) or schema

    def shape(value):
        if isinstance(value, dict):
            return {
                k: shape(v) for k, v in value.items() if k not in ("title", "description", "x-enum-titles")
            }
        if isinstance(value, list):
            return [shape(v) for v in value]
        return value

    assert shape(localised) == shape(schema)


@pytest.mark.parametrize("path", DIAGRAMS, ids=_id)
def test_every_named_diagram_element_has_a_welsh_name(path: Path) -> None:
    named = named_elements(path.read_bytes())
    welsh = diagram_names(path.stem, "cy")
    assert welsh, f"bpmn/{path.stem}.cy.json is missing"
    missing = sorted(set(named) - set(welsh))
    assert not missing, f"{path.name}: elements without a Welsh name: {missing}"
    stale = sorted(set(welsh) - set(named))
    assert not stale, f"{path.stem}.cy.json names elements the diagram does not have: {stale}"
    untranslated = sorted(i for i in named if welsh[i] == named[i] and len(named[i]) > 3)
    assert len(untranslated) <= 3, f"{path.name}: names left in English: {untranslated}"
