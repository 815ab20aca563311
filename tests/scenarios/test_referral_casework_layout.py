"""Diagram interchange of referral_casework inside its subprocesses (the shared layout test checks the top level).

Every element of `open_case` and `safeguarding` is drawn and named, inside its subprocess, with no two
siblings overlapping; every flow inside them runs in straight segments from its source to its target;
each boundary event sits on its task's border.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
ROOT = etree.parse(str(REPO / "bpmn" / "referral_casework.bpmn")).getroot()
SHAPES = {
    s.get("bpmnElement"): tuple(float(s.find("dc:Bounds", NS).get(k)) for k in ("x", "y", "width", "height"))
    for s in ROOT.iterfind(".//bpmndi:BPMNShape", NS)
}
EDGES = {
    e.get("bpmnElement"): [(float(p.get("x")), float(p.get("y"))) for p in e.findall("di:waypoint", NS)]
    for e in ROOT.iterfind(".//bpmndi:BPMNEdge", NS)
}


def inside(inner, outer) -> bool:
    (ix, iy, iw, ih), (ox, oy, ow, oh) = inner, outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


@pytest.mark.parametrize("subprocess", ["open_case", "safeguarding"])
def test_the_subprocess_is_drawn_expanded_with_everything_inside(subprocess: str) -> None:
    (sub,) = ROOT.xpath(f"//bpmn:subProcess[@id='{subprocess}']", namespaces=NS)
    nodes = [
        n
        for n in sub
        if etree.QName(n).localname
        not in ("sequenceFlow", "documentation", "incoming", "outgoing", "extensionElements")
    ]
    assert nodes
    for node in nodes:
        assert node.get("name") and node.get("id") in SHAPES, node.get("id")
        assert inside(SHAPES[node.get("id")], SHAPES[subprocess]), node.get("id")
    boundary = {
        n.get("id"): n.get("attachedToRef") for n in nodes if etree.QName(n).localname == "boundaryEvent"
    }
    for event, task in boundary.items():
        (ex, ey, ew, eh), (tx, ty, tw, th) = SHAPES[event], SHAPES[task]
        assert ey + eh / 2 in (ty, ty + th) and tx <= ex + ew / 2 <= tx + tw, event
    flow_nodes = [n.get("id") for n in nodes if n.get("id") not in boundary]
    for i, a in enumerate(flow_nodes):
        for b in flow_nodes[i + 1 :]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = SHAPES[a], SHAPES[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"
    for flow in sub.iterfind("bpmn:sequenceFlow", NS):
        points = EDGES[flow.get("id")]
        assert len(points) >= 2 and all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(points))
        for end, ref in ((points[0], flow.get("sourceRef")), (points[-1], flow.get("targetRef"))):
            x, y, w, h = SHAPES[ref]
            assert x <= end[0] <= x + w and y <= end[1] <= y + h, f"{flow.get('id')} does not touch {ref}"


def test_the_subprocesses_and_the_side_paths_do_not_overlap_and_sit_in_the_participant() -> None:
    participant = SHAPES["referral_casework_participant"]
    for element in (
        "open_case",
        "safeguarding",
        "end_case_early",
        "ended_early",
        "refer_back_to_authority",
        "signpost",
    ):
        assert inside(SHAPES[element], participant), element
    (ax, ay, aw, ah), (bx, by, bw, bh) = SHAPES["open_case"], SHAPES["safeguarding"]
    assert ay + ah <= by or by + bh <= ay or ax + aw <= bx or bx + bw <= ax
    shapes = ROOT.xpath(
        "//bpmndi:BPMNShape[@bpmnElement='open_case' or @bpmnElement='safeguarding']", namespaces=NS
    )
    assert all(s.get("isExpanded") == "true" for s in shapes)
