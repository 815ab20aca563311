"""The caller's token check, with the task and instance a step starts from, is read as SQL compiled
once (``direct.first``) and made into ORM objects (``direct.loaded``): each must give exactly what
SQLAlchemy's own execute and load give, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from service.access import auth
from service.cases import instances
from service.store import direct
from service.store.models import ApiToken, ProcessInstance, Task, User
from tests.service.test_parsed_states import _open_task, _start

ENDED = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _params(token: str, task_id: str | None) -> dict:
    return {"token_hash": auth._token_hash(token), "_task": task_id}


def _columns(obj) -> dict:
    return {c.key: getattr(obj, c.key) for c in inspect(type(obj)).column_attrs}


def _an_instance_of_every_kind_of_value(s) -> tuple[str, str]:
    """A case whose row holds NULLs, nested JSON, an end time with microseconds and a long state."""
    instance_id = _start(s)
    task_id = _open_task(s, instance_id)
    with s.db.sessions() as session:
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(
                business_key=None,
                variables={"nested": {"list": [1, "two", None, 3.5]}, "name": "Ffion ap Rhys", "ok": True},
                ended_at=ENDED,
            )
        )
        session.commit()
    return instance_id, task_id


def test_the_early_read_gives_the_row_sqlalchemy_gives(deployed):
    _, task_id = _an_instance_of_every_kind_of_value(deployed)
    token = deployed.tokens["manager1"]
    with deployed.db.sessions() as session:
        by_sqlalchemy = tuple(session.execute(instances._CALLER_AND_TASK, _params(token, task_id)).one())
        session.rollback()
        by_direct = direct.first(session.connection(), instances._CALLER_AND_TASK, _params(token, task_id))
    assert by_direct == by_sqlalchemy
    assert [type(v) for v in by_direct] == [type(v) for v in by_sqlalchemy]
    expires_at = by_direct[1]
    assert expires_at.tzinfo is not None  # compared with an aware now in authenticate_with
    assert ENDED in by_direct and {"names": []} in by_direct  # the end time and the JSON, decoded


def test_the_plain_token_check_gives_the_row_sqlalchemy_gives(deployed):
    token = deployed.tokens["advocate1"]
    with deployed.db.read_only.connect() as connection:
        by_sqlalchemy = tuple(connection.execute(auth.TOKEN_CHECK, _params(token, None)).one())
        by_direct = direct.first(connection, auth.TOKEN_CHECK, _params(token, None))
    assert by_direct == by_sqlalchemy
    assert by_direct[3:5] == ("advocate1", "advocate")


def test_no_row_is_none(deployed):
    with deployed.db.read_only.connect() as connection:
        assert direct.first(connection, auth.TOKEN_CHECK, _params("not-a-token", None)) is None


def test_an_unknown_task_reads_the_caller_and_nulls(deployed):
    token = deployed.tokens["manager1"]
    with deployed.db.sessions() as session:
        row = direct.first(session.connection(), instances._CALLER_AND_TASK, _params(token, None))
        assert row[3] == "manager1"
        assert set(row[6:]) == {None}
        assert instances.authenticate_for_task(session, token, "no-such-task").username == "manager1"
        assert not session.identity_map and not session.info.get(instances._HELD_TASKS)
        with pytest.raises(instances.NotFound):
            instances.load_task(session, "no-such-task")


def test_the_objects_are_what_the_orm_loads(deployed):
    instance_id, task_id = _an_instance_of_every_kind_of_value(deployed)
    token = deployed.tokens["manager1"]
    with deployed.db.sessions() as session:
        expected_task = _columns(session.get(Task, task_id))
        expected_instance = _columns(session.get(ProcessInstance, instance_id))
    with deployed.db.sessions() as session:
        who = instances.authenticate_for_task(session, token, task_id)
        assert (who.username, who.role) == ("manager1", "manager")
        task, instance, model = instances.load_task(session, task_id)
        assert _columns(task) == expected_task
        assert _columns(instance) == expected_instance
        assert model.key == "example_callback"
        for obj in (task, instance):
            state = inspect(obj)
            assert state.persistent and not state.modified, obj
            assert not session.dirty and not session.new
        # the same objects as the session's own look-ups (one identity map), with no further SELECT
        assert session.get(Task, task_id) is task
        assert session.get(ProcessInstance, instance_id) is instance


def test_a_change_to_a_loaded_object_is_flushed_as_the_orms_own_would_be(deployed):
    instance_id, task_id = _an_instance_of_every_kind_of_value(deployed)
    token = deployed.tokens["manager1"]
    with deployed.db.sessions() as session:
        instances.authenticate_for_task(session, token, task_id)
        _, instance, _ = instances.load_task(session, task_id)
        instance.stage = "changed"
        history = inspect(instance).attrs.stage.history
        assert history.added == ["changed"] and history.deleted == [None]  # the loaded value, kept
        assert list(session.dirty) == [instance]
        session.commit()
    with deployed.db.sessions() as session:
        stored = session.get(ProcessInstance, instance_id)
        assert stored.stage == "changed"
        assert _columns(stored) | {"stage": None} == _columns(instance) | {"stage": None}


def test_an_object_the_session_holds_is_given_back_as_it_is(deployed):
    instance_id, task_id = _an_instance_of_every_kind_of_value(deployed)
    token = deployed.tokens["manager1"]
    with deployed.db.sessions() as session:
        held = session.get(ProcessInstance, instance_id)
        held.stage = "changed here, not yet flushed"
        row = direct.first(session.connection(), instances._CALLER_AND_TASK, _params(token, task_id))
        assert direct.loaded(session, ProcessInstance, row[instances._INSTANCE_AT : -1]) is held
        assert held.stage == "changed here, not yet flushed"  # as a query leaves an object it holds


def test_a_revoked_token_is_refused_and_holds_nothing(deployed):
    _, task_id = _an_instance_of_every_kind_of_value(deployed)
    token = deployed.tokens["manager1"]
    with deployed.db.sessions() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == auth._token_hash(token))
            .values(revoked_at=datetime.now(UTC))
        )
        session.commit()
    with deployed.db.sessions() as session:
        with pytest.raises(auth.Unauthorized):
            instances.authenticate_for_task(session, token, task_id)
        assert not session.info.get(instances._HELD_TASKS)


def test_a_row_of_the_wrong_length_is_refused(deployed):
    with deployed.db.sessions() as session, pytest.raises(ValueError):
        direct.loaded(session, Task, ("only", "two"))


def test_a_list_parameter_is_refused(deployed):
    statement = select(User.username).where(User.username.in_(["a", "b"]))
    with deployed.db.read_only.connect() as connection, pytest.raises(ValueError, match="list"):
        direct.first(connection, statement, {})


def test_a_session_is_accepted_for_the_token_check(deployed):
    token = deployed.tokens["manager1"]
    with Session(deployed.db.engine) as session:
        assert auth.authenticate(session, token).username == "manager1"
