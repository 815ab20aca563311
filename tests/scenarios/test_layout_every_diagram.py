"""Every diagram in bpmn/ (not only those of one helper): each element drawn and named, flows touching
their ends with straight segments, boundary events on their task's border, no two shapes overlapping.

The same rules as the layout test of referral_casework and sla_escalation, over every ``*.bpmn``.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted(p.stem for p in (REPO / "bpmn").glob("*.bpmn"))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
NOT_DRAWN = ("laneSet", "sequenceFlow", "documentation", "dataObject", "ioSpecification", "extensionElements")
NOT_DRAWN += ("incoming", "outgoing", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics")


def _bounds(root) -> dict[str, tuple[float, float, float, float]]:
    found = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))
    return found


def _nodes(container) -> list:
    return [e for e in container if isinstance(e.tag, str) and etree.QName(e).localname not in NOT_DRAWN]


def test_the_list_covers_the_new_diagrams() -> None:
    assert {"advocate_supervision", "example_callback"} <= set(DIAGRAMS)


@pytest.mark.parametrize("process", DIAGRAMS)
def test_every_element_is_drawn_named_and_laid_out(process: str) -> None:
    root = etree.parse(str(REPO / "bpmn" / f"{process}.bpmn")).getroot()
    shapes = _bounds(root)
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    for definition in root.findall("bpmn:process", NS):
        containers = [definition, *definition.iterfind(".//bpmn:subProcess", NS)]
        for container in containers:
            nodes = _nodes(container)
            for node in nodes:
                assert node.get("id") in shapes, f"{node.get('id')} is not drawn"
                assert node.get("name"), f"{node.get('id')} has no name"
            boundary = {
                e.get("id"): e.get("attachedToRef") for e in container.iterfind("bpmn:boundaryEvent", NS)
            }
            for event, task in boundary.items():
                (ex, ey, ew, eh), (tx, ty, tw, th) = shapes[event], shapes[task]
                on_border = ey + eh / 2 in (ty, ty + th) or ex + ew / 2 in (tx, tx + tw)
                assert on_border, f"{event} is not on {task}'s border"
            flow_nodes = [n.get("id") for n in nodes if n.get("id") not in boundary]
            for i, a in enumerate(flow_nodes):
                for b in flow_nodes[i + 1 :]:
                    (ax, ay, aw, ah), (bx, by, bw, bh) = shapes[a], shapes[b]
                    apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
                    assert apart, f"{a} overlaps {b}"
        for flow in definition.iterfind(".//bpmn:sequenceFlow", NS):
            assert flow.get("id") in edges, f"{flow.get('id')} is not drawn"
            points = [(float(p.get("x")), float(p.get("y"))) for p in edges[flow.get("id")]]
            assert len(points) >= 2 and all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(points)), (
                flow.get("id")
            )
            for end, ref in ((points[0], flow.get("sourceRef")), (points[-1], flow.get("targetRef"))):
                x, y, w, h = shapes[ref]
                assert x <= end[0] <= x + w and y <= end[1] <= y + h, f"{flow.get('id')} does not touch {ref}"
        for lane in definition.iterfind(".//bpmn:lane", NS):
            assert lane.get("name") and lane.get("id") in shapes, lane.get("id")
