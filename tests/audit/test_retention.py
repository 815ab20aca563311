"""Retention: removal times, the cleanup (only what is due, with tasks, deadlines and history),
its chained log, the append-only retention log, and the migrated schema matching the models."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

import service.store.audit_models  # noqa: F401  (registers the audit tables on Base.metadata)
from service.cases import retention
from service.store.models import Base
from tests.api.helpers import CALL_DATA, parse_time
from tests.audit.support import cli, sql, start_callback

COUNTS = {
    "history_events": "SELECT count(*) FROM history_events WHERE instance_id = :i",
    "tasks": "SELECT count(*) FROM tasks WHERE instance_id = :i",
    "deadlines": "SELECT count(*) FROM deadlines WHERE instance_id = :i",
    "process_instances": "SELECT count(*) FROM process_instances WHERE id = :i",
}


def _counts(url: str, instance_id: str) -> dict[str, int]:
    return {table: sql(url, query, params={"i": instance_id})[0][0] for table, query in COUNTS.items()}


def _ended(url: str, instance_id: str, days_ago: int) -> datetime:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    value = moment if url.startswith("postgresql") else moment.replace(tzinfo=None)
    sql(
        url, "UPDATE process_instances SET ended_at = :t WHERE id = :i", params={"t": value, "i": instance_id}
    )
    return moment


def _finished(s, key: str) -> str:
    walk = start_callback(s, key)
    walk.complete("call_back", CALL_DATA)
    return walk.id


def test_removal_time(deployed, monkeypatch):
    s = deployed
    done = _finished(s, "RT1")
    running = start_callback(s, "RT2")
    body = s.get(f"/process-instances/{done}/retention", "auditor1").get_json()
    assert body["retention_days"] == 2190
    assert parse_time(body["removal_at"]) - parse_time(body["ended_at"]) == timedelta(days=2190)
    monkeypatch.setenv("ADVOCACY_FLOW_RETENTION_DAYS", "30")
    body = s.get(f"/process-instances/{done}/retention", "manager1").get_json()
    assert parse_time(body["removal_at"]) - parse_time(body["ended_at"]) == timedelta(days=30)
    body = s.get(f"/process-instances/{running.id}/retention", "manager1").get_json()
    assert body["removal_at"] is None and body["status"] == "running"


def test_cleanup_removes_only_what_is_due_and_logs_it_chained(deployed, database_url):
    s = deployed
    old = _finished(s, "OLD")
    old_cancelled = start_callback(s, "OLDC")
    old_cancelled.cancel()
    recent = _finished(s, "NEW")
    running = start_callback(s, "RUN")
    old_ended = _ended(database_url, old, 100)
    _ended(database_url, old_cancelled.id, 40)
    _ended(database_url, recent, 10)
    _ended(database_url, running.id, 400)  # not finished: never removed, whatever the date says
    kept = {i: _counts(database_url, i) for i in (recent, running.id)}
    old_events = _counts(database_url, old)["history_events"]

    entry = s.db.run(retention.cleanup, None, 30)
    assert entry["seq"] == 1 and entry["prev_hash"] == "0" * 64
    data = entry["data"]
    assert data["count"] == 2 and data["instance_ids"] == [old, old_cancelled.id]
    assert data["events_removed"] == old_events + 4
    assert parse_time(data["range"]["ended_until"]) < datetime.now(UTC) - timedelta(days=39)
    assert data["instances"][0]["ended_at"] == old_ended.isoformat(timespec="microseconds")
    assert {i["status"] for i in data["instances"]} == {"completed", "cancelled"}
    for gone in (old, old_cancelled.id):
        assert set(_counts(database_url, gone).values()) == {0}
    assert {i: _counts(database_url, i) for i in kept} == kept
    assert s.db.run(retention.cleanup, None, 30) is None
    assert sql(database_url, "SELECT count(*) FROM retention_unlock")[0][0] == 0

    second = s.db.run(retention.cleanup, datetime.now(UTC) + timedelta(days=30), 30)
    assert second["data"]["instance_ids"] == [recent]
    assert second["seq"] == 2 and second["prev_hash"] == entry["hash"]
    log = s.db.read(retention.retention_log)
    assert [e["hash"] for e in log] == [entry["hash"], second["hash"]]
    assert log[0]["data"] == json.loads(json.dumps(data))

    verified = cli(database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with pytest.raises(DBAPIError, match="append-only"):
        sql(database_url, "DELETE FROM history_events WHERE instance_id = :i", params={"i": running.id})


def test_retention_log_is_append_only_and_verified(deployed, database_url):
    s = deployed
    done = _finished(s, "LOG")
    _ended(database_url, done, 50)
    s.db.run(retention.cleanup, None, 30)
    for statement in ("UPDATE retention_log SET data = '{}'", "DELETE FROM retention_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            sql(database_url, statement)
    if database_url.startswith("postgresql"):
        sql(database_url, "ALTER TABLE retention_log DISABLE TRIGGER ALL")
        try:
            sql(
                database_url, "UPDATE retention_log SET data = replace(data, 'events_removed', 'events_gone')"
            )
        finally:
            sql(database_url, "ALTER TABLE retention_log ENABLE TRIGGER ALL")
    else:
        sql(
            database_url,
            "DROP TRIGGER retention_log_no_update",
            "UPDATE retention_log SET data = replace(data, 'events_removed', 'events_gone')",
        )
    result = cli(database_url, "audit", "verify")
    assert result.returncode == 1 and "BROKEN retention log seq 1:" in result.stdout


def test_cleanup_command(deployed, database_url):
    s = deployed
    due, not_due = _finished(s, "C1"), _finished(s, "C2")
    _ended(database_url, due, 8)
    _ended(database_url, not_due, 3)
    result = cli(database_url, "audit", "cleanup", env={"ADVOCACY_FLOW_RETENTION_DAYS": "5"})
    assert result.returncode == 0, result.stderr
    assert "removed 1 instance(s)" in result.stdout and due in result.stdout and not_due not in result.stdout
    result = cli(database_url, "audit", "cleanup", "--older-than-days", "2")
    assert "removed 1 instance(s)" in result.stdout and not_due in result.stdout
    assert cli(database_url, "audit", "cleanup").stdout.strip() == "nothing to remove"


def test_migrated_schema_matches_the_models(service, database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
