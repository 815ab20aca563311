"""A loop driven 1,200 times over HTTP: the case runs, and the replay and the chain stay exact (issue 17).

The engine state is pruned after each step (workflows/pruning.py); the history is in the events,
so replaying any point of the loop and verifying the hash chain must still give the exact record.
"""

from __future__ import annotations

from service.cases.verification import verify_chains
from service.store.models import ProcessInstance
from tests.api.helpers import history, instance, only_task
from tests.unit.long_loop_diagrams import PLAIN

ROUNDS = 1_200


def test_a_loop_of_1200_rounds_over_http_replays_and_verifies(service):
    r = service.client.post(
        "/api/v1/process-definitions",
        data=PLAIN.encode(),
        headers=service.headers("admin1"),
        content_type="application/xml",
    )
    assert r.status_code == 201, r.get_json()
    r = service.post("/process-instances", "manager1", {"process": "plain", "variables": {"round": 0}})
    assert r.status_code == 201, r.get_json()
    inst = r.get_json()
    sizes = []
    for number in range(1, ROUNDS + 1):
        task = only_task(inst)
        assert task["activity_id"] == "step"
        r = service.post(
            f"/tasks/{task['id']}/complete", "manager1", {"data": {"again": True, "round": number}}
        )
        assert r.status_code == 200, r.get_json()
        inst = instance(service, inst["id"])
        if number in (10, ROUNDS):
            sizes.append(len(service.db.run(_state_text, inst["id"])))
    assert inst["status"] == "running"
    assert inst["variables"]["round"] == ROUNDS
    assert sizes[1] <= sizes[0] * 1.1, sizes  # the stored engine state does not grow
    events = history(service, inst["id"], "auditor1")
    completions = [e for e in events if e["type"] == "task_completed"]
    assert len(completions) == ROUNDS
    for event in (completions[0], completions[ROUNDS // 2], completions[-1]):  # any point of the loop
        at = service.get(f"/process-instances/{inst['id']}/replay?seq={event['seq']}", "auditor1").get_json()
        assert at["seq"] == event["seq"]
        assert at["variables"]["round"] == event["data"]["data"]["round"]
        assert at["active_tasks"] == []  # the next round's task is ready at the next event
        ready = service.get(f"/process-instances/{inst['id']}/replay?seq={event['seq'] + 1}", "auditor1")
        assert ready.get_json()["type"] == "task_ready"
        assert [t["activity_id"] for t in ready.get_json()["active_tasks"]] == ["step"]
    last = service.get(
        f"/process-instances/{inst['id']}/replay?seq={events[-1]['seq']}", "auditor1"
    ).get_json()
    assert last["variables"] == inst["variables"]
    assert last["status"] == inst["status"]
    instances, checked, broken = service.db.run(verify_chains, inst["id"])
    assert (instances, broken) == (1, [])
    assert checked >= len(events)


def _state_text(session, instance_id: str) -> str:
    return session.get(ProcessInstance, instance_id).state
