"""The database refuses edits to the history; `audit verify` finds rows altered, removed or reordered
by someone who got past that; exports verify offline with the script in docs/AUDIT.md."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager

import pytest
from sqlalchemy.exc import DBAPIError

from tests.api.helpers import CALL_DATA, history
from tests.audit.support import cli, docs_script, sql, start_callback

ROW = "SELECT data, hash, seq FROM history_events WHERE instance_id = :i AND seq = :seq"


def _two_instances(s):
    first = start_callback(s, "V1")
    first.complete("call_back", {**CALL_DATA, "documents_needed": True})
    second = start_callback(s, "V2")
    second.complete("call_back", CALL_DATA)
    return first, second


@contextmanager
def _attacker(url: str):
    """Direct database access with the append-only triggers out of the way."""
    if url.startswith("postgresql"):
        sql(url, "ALTER TABLE history_events DISABLE TRIGGER ALL")
        try:
            yield
        finally:
            sql(url, "ALTER TABLE history_events ENABLE TRIGGER ALL")
    else:
        sql(url, "DROP TRIGGER history_events_no_update", "DROP TRIGGER history_events_no_delete")
        yield


def test_triggers_refuse_update_and_delete(deployed, database_url):
    walk = start_callback(deployed, "TR")
    params = {"i": walk.id, "seq": 1}
    before = sql(database_url, ROW, params=params)
    for statement in (
        "UPDATE history_events SET data = '{}' WHERE instance_id = :i AND seq = :seq",
        "UPDATE history_events SET seq = 99 WHERE instance_id = :i AND seq = :seq",
        "DELETE FROM history_events WHERE instance_id = :i AND seq = :seq",
        "DELETE FROM history_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            sql(database_url, statement, params=params)
    assert sql(database_url, ROW, params=params) == before
    assert len(history(deployed, walk.id)) == 2
    with pytest.raises(DBAPIError, match="ck_retention_unlock_one_row"):  # one row at most, id 1
        sql(database_url, "INSERT INTO retention_unlock (id, at) VALUES (2, 'x')")


def test_verify_passes_an_untouched_database(deployed, database_url):
    _two_instances(deployed)
    result = cli(database_url, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 2 instance(s), 7 event(s)" in result.stdout


@pytest.mark.parametrize("tamper", ["update", "delete", "swap", "truncate_end"])
def test_verify_names_instance_and_seq_of_first_broken_link(deployed, database_url, tamper):
    second, first = _two_instances(deployed)  # tamper with the one that completed: 4 events
    params = {"i": first.id}
    with _attacker(database_url):
        if tamper == "update":
            sql(
                database_url,
                "UPDATE history_events SET data = replace(data, 'rang back', 'never rang') "
                "WHERE instance_id = :i AND seq = 3",
                params=params,
            )
            broken = 3
        elif tamper == "delete":
            sql(database_url, "DELETE FROM history_events WHERE instance_id = :i AND seq = 2", params=params)
            broken = 2
        elif tamper == "swap":
            sql(
                database_url,
                "UPDATE history_events SET seq = -1 WHERE instance_id = :i AND seq = 2",
                "UPDATE history_events SET seq = 2 WHERE instance_id = :i AND seq = 3",
                "UPDATE history_events SET seq = 3 WHERE instance_id = :i AND seq = -1",
                params=params,
            )
            broken = 2
        else:
            sql(database_url, "DELETE FROM history_events WHERE instance_id = :i AND seq = 4", params=params)
            broken = 4
    assert sql(database_url, "SELECT count(*) FROM history_events WHERE instance_id = :i", params=params)[0][
        0
    ] == (3 if tamper in ("delete", "truncate_end") else 4)
    result = cli(database_url, "audit", "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"BROKEN instance {first.id} seq {broken}:" in result.stdout
    assert second.id not in result.stdout
    one = cli(database_url, "audit", "verify", "--instance", second.id)
    assert one.returncode == 0, one.stdout + one.stderr
    assert cli(database_url, "audit", "verify", "--instance", first.id).returncode == 1


def test_export_verifies_offline(deployed, database_url, tmp_path):
    walk = start_callback(deployed, "EX")
    walk.claim("call_back")
    walk.complete("call_back", {**CALL_DATA, "call_notes": 'caf\u00e9 "quoted", comma'})
    walk.audit_read()
    script = docs_script(tmp_path)
    events = history(deployed, walk.id)
    for fmt in ("json", "csv"):
        result = cli(database_url, "audit", "export", "--instance", walk.id, "--format", fmt)
        assert result.returncode == 0, result.stderr
        exported = tmp_path / f"history.{fmt}"
        exported.write_text(result.stdout, "utf-8")
        if fmt == "json":
            body = json.loads(result.stdout)
            assert body["instance_id"] == walk.id and body["items"] == events
        ok = subprocess.run([sys.executable, str(script), str(exported)], capture_output=True, text=True)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert f"OK: {len(events)} events" in ok.stdout
        changed = exported.read_text("utf-8").replace("manager1", "manager2", 1)
        exported.write_text(changed, "utf-8")
        bad = subprocess.run([sys.executable, str(script), str(exported)], capture_output=True, text=True)
        assert bad.returncode == 1 and "BROKEN at seq" in bad.stdout
    api = deployed.get(f"/process-instances/{walk.id}/history?format=csv", "manager1")
    (tmp_path / "api.csv").write_bytes(api.get_data())
    ok = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "api.csv")], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout
    assert cli(database_url, "audit", "export", "--instance", "nope").returncode == 1
