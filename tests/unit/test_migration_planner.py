"""The engine's migration planner (workflows/migration.py) and replay across a move, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.base.config import ROOT
from tests.api.test_migrations import _renamed
from workflows.deployment import compile_deployment
from workflows.engine import Runner
from workflows.history import chain, verify
from workflows.migration import check_mapping, move
from workflows.replay import DiagramGraph, path, replay
from workflows.sources import read_directory

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _compile(text: str | None = None):
    files, forms = read_directory([ROOT / "bpmn" / "example_callback.bpmn"], ROOT / "forms")
    own = forms["example_callback"]
    if text is not None:
        files = [("example_callback.bpmn", text.encode())]
        own = {("return_call" if k == "call_back" else k): v for k, v in own.items()}
    (model,) = compile_deployment(files, {"example_callback": own})
    return model


@pytest.fixture(scope="module")
def versions():
    old = _compile()
    new = _compile(_renamed((ROOT / "bpmn" / "example_callback.bpmn").read_text()))
    return old, new


@pytest.mark.parametrize(
    ("mapping", "named"),
    [
        ({"nope": "return_call"}, "nope"),
        ({"call_back": "nope"}, "call_back"),
        ({"call_back": "documents_in"}, "call_back"),
        ({"call_back": "return_call", "return_call": "call_back"}, "call_back"),
        ({"call_back": "return_call", "chase_call_back": "return_call"}, "chase_call_back"),
        ({"call_back": 3}, "call_back"),
        ({7: "return_call"}, None),
    ],
)
def test_a_bad_mapping_is_named(versions, mapping, named) -> None:
    old, new = versions
    problems = check_mapping(old, new, mapping)
    assert problems and problems[0].activity_id == named


def test_a_move_keeps_the_task_and_replay_follows_each_version(versions) -> None:
    old, new = versions
    outcome = Runner(old).start({"caller_ref": "CB-1", "priority": "normal"}, "manager1", NOW)
    (task,) = outcome.snapshot.open_tasks
    refused, problems = move(
        old, Runner(new), outcome.state_text, {}, actor="a", from_version=1, to_version=2, now=NOW
    )
    assert refused is None and "call_back" in {p.activity_id for p in problems}
    moved, problems = move(
        old,
        Runner(new),
        outcome.state_text,
        {"call_back": "return_call"},
        actor="a",
        from_version=1,
        to_version=2,
        now=NOW,
    )
    assert problems == [] and moved is not None
    assert [(t.task_id, t.activity_id) for t in moved.snapshot.open_tasks] == [(task.task_id, "return_call")]
    assert moved.events[0].type == "instance_migrated" and moved.events[0].data["mapping"] == {
        "call_back": "return_call",
        "wait_documents": "documents_in",  # found by SpiffWorkflow's diff: the same neighbours
    }
    drafts = [
        {
            "at": NOW.isoformat(),
            "type": e.type,
            "actor": e.actor,
            "activity_id": e.activity_id,
            "task_id": e.task_id,
            "data": e.data,
        }
        for e in [*outcome.events, *moved.events]
    ]
    events = chain(drafts, last_seq=0, last_hash=None)
    assert verify(events) is None
    graphs = {
        1: DiagramGraph.from_xml(old.sources["example_callback.bpmn"]),
        2: DiagramGraph.from_xml(new.sources["example_callback.bpmn"]),
    }
    before = replay(events, len(outcome.events), versions=graphs, version=1)
    after = replay(events, len(events), versions=graphs, version=1)
    assert (before.version, after.version) == (1, 2)
    assert [t["activity_id"] for t in before.active_tasks] == ["call_back"]
    assert [t["activity_id"] for t in after.active_tasks] == ["return_call"]
    assert "return_call" in path(graphs[2], after)["active"]
    assert "call_back" in path(graphs[1], before)["active"]
