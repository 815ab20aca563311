"""The texts of diagrams and forms in the request's language (``service.base.overlays``), for pages and API.

Names of processes, tasks and diagram elements come from ``bpmn/<process>.<lang>.json``, the texts of a
form from ``forms/<process>/<activity_id>.<lang>.json``, an SLA milestone's name from the return's
vocabulary; the diagram drawn by bpmn-js is relabelled from
the same names before it is sent, so the picture, the lists beside it and the history agree.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from service.base.overlays import diagram_names, localise_form
from service.cases.reports import vocabulary
from service.web.filters import language


def element_names(process: str, names: dict[str, str]) -> dict[str, str]:
    """A model's element names with the request language's over them."""
    return {**names, **diagram_names(process, language())} if names is not None else {}


def process_name(process: str, name: str) -> str:
    return diagram_names(process, language()).get(process, name)


def task_name(process: str, activity_id: str, name: str) -> str:
    return diagram_names(process, language()).get(activity_id, name)


def milestone_name(milestone: str) -> str:
    """An SLA milestone (``allocation``, ``safeguarding_decision`` …) as people read it."""
    return vocabulary.label(milestone, language())


def form(schema: dict[str, Any] | None, process: str, activity_id: str) -> dict[str, Any] | None:
    return localise_form(schema, process, activity_id, language())


def forms(process: str, by_activity: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {aid: form(schema, process, aid) or schema for aid, schema in by_activity.items()}


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def relabel(xml: str | None, process: str) -> str | None:
    """The diagram's XML with each named element's ``name`` in the request's language."""
    names = diagram_names(process, language())
    if not xml or not names:
        return xml
    try:
        root = etree.fromstring(xml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return xml
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("name") is not None and element.get("id") in names:
            element.set("name", names[element.get("id")])
    return etree.tostring(root, encoding="unicode")


def relabel_diagram(diagram: dict[str, Any] | None, process: str) -> dict[str, Any] | None:
    if not diagram or "xml" not in diagram:
        return diagram
    return {**diagram, "xml": relabel(diagram["xml"], process)}
