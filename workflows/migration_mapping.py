"""The mapping of a migration (old element id -> new element id), checked before any instance is looked at.

Also what the checks and the planner (``migration.py``) share: the problem type and the flow nodes of a
model's diagram with their kind, event kind and scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from workflows import xmlsafe
from workflows.deployment import BPMN_NS
from workflows.model import ProcessModel

_FLOW_NODE_SUFFIXES = ("Task", "task", "Event", "Gateway", "subProcess", "callActivity", "transaction")
MAX_MAPPING = 500


@dataclass(frozen=True)
class MigrationProblem:
    activity_id: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"activity_id": self.activity_id, "message": self.message}


@dataclass(frozen=True)
class Element:
    kind: str  # the BPMN element's local tag name: userTask, boundaryEvent ...
    event: str | None  # for an event: the kind of its definition (timerEventDefinition ...)
    scope: str | None  # the enclosing subprocess, None for the process itself


def elements(model: ProcessModel) -> dict[str, Element]:
    """The flow nodes of a process model's BPMN sources, by id."""
    found: dict[str, Element] = {}
    for text in model.sources.values():
        root = xmlsafe.parse(text)
        if etree.QName(root).namespace != BPMN_NS:
            continue
        for node in root.iter():
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS or not node.get("id"):
                continue
            kind = etree.QName(node).localname
            if not kind.endswith(_FLOW_NODE_SUFFIXES):
                continue
            events = [
                etree.QName(c).localname
                for c in node
                if isinstance(c.tag, str) and etree.QName(c).localname.endswith("EventDefinition")
            ]
            parent = node.getparent()
            scope = None
            while parent is not None:
                if etree.QName(parent).localname in ("subProcess", "transaction"):
                    scope = parent.get("id")
                    break
                parent = parent.getparent()
            found[node.get("id")] = Element(kind, ",".join(sorted(events)) or None, scope)
    return found


def check_mapping(old: ProcessModel, new: ProcessModel, mapping: Mapping[Any, Any]) -> list[MigrationProblem]:
    """What is wrong with ``mapping`` itself (old id -> new id), before any instance is looked at."""
    problems: list[MigrationProblem] = []
    if not isinstance(mapping, Mapping):
        return [MigrationProblem(None, "the mapping must be an object of old id to new id")]
    if len(mapping) > MAX_MAPPING:
        return [MigrationProblem(None, f"the mapping has more than {MAX_MAPPING} entries")]
    before, after = elements(old), elements(new)
    targets: dict[str, str] = {}
    for source, target in mapping.items():
        label = source if isinstance(source, str) else None
        if not isinstance(source, str) or not isinstance(target, str):
            problems.append(
                MigrationProblem(label, "each mapping entry must map an id (text) to an id (text)")
            )
            continue
        if source not in before:
            problems.append(MigrationProblem(source, f"'{source}' is not an element of the old version"))
            continue
        if target not in after:
            problems.append(
                MigrationProblem(source, f"'{source}' is mapped onto '{target}', which the new version lacks")
            )
            continue
        if source == target:
            continue
        if target in mapping:
            problems.append(
                MigrationProblem(
                    source,
                    f"'{source}' is mapped onto '{target}', which is mapped itself: no chains or cycles",
                )
            )
            continue
        if target in before:
            problems.append(
                MigrationProblem(
                    source, f"'{source}' is mapped onto '{target}', which the old version already has"
                )
            )
            continue
        if target in targets:
            problems.append(
                MigrationProblem(
                    source, f"'{source}' and '{targets[target]}' are both mapped onto '{target}'"
                )
            )
            continue
        targets[target] = source
        was, becomes = before[source], after[target]
        if (was.kind, was.event) != (becomes.kind, becomes.event):
            problems.append(
                MigrationProblem(
                    source,
                    f"'{source}' ({_kind(was)}) is mapped onto '{target}' ({_kind(becomes)}): "
                    "an element of another kind",
                )
            )
    return problems


def _kind(element: Element) -> str:
    return f"{element.kind} {element.event}" if element.event else element.kind
