"""Drive the processes of bpmn/ over HTTP (the Flask test client, the real engine), at a clock of the test's.

The API's clock (``service.cases.instances.utcnow``) is pinned to ``Flow.now``; ``advance`` plays the
deadline scheduler, firing each pending deadline due by then, in due order, at its due time.  Every
read and write goes through ``/api/v1`` with DOMAIN.md's field names; nothing here reads the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.base.config import ROOT
from service.cases import instances as use_cases
from tests.api.helpers import assert_problem, fire, parse_time

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


class Flow:
    def __init__(
        self, service: Any, monkeypatch: Any, *processes: str, reader: str = "manager1", now: datetime = T0
    ) -> None:
        self.s = service
        self.now = now
        self.reader = reader  # who reads histories (not the auditor: an auditor's read is itself recorded)
        monkeypatch.setattr(use_cases, "utcnow", lambda: self.now)
        paths = [ROOT / "bpmn" / f"{p}.bpmn" for p in processes]
        response = service.deploy(paths)
        assert response.status_code == 201, response.get_json()

    def start(self, process: str, variables: dict, user: str, business_key: str | None = None) -> dict:
        body: dict[str, Any] = {"process": process, "variables": variables}
        if business_key is not None:
            body["business_key"] = business_key
        r = self.s.post("/process-instances", user, body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def instance(self, iid: str, user: str = "manager1") -> dict:
        r = self.s.get(f"/process-instances/{iid}", user)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def open_ids(self, iid: str, user: str = "manager1") -> list[str]:
        return sorted(t["activity_id"] for t in self.instance(iid, user)["active_tasks"])

    def task_id(self, iid: str, activity: str, user: str) -> str:
        found = [t["id"] for t in self.instance(iid, user)["active_tasks"] if t["activity_id"] == activity]
        assert len(found) == 1, (activity, self.open_ids(iid, user))
        return found[0]

    def complete(self, iid: str, activity: str, data: dict, user: str) -> dict:
        r = self.s.post(f"/tasks/{self.task_id(iid, activity, user)}/complete", user, {"data": data})
        assert r.status_code == 200, (activity, r.get_json())
        return r.get_json()

    def refused(self, iid: str, activity: str, data: dict, user: str) -> dict[str, list[str]]:
        """A 422 naming the fields at fault; the stored instance and its history are unchanged."""
        before = (self.instance(iid, user), self.history(iid))
        r = self.s.post(f"/tasks/{self.task_id(iid, activity, user)}/complete", user, {"data": data})
        body = assert_problem(r, 422)
        assert (self.instance(iid, user), self.history(iid)) == before
        return body.get("errors") or {}

    def history(self, iid: str) -> list[dict]:
        r = self.s.get(f"/process-instances/{iid}/history", self.reader)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    def deadlines(self, iid: str) -> list[dict]:
        r = self.s.get(f"/deadlines?instance={iid}&status=pending", "auditor1")
        assert r.status_code == 200, r.get_json()
        return sorted(r.get_json()["items"], key=lambda d: (d["due_at"], d["id"]))

    def advance(self, to: datetime, iid: str | None = None) -> None:
        """Fire every pending deadline (of ``iid``, or of every instance) due by ``to``, in due order."""
        while True:
            query = f"/deadlines?status=pending&limit=500{'&instance=' + iid if iid else ''}"
            items = self.s.get(query, "auditor1").get_json()["items"]
            due = sorted((parse_time(d["due_at"]), d["id"]) for d in items if parse_time(d["due_at"]) <= to)
            if not due:
                break
            moment, deadline = due[0]
            self.now = max(self.now, moment)
            assert fire(self.s, deadline, self.now) is True
        self.now = max(self.now, to)

    def ended(self, iid: str, end_state: str, user: str = "manager1") -> dict:
        state = self.instance(iid, user)
        assert (state["status"], state["end_state"]) == ("completed", end_state), state
        assert state["active_tasks"] == [] and self.deadlines(iid) == []
        return state

    def instances_of(self, process: str, user: str = "manager1") -> list[dict]:
        r = self.s.get(f"/process-instances?process={process}&limit=100", user)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]
