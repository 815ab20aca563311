"""Helpers for the audit tests: drive instances and keep what the live instance said after each step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from service.base.config import ROOT
from tests.api.helpers import CALL_DATA, deploy_xml, fire, history, instance, linear, parse_time, script_task
from tests.api.helpers import user_task as user_task_xml

TERMINAL = {"instance_completed": "completed", "instance_cancelled": "cancelled", "instance_error": "error"}


class Walk:
    """One instance driven through the API; ``checkpoints`` maps a seq to the live instance just after it."""

    def __init__(self, s, inst: dict[str, Any]):
        self.s = s
        self.id = inst["id"]
        self.checkpoints: dict[int, dict[str, Any]] = {}
        self.mark()

    def mark(self) -> dict[str, Any]:
        live = instance(self.s, self.id)
        self.checkpoints[history(self.s, self.id)[-1]["seq"]] = live
        return live

    def task(self, activity_id: str) -> dict[str, Any]:
        [task] = [t for t in instance(self.s, self.id)["active_tasks"] if t["activity_id"] == activity_id]
        return task

    def claim(self, activity_id: str, user: str = "manager1") -> None:
        assert self.s.post(f"/tasks/{self.task(activity_id)['id']}/claim", user).status_code == 200
        self.mark()

    def complete(self, activity_id: str, data: dict[str, Any], user: str = "manager1") -> None:
        r = self.s.post(f"/tasks/{self.task(activity_id)['id']}/complete", user, {"data": data})
        assert r.status_code == 200, r.get_json()
        self.mark()

    def fire(self, activity_id: str) -> None:
        [deadline] = [d for d in instance(self.s, self.id)["deadlines"] if d["activity_id"] == activity_id]
        assert fire(self.s, deadline["id"], parse_time(deadline["due_at"]) + timedelta(seconds=1))
        self.mark()

    def message(self, business_key: str, payload: dict[str, Any]) -> None:
        body = {"name": "documents_received", "business_key": business_key, "payload": payload}
        assert self.s.post("/messages", "manager2", body).status_code == 202
        self.mark()

    def cancel(self, reason: str = "withdrawn") -> None:
        r = self.s.post(
            f"/process-instances/{self.id}/cancel", "manager1", {"reason_code": "duplicate", "reason": reason}
        )
        assert r.status_code == 200, r.get_json()
        self.mark()

    def audit_read(self) -> None:
        assert self.s.get(f"/process-instances/{self.id}/history", "auditor1").status_code == 200
        self.mark()


def start_callback(s, business_key: str, priority: str = "normal") -> Walk:
    body = {
        "process": "example_callback",
        "business_key": business_key,
        "variables": {"caller_ref": "ABC-1", "priority": priority},
    }
    r = s.post("/process-instances", "manager1", body)
    assert r.status_code == 201, r.get_json()
    return Walk(s, r.get_json())


def start_failing(s) -> Walk:
    xml = linear(
        "failing_audit",
        user_task_xml("enter", "Enter the numbers"),
        script_task("divide", "ratio = total / divisor"),
        user_task_xml("after", "Look"),
    )
    assert deploy_xml(s, xml).status_code == 201
    r = s.post("/process-instances", "manager1", {"process": "failing_audit", "variables": {"a": 1}})
    assert r.status_code == 201, r.get_json()
    return Walk(s, r.get_json())


def every_kind_of_walk(s) -> list[Walk]:
    """Instances that between them produce every event type the example and an error diagram can."""
    documents = start_callback(s, "DOCS")
    documents.claim("call_back")
    documents.audit_read()
    documents.complete("call_back", {**CALL_DATA, "documents_needed": True})
    documents.message("DOCS", {"pages": 3, "note": "caf\u00e9"})

    direct = start_callback(s, "DIRECT", priority="high")
    direct.complete("call_back", CALL_DATA)

    late = start_callback(s, "LATE")
    late.fire("call_back_overdue")
    late.complete("chase_call_back", {"overdue_reason": "phone off", "chase_action": "unreachable"})
    late.complete("call_back", CALL_DATA)

    cancelled = start_callback(s, "CANCEL")
    cancelled.fire("call_back_overdue")
    cancelled.cancel()

    failing = start_failing(s)
    failing.complete("enter", {"total": 10, "divisor": 0})
    failing.audit_read()
    failing.cancel("bad diagram")
    return [documents, direct, late, cancelled, failing]


# -- the database and the command line ------------------------------------------------------------


def sql(url: str, *statements: str, params: dict[str, Any] | None = None) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = None
            for statement in statements:
                result = conn.execute(text(statement), params or {})
            return list(result) if result is not None and result.returns_rows else []
    finally:
        engine.dispose()


def cli(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ADVOCACY_FLOW_DATABASE_URL": url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=180,
    )


def docs_script(tmp_path: Path) -> Path:
    """The offline verification script exactly as docs/AUDIT.md prints it."""
    doc = (ROOT / "docs" / "AUDIT.md").read_text("utf-8")
    [code] = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    path = tmp_path / "verify_history.py"
    path.write_text(code, "utf-8")
    return path
