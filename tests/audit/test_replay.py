"""Replay at every seq agrees with what the history says happened, and at each step with the live instance."""

from __future__ import annotations

from tests.api.helpers import history, instance
from tests.audit.support import TERMINAL, Walk, every_kind_of_walk, start_callback
from workflows.history import EVENT_TYPES


def _replay(s, walk: Walk, seq: int | None = None, user: str = "manager1") -> dict:
    query = "" if seq is None else f"?seq={seq}"
    r = s.get(f"/process-instances/{walk.id}/replay{query}", user)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _diagram(s, walk: Walk, seq: int | None = None) -> dict:
    r = s.get(f"/process-instances/{walk.id}/diagram" + ("" if seq is None else f"?seq={seq}"), "manager1")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _told(events: list[dict]) -> dict:
    """What the history alone says, written out here independently of workflows/replay.py."""
    open_tasks: dict[str, str] = {}
    completed: list[str] = []
    status = None
    for e in events:
        completed += [c for c in e["data"].get("completed", []) if c not in completed]
        if e["type"] == "task_ready":
            open_tasks[e["task_id"]] = e["activity_id"]
        elif e["type"] in ("task_completed", "task_cancelled"):
            open_tasks.pop(e["task_id"], None)
        elif e["type"] in TERMINAL:
            status = TERMINAL[e["type"]]
    if status in ("completed", "cancelled"):
        open_tasks = {}
    tasks = sorted(open_tasks.values())
    return {"status": status or ("running" if tasks else "waiting"), "tasks": tasks, "completed": completed}


def _same_as_live(replayed: dict, live: dict) -> None:
    assert replayed["status"] == live["status"]
    assert replayed["stage"] == live["stage"]
    assert sorted(t["activity_id"] for t in replayed["active_tasks"]) == sorted(
        t["activity_id"] for t in live["active_tasks"]
    )
    if live["status"] != "cancelled":  # see test_replay_keeps_variables_of_a_cancelled_instance
        assert replayed["variables"] == live["variables"]


def test_replay_at_every_seq_of_every_kind_of_event(deployed):
    s = deployed
    walks = every_kind_of_walk(s)
    seen_types = set()
    for walk in walks:
        events = history(s, walk.id)
        seen_types |= {e["type"] for e in events}
        for event in events:
            replayed = _replay(s, walk, event["seq"])
            assert set(replayed) >= {
                "seq",
                "at",
                "status",
                "stage",
                "variables",
                "active_tasks",
                "completed_activities",
            }
            assert (replayed["seq"], replayed["at"], replayed["type"]) == (
                event["seq"],
                event["at"],
                event["type"],
            )
            told = _told(events[: event["seq"]])
            assert replayed["status"] == told["status"], event
            assert sorted(t["activity_id"] for t in replayed["active_tasks"]) == told["tasks"], event
            assert replayed["completed_activities"] == told["completed"], event
            for task in replayed["active_tasks"]:
                ready = [
                    e
                    for e in events[: event["seq"]]
                    if e["type"] == "task_ready" and e["activity_id"] == task["activity_id"]
                ]
                assert task["name"] == ready[-1]["data"]["name"]
            if event["seq"] in walk.checkpoints:
                _same_as_live(replayed, walk.checkpoints[event["seq"]])
        _same_as_live(_replay(s, walk), instance(s, walk.id))
    # breaches and escalations are replayed in test_replay_every_process; a reminder (an SLA's, which the
    # example has none of) in tests/service/test_reminders.py; a migration in tests/scenarios/test_migration_*.py
    assert seen_types >= set(EVENT_TYPES) - {
        "deadline_breached",
        "escalation_started",
        "notification_sent",
        "instance_migrated",
    }


def test_replay_facts_of_the_example(deployed):
    s = deployed
    documents, direct, late, cancelled, failing = every_kind_of_walk(s)
    last = _replay(s, documents)
    assert last["status"] == "completed" and last["end_state"] == "resolved"
    assert last["variables"]["pages"] == 3 and last["variables"]["note"] == "caf\u00e9"
    assert last["completed_activities"] == [
        "request_received",
        "set_target",
        "call_back",
        "documents_needed",
        "wait_documents",
        "documents_merge",
        "resolved",
    ]
    assert _replay(s, direct)["variables"]["target_hours"] == 4
    fired = next(e for e in history(s, late.id) if e["type"] == "timer_fired")
    at_fire = _replay(s, late, fired["seq"])
    assert "call_back_overdue" in at_fire["completed_activities"]
    # non-interrupting: the call-back stays open when the target passes, the chase opens beside it
    assert [t["activity_id"] for t in at_fire["active_tasks"]] == ["call_back"]
    chase = _replay(s, late, fired["seq"] + 1)
    assert [t["activity_id"] for t in chase["active_tasks"]] == ["call_back", "chase_call_back"]
    assert _replay(s, late)["end_state"] == "resolved"
    error = next(e for e in history(s, failing.id) if e["type"] == "instance_error")
    at_error = _replay(s, failing, error["seq"])
    assert at_error["status"] == "error" and at_error["variables"]["divisor"] == 0
    assert "ratio" not in at_error["variables"]
    assert _replay(s, cancelled)["status"] == "cancelled" and _replay(s, cancelled)["active_tasks"] == []


def test_replay_keeps_variables_of_a_cancelled_instance(deployed):
    walk = start_callback(deployed, "CX")
    walk.cancel()
    live = instance(deployed, walk.id)["variables"]
    assert live["caller_ref"] == "ABC-1"  # the cancelled instance keeps what it held
    assert _replay(deployed, walk)["variables"] == live


def test_replay_does_not_depend_on_when_it_runs(deployed):
    s = deployed
    walk = start_callback(s, "T1")
    walk.fire("call_back_overdue")
    first = [_replay(s, walk, seq) for seq in range(1, 5)]
    walk.complete("chase_call_back", {"overdue_reason": "phone off", "chase_action": "reassigned"})
    assert [_replay(s, walk, seq) for seq in range(1, 5)] == first


def test_diagram_path(deployed):
    s = deployed
    documents = start_callback(s, "P1")
    documents.complete(
        "call_back", {"called_at": "2026-01-05T09:00:00+00:00", "call_notes": "x", "documents_needed": True}
    )
    waiting = _diagram(s, documents)
    assert waiting["active"] == ["wait_documents"] and waiting["status"] == "waiting"
    assert "<bpmn:sequenceFlow" in waiting["xml"] and 'id="example_callback"' in waiting["xml"]
    assert waiting["taken_flows"] == [
        "flow_needs_documents",
        "flow_to_call",
        "flow_to_gateway",
        "flow_to_target",
    ]
    documents.message("P1", {})
    done = _diagram(s, documents)
    assert done["active"] == []
    assert done["completed"][-1] == "resolved"
    assert done["taken_flows"] == sorted(
        [
            "flow_to_target",
            "flow_to_call",
            "flow_to_gateway",
            "flow_needs_documents",
            "flow_documents_in",
            "flow_to_resolved",
        ]
    )
    assert _diagram(s, documents, 2)["active"] == ["call_back", "call_back_overdue"]
    assert _diagram(s, documents, 2)["taken_flows"] == ["flow_to_call", "flow_to_target"]

    late = start_callback(s, "P2")
    late.fire("call_back_overdue")
    path = _diagram(s, late)
    assert path["active"] == ["call_back", "chase_call_back"]  # the call-back is not withdrawn
    assert path["taken_flows"] == ["flow_to_call", "flow_to_chase", "flow_to_target"]
    assert "call_back" not in path["completed"] and "call_back_overdue" in path["completed"]


def test_diagram_active_matches_live_tasks_timers_and_messages(deployed):
    s = deployed
    for walk in every_kind_of_walk(s)[:3]:
        for seq, live in walk.checkpoints.items():
            active = set(_diagram(s, walk, seq)["active"])
            expected = {t["activity_id"] for t in live["active_tasks"]}
            expected |= {d["activity_id"] for d in live["deadlines"]}
            if live["status"] == "waiting":
                expected.add("wait_documents")
            assert active == expected, (seq, live)
