"""Races: two workers (two apps, one database) acting on the same task or instance at once."""

from __future__ import annotations

import threading
from collections import Counter

from service.base.config import Settings
from service.http.app import create_app
from tests.api.helpers import CALL_DATA, assert_chain, assert_problem, history, instance, only_task, start_ok


def _second_client(database_url):
    app = create_app(
        Settings(database_url=database_url, secret_key="test", scheduler=False), start_scheduler=False
    )
    app.config["TESTING"] = True
    return app


def _race(s, database_url, first, second):
    """Run ``first(client)`` and ``second(client)`` at the same moment, each with its own app; their responses."""
    other = _second_client(database_url)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index, call, client):
        barrier.wait()
        try:
            results[index] = call(client)
        except BaseException as err:  # surfaced by the assertions below
            results[index] = err

    threads = [
        threading.Thread(target=run, args=(0, first, s.app.test_client())),
        threading.Thread(target=run, args=(1, second, other.test_client())),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    other.extensions["advocacy_flow.db"].engine.dispose()
    assert not any(isinstance(r, BaseException) for r in results), results
    return results


def _complete(s, task_id, user):
    return lambda client: client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": CALL_DATA}, headers=s.headers(user)
    )


def test_same_task_completed_twice_at_once(deployed, database_url):
    s = deployed
    for round_ in range(3):
        inst = start_ok(s, business_key=f"R{round_}")
        task = only_task(inst)
        results = _race(
            s, database_url, _complete(s, task["id"], "manager1"), _complete(s, task["id"], "manager2")
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.get_data(as_text=True) for r in results]
        loser = next(r for r in results if r.status_code == 409)
        assert_problem(loser, 409)
        events = history(s, inst["id"])
        kinds = Counter(e["type"] for e in events)
        assert kinds["task_completed"] == 1 and kinds["instance_completed"] == 1
        assert_chain(events)
        assert instance(s, inst["id"])["status"] == "completed"


def test_same_task_claimed_twice_at_once(deployed, database_url):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)

    def claim(user):
        return lambda client: client.post(f"/api/v1/tasks/{task['id']}/claim", headers=s.headers(user))

    results = _race(s, database_url, claim("manager1"), claim("manager2"))
    assert sorted(r.status_code for r in results) == [200, 403], [r.get_data(as_text=True) for r in results]
    winner = next(r for r in results if r.status_code == 200).get_json()["assignee"]
    assert s.get(f"/tasks/{task['id']}", "manager1").get_json()["assignee"] == winner
    events = history(s, inst["id"])
    claims = [e for e in events if e["type"] == "task_claimed"]
    assert len(claims) == 1 and claims[0]["actor"] == winner
    assert_chain(events)


def test_complete_races_cancel(deployed, database_url):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)

    def cancel(client):
        return client.post(
            f"/api/v1/process-instances/{inst['id']}/cancel",
            json={"reason_code": "duplicate", "reason": "race"},
            headers=s.headers("manager2"),
        )

    results = _race(s, database_url, _complete(s, task["id"], "manager1"), cancel)
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_data(as_text=True) for r in results]
    events = history(s, inst["id"])
    assert_chain(events)
    final = instance(s, inst["id"])["status"]
    terminal = [e["type"] for e in events if e["type"] in ("instance_completed", "instance_cancelled")]
    assert terminal == ["instance_completed" if final == "completed" else "instance_cancelled"]
    assert (results[0].status_code == 200) == (final == "completed")
