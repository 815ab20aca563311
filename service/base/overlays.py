"""The Welsh (or any other language's) texts beside each form and each diagram, applied to what is shown.

A form ``forms/<process>/<activity_id>.json`` has its texts in ``forms/<process>/<activity_id>.cy.json``::

    {"title": "...", "description": "...",
     "properties": {"<field>": {"title": "...", "description": "...", "choices": {"<const>": "..."}}}}

(an array field's item choices go in ``choices`` too).  A diagram ``bpmn/<process>.bpmn`` has its names
in ``bpmn/<process>.cy.json``: ``{"<element_id>": "<name>"}`` for every named element.  Only texts change:
field names, enum values, element ids, types and rules stay the source's, so what a person submits in
Welsh is checked exactly as in English.  English is the source language and has no overlay.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.base.languages import DEFAULT_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
BPMN = ROOT / "bpmn"
# elements whose name is an identifier the engine correlates on, never shown to a person
NAMED_SKIP = frozenset({"message", "signal", "error", "escalation"})


def named_elements(xml: bytes) -> dict[str, str]:
    """Every element of a BPMN diagram that has a name a person reads: id -> name."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    found = {}
    for element in etree.fromstring(xml, parser).iter():
        if not isinstance(element.tag, str) or not element.get("name") or not element.get("id"):
            continue
        namespace, _, local = element.tag[1:].partition("}")
        if "BPMN/" in namespace and "DI" not in namespace and local not in NAMED_SKIP:
            found[element.get("id")] = element.get("name")
    return found


@lru_cache(maxsize=1024)
def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def form_overlay(process: str, activity_id: str, language: str) -> dict[str, Any] | None:
    if language == DEFAULT_LANGUAGE or "/" in process + activity_id or ".." in process + activity_id:
        return None
    return _read(FORMS / process / f"{activity_id}.{language}.json")


def diagram_names(process: str, language: str) -> dict[str, str]:
    """The names of a diagram's elements in ``language`` ({} for English or without an overlay)."""
    if language == DEFAULT_LANGUAGE or "/" in process or ".." in process:
        return {}
    names = _read(BPMN / f"{process}.{language}.json") or {}
    return {k: v for k, v in names.items() if isinstance(v, str)}


def _choices(spec: dict[str, Any], titles: dict[str, str]) -> None:
    for option in spec.get("oneOf") or []:
        if isinstance(option, dict) and "const" in option and str(option["const"]) in titles:
            option["title"] = titles[str(option["const"])]
    if "enum" in spec and "oneOf" not in spec:
        spec["x-enum-titles"] = {str(v): titles[str(v)] for v in spec["enum"] if str(v) in titles}


def apply_form(schema: dict[str, Any] | None, overlay: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of ``schema`` with the overlay's texts (the schema itself when there is no overlay)."""
    if not schema or not overlay:
        return schema
    out = copy.deepcopy(schema)
    for key in ("title", "description"):
        if isinstance(overlay.get(key), str):
            out[key] = overlay[key]
    for name, texts in (overlay.get("properties") or {}).items():
        spec = (out.get("properties") or {}).get(name)
        if not isinstance(spec, dict) or not isinstance(texts, dict):
            continue
        for key in ("title", "description"):
            if isinstance(texts.get(key), str):
                spec[key] = texts[key]
        titles = {str(k): v for k, v in (texts.get("choices") or {}).items() if isinstance(v, str)}
        if titles:
            _choices(spec, titles)
            if isinstance(spec.get("items"), dict):
                _choices(spec["items"], titles)
    return out


def localise_form(
    schema: dict[str, Any] | None, process: str, activity_id: str, language: str
) -> dict[str, Any] | None:
    return apply_form(schema, form_overlay(process, activity_id, language))


def form_texts(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Every text of a form a person reads, as (where, what): the completeness tests walk these."""
    found = [(k, schema[k]) for k in ("title", "description") if isinstance(schema.get(k), str)]
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        found += [(f"{name}.{k}", spec[k]) for k in ("title", "description") if isinstance(spec.get(k), str)]
        for holder in (spec, spec.get("items") if isinstance(spec.get("items"), dict) else {}):
            for option in holder.get("oneOf") or []:
                if isinstance(option, dict) and "const" in option:
                    found.append((f"{name}.choices.{option['const']}", option.get("title") or ""))
            if "enum" in holder and "oneOf" not in holder:
                found += [(f"{name}.choices.{v}", str(v)) for v in holder["enum"]]
    return found
