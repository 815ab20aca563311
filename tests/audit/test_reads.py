"""Who may read the record, CSV history, bad seqs, and auditors' reads recorded in the chain."""

from __future__ import annotations

import csv
import io
import json

from tests.api.helpers import CALL_DATA, assert_chain, assert_problem, history
from tests.audit.support import start_callback


def _types(s, instance_id: str) -> list[str]:
    return [e["type"] for e in history(s, instance_id)]


def test_auditor_reads_are_recorded_in_the_chain(deployed):
    s = deployed
    walk = start_callback(s, "R1")
    before = history(s, walk.id)
    r = s.get(f"/process-instances/{walk.id}/history", "auditor1")
    items = r.get_json()["items"]
    assert items[:-1] == before
    read = items[-1]
    assert (read["type"], read["actor"], read["data"]) == ("record_read", "auditor1", {"what": "history"})
    assert read["seq"] == before[-1]["seq"] + 1

    replayed = s.get(f"/process-instances/{walk.id}/replay?seq=2", "auditor1").get_json()
    assert replayed["seq"] == 2
    diagram = s.get(f"/process-instances/{walk.id}/diagram", "auditor1").get_json()
    assert diagram["seq"] == read["seq"] + 1, "without ?seq: the last event before this read"
    events = history(s, walk.id)
    assert [(e["type"], e["actor"], e["data"]) for e in events[-3:]] == [
        ("record_read", "auditor1", {"what": "history"}),
        ("record_read", "auditor1", {"what": "replay", "seq": 2}),
        ("record_read", "auditor1", {"what": "diagram", "seq": read["seq"] + 1}),
    ]
    assert_chain(events)
    assert s.get(f"/process-instances/{walk.id}/history?format=csv", "auditor1").status_code == 200
    assert _types(s, walk.id)[-1] == "record_read"


def test_reads_by_other_roles_are_not_recorded(deployed):
    s = deployed
    walk = start_callback(s, "R2")
    count = len(history(s, walk.id))
    for path in ("history", "history?format=csv", "replay", "replay?seq=1", "diagram", "retention"):
        assert s.get(f"/process-instances/{walk.id}/{path}", "manager1").status_code == 200, path
    assert s.get(f"/process-instances/{walk.id}/retention", "auditor1").status_code == 200
    assert len(history(s, walk.id)) == count


def test_who_may_read(deployed):
    s = deployed
    walk = start_callback(s, "R3")
    for path in ("history", "replay", "diagram"):
        assert_problem(s.get(f"/process-instances/{walk.id}/{path}", "admin1"), 403)
        assert_problem(s.get(f"/process-instances/{walk.id}/{path}", "advocate1"), 404)
        assert_problem(s.get(f"/process-instances/{walk.id}/{path}", "commissioner1"), 404)
        assert_problem(s.client.get(f"/api/v1/process-instances/{walk.id}/{path}"), 401)
        assert_problem(
            s.get(f"/process-instances/00000000-0000-0000-0000-000000000000/{path}", "auditor1"), 404
        )
    assert "record_read" not in _types(s, walk.id)


def test_seq_out_of_range(deployed):
    s = deployed
    walk = start_callback(s, "R4")
    last = history(s, walk.id)[-1]["seq"]
    for path in ("replay", "diagram"):
        assert_problem(s.get(f"/process-instances/{walk.id}/{path}?seq={last + 1}", "auditor1"), 404)
        assert_problem(s.get(f"/process-instances/{walk.id}/{path}?seq=0", "manager1"), 422)
        assert_problem(s.get(f"/process-instances/{walk.id}/{path}?seq=x", "manager1"), 422)
    assert_problem(s.get(f"/process-instances/{walk.id}/history?format=xml", "manager1"), 422)
    assert "record_read" not in _types(s, walk.id), "a refused read reads nothing"


def test_history_as_csv(deployed):
    s = deployed
    walk = start_callback(s, "R5")
    walk.complete("call_back", {**CALL_DATA, "call_notes": 'said "yes", then\nrang off'})
    events = history(s, walk.id)
    r = s.get(f"/process-instances/{walk.id}/history?format=csv", "manager1")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert list(rows[0]) == [
        "seq",
        "at",
        "type",
        "actor",
        "activity_id",
        "task_id",
        "data",
        "prev_hash",
        "hash",
    ]
    assert len(rows) == len(events)
    for row, event in zip(rows, events, strict=True):
        assert int(row["seq"]) == event["seq"] and row["hash"] == event["hash"]
        assert row["actor"] == (event["actor"] or "") and row["task_id"] == (event["task_id"] or "")
        assert row["data"] == json.dumps(event["data"], sort_keys=True, separators=(",", ":"))


def test_openapi_documents_the_audit_schemas(service):
    spec = service.client.get("/api/v1/openapi.json").get_json()
    assert {"Replay", "Diagram", "Retention"} <= set(spec["components"]["schemas"])
    replay = spec["paths"]["/api/v1/process-instances/{instance_id}/replay"]["get"]
    assert any(p["name"] == "seq" for p in replay["parameters"])
    history = spec["paths"]["/api/v1/process-instances/{instance_id}/history"]["get"]
    assert {"text/csv", "application/json"} <= set(history["responses"]["200"]["content"])
