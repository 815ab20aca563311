"""``POST /tasks/{id}/complete``: on PostgreSQL the caller's token is checked in the step's own first
SELECT (``Database.begin_early``); on both databases the answers come in the gate's order (401, 403,
415/422, then the view's 404, 403, 422) and a refused request stores nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select, update

from service.access import auth
from service.cases import instances
from service.store.models import HistoryEvent, ProcessInstance, Task, User
from tests.api.helpers import CALL_DATA, assert_problem, only_task, start_ok


def _stored(s, instance_id: str) -> tuple:
    """The instance row, its history and its tasks, as stored."""

    def read(session):
        row = session.execute(
            select(ProcessInstance.state, ProcessInstance.row_version, ProcessInstance.status).where(
                ProcessInstance.id == instance_id
            )
        ).one()
        events = session.scalars(
            select(HistoryEvent.hash).where(HistoryEvent.instance_id == instance_id)
        ).all()
        tasks = session.execute(select(Task.id, Task.status).where(Task.instance_id == instance_id)).all()
        return tuple(row), list(events), sorted(tuple(t) for t in tasks)

    return s.db.read(read)


@pytest.fixture
def case(deployed):
    body = start_ok(deployed)
    return deployed, body["id"], only_task(body)["id"]


def _complete(s, task_id: str, headers: dict[str, str], **kw):
    if "data" not in kw:
        kw.setdefault("json", {"data": CALL_DATA})
    return s.client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, **kw)


def _revoke(s, user: str) -> None:
    assert s.db.run(auth.revoke, s.tokens[user])


def _deactivate(s, user: str) -> None:
    s.db.run(lambda session: session.execute(update(User).where(User.username == user).values(active=False)))


BAD_BODIES = [
    {"data": b"x", "content_type": "text/plain"},  # 415 for a caller who may make the request
    {"data": b'{"data": {"called_at": "\\u0000"}}', "content_type": "application/json"},  # 422 (NUL)
    {"json": {"data": CALL_DATA, "extra": 1}},  # 422 (the schema)
    {"json": {"data": {}}},  # 422 (the form)
]


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize(
    "caller, status",
    [
        (None, 401),  # no token
        ("unknown", 401),
        ("revoked", 401),
        ("inactive", 401),
        ("auditor1", 403),  # a role that may not complete tasks
    ],
)
def test_a_caller_who_may_not_complete_is_refused_before_the_body_is_looked_at(case, caller, status, body):
    s, instance_id, task_id = case
    before = _stored(s, instance_id)
    if caller is None:
        headers = {}
    elif caller == "unknown":
        headers = {"Authorization": "Bearer " + "x" * 40}
    elif caller == "revoked":
        _revoke(s, "manager1")
        headers = s.headers("manager1")
    elif caller == "inactive":
        _deactivate(s, "manager1")
        headers = s.headers("manager1")
    else:
        headers = s.headers(caller)
    for task in (task_id, str(uuid.uuid4()), "not-a-task"):
        assert_problem(_complete(s, task, headers, **body), status)
    assert _stored(s, instance_id) == before


def test_a_caller_who_may_complete_gets_the_body_checked_first_then_the_task(case):
    s, instance_id, task_id = case
    before = _stored(s, instance_id)
    headers = s.headers("manager1")
    assert_problem(_complete(s, task_id, headers, **BAD_BODIES[0]), 415)
    for bad in BAD_BODIES[1:]:
        assert_problem(_complete(s, task_id, headers, **bad), 422)
    assert_problem(_complete(s, str(uuid.uuid4()), headers), 404)
    assert_problem(_complete(s, "not-a-task", headers), 404)
    assert _stored(s, instance_id) == before
    # A caller whose role may complete tasks, but not this one: the view's own check, nothing stored.
    assert_problem(_complete(s, task_id, s.headers("commissioner1")), 404)  # may not know of it
    assert _stored(s, instance_id) == before

    r = _complete(s, task_id, headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "completed"
    (_, row_version, status), events, tasks = _stored(s, instance_id)
    assert status == "completed" and row_version > before[0][1] and len(events) > len(before[1])
    assert tasks == [(task_id, "completed")]
    assert_problem(_complete(s, task_id, headers), 409)  # done once only


def _statements_of(s, request) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(s.db.engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(s.db.engine, "before_cursor_execute", record)
    return seen


def test_on_postgresql_the_token_is_checked_in_the_steps_first_select(case, database_url):
    s, _, task_id = case
    seen = _statements_of(s, lambda: _complete(s, task_id, s.headers("manager1")))
    reads = [q for q in seen if q.startswith("SELECT")]
    token_checks = [q for q in reads if "api_tokens" in q]
    assert len(token_checks) == 1, seen
    if database_url.startswith("postgresql"):
        assert reads == token_checks and "FROM tasks" not in reads[0] and "JOIN tasks" in reads[0], seen
        assert len(seen) == 2, seen  # the SELECT and the step's one write statement
    else:  # SQLite: the token on its own, then the step reads its task
        assert "tasks" not in token_checks[0] and any("FROM tasks" in q for q in reads), seen
    checked_out = s.db.engine.pool.checkedout()
    assert checked_out == 0, f"{checked_out} connections left checked out"


def test_a_refused_request_leaves_no_session_open(case):
    s, _, task_id = case
    for headers, body in (
        (s.headers("manager1"), BAD_BODIES[0]),  # refused by the gate after the early read
        (s.headers("manager1"), BAD_BODIES[2]),  # refused by the schema, before the view
        (s.headers("auditor1"), BAD_BODIES[2]),
    ):
        assert _complete(s, task_id, headers, **body).status_code in (403, 415, 422)
        assert s.db.engine.pool.checkedout() == 0


def test_a_step_begun_early_and_overtaken_runs_again_on_fresh_rows(case, database_url):
    """Another writer moves the instance between the early read and the step: the step's version
    check refuses the first attempt, and the retry reads afresh and completes the task once."""
    s, instance_id, task_id = case
    token = s.tokens["manager1"]
    early = s.db.begin_early(instances.authenticate_for_task, token, task_id)
    if database_url.startswith("sqlite"):
        assert early is None  # SQLite reads the usual way (no round trip to save)
        return
    assert early is not None
    who, session = early
    assert who.username == "manager1"

    def overtake(other):  # the caller's own claim: a history event, and the instance's version moves
        instances.claim_task(other, who, task_id)

    s.db.run(overtake)
    moved = _stored(s, instance_id)
    result = s.db.run(
        lambda session: instances.complete_task(session, who, task_id, dict(CALL_DATA)).id, begun=session
    )
    assert result == instance_id
    (_, row_version, status), events, tasks = _stored(s, instance_id)
    assert status == "completed" and row_version > moved[0][1]
    assert len(events) > len(moved[1]) and events[: len(moved[1])] == moved[1]  # the claim kept, in order
    assert tasks == [(task_id, "completed")]
    assert s.db.engine.pool.checkedout() == 0


def test_an_early_read_refused_closes_its_session(case, database_url):
    s, _, task_id = case
    if database_url.startswith("sqlite"):
        assert s.db.begin_early(instances.authenticate_for_task, "y" * 40, task_id) is None
        return
    with pytest.raises(Exception, match="unknown token"):
        s.db.begin_early(instances.authenticate_for_task, "y" * 40, task_id)
    assert s.db.engine.pool.checkedout() == 0
