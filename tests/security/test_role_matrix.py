"""Every endpoint of the API x every role -> the exact status (DOMAIN.md's roles table).

The endpoints are read from the application's url_map: an endpoint added
without a row here fails ``test_every_endpoint_has_a_row``.  Each row is run
on fresh data: an example instance started by a manager (so the
commissioner and the advocates may not know it exists: 404), its open task,
and for messages an instance waiting for one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from service.access import auth
from service.access.permissions import route_key
from service.store.models import User
from tests.security.sec_helpers import CALL_DATA, EXAMPLE_XML, PASSWORD, problem, start_ok

USERS = ("admin1", "commissioner1", "manager1", "advocate1", "auditor1", None)  # None: no token


def statuses(admin, commissioner, manager, advocate, auditor, anonymous=401) -> dict[str | None, int]:
    return dict(zip(USERS, (admin, commissioner, manager, advocate, auditor, anonymous), strict=True))


def everyone(status: int, anonymous: int = 401) -> dict[str | None, int]:
    return statuses(status, status, status, status, status, anonymous)


@dataclass
class Ctx:
    """Fresh data for one call."""

    s: Any
    user: str | None
    _instance: dict | None = field(default=None, init=False)

    @property
    def instance(self) -> dict:
        if self._instance is None:
            self._instance = start_ok(self.s, business_key=f"BK-{uuid.uuid4().hex[:8]}")
        return self._instance

    @property
    def task_id(self) -> str:
        return self.instance["active_tasks"][0]["id"]

    def waiting_key(self) -> str:
        done = self.s.post(
            f"/tasks/{self.task_id}/complete", "manager1", {"data": {**CALL_DATA, "documents_needed": True}}
        )
        assert done.status_code == 200 and done.get_json()["status"] == "waiting", done.get_json()
        return self.instance["business_key"]

    def fresh_token(self) -> str:
        def issue(session):
            user = session.scalars(select(User).where(User.username == self.user)).one()
            return auth.issue_token(session, user, 1)[0]

        return self.s.db.run(issue)


Call = Callable[[Ctx], dict[str, Any]]
SLA = {"provider": "P", "commissioner": "C", "targets": {"first_contact": "P2D"}}

# (method, path) -> (the request, the status for each role)
ROWS: dict[tuple[str, str], tuple[Call, dict[str | None, int]]] = {
    ("GET", "/health"): (lambda c: {"path": "/health"}, everyone(200, anonymous=200)),
    ("GET", "/openapi.json"): (lambda c: {"path": "/openapi.json"}, everyone(200, anonymous=200)),
    ("POST", "/auth/token"): (
        lambda c: {"path": "/auth/token", "json": {"username": c.user or "manager1", "password": PASSWORD}},
        everyone(200, anonymous=200),
    ),
    ("POST", "/auth/revoke"): (lambda c: {"path": "/auth/revoke", "fresh_token": True}, everyone(204)),
    ("GET", "/users"): (lambda c: {"path": "/users"}, statuses(200, 403, 403, 403, 403)),
    ("POST", "/users"): (
        lambda c: {
            "path": "/users",
            "json": {"username": f"new-{c.user}", "role": "advocate", "password": "a-long-password"},
        },
        statuses(201, 403, 403, 403, 403),
    ),
    ("PATCH", "/users/*"): (
        lambda c: {"path": "/users/advocate2", "json": {"language": "cy", "languages": ["en", "cy"]}},
        statuses(200, 403, 403, 403, 403),
    ),
    ("POST", "/users/*/deactivate"): (
        lambda c: {"path": "/users/advocate2/deactivate"},
        statuses(200, 403, 403, 403, 403),
    ),
    ("GET", "/process-definitions"): (lambda c: {"path": "/process-definitions"}, everyone(200)),
    ("POST", "/process-definitions"): (
        lambda c: {"path": "/process-definitions", "data": EXAMPLE_XML, "content_type": "application/xml"},
        statuses(201, 403, 403, 403, 403),  # 201: the fixture deployed it with its forms
    ),
    ("GET", "/process-definitions/*"): (
        lambda c: {"path": "/process-definitions/example_callback"},
        everyone(200),
    ),
    ("GET", "/process-definitions/*/xml"): (
        lambda c: {"path": "/process-definitions/example_callback/xml"},
        everyone(200),
    ),
    ("GET", "/process-definitions/*/heatmap"): (
        lambda c: {"path": "/process-definitions/example_callback/heatmap"},
        statuses(403, 200, 200, 403, 200),
    ),
    ("POST", "/process-instances"): (
        lambda c: {
            "path": "/process-instances",
            "json": {
                "process": "example_callback",
                "variables": {"caller_ref": "XYZ-1", "priority": "normal"},
            },
        },
        statuses(403, 403, 201, 403, 403),
    ),
    ("GET", "/process-instances"): (lambda c: {"path": "/process-instances"}, everyone(200)),
    ("GET", "/process-instances/*"): (
        lambda c: {"path": f"/process-instances/{c.instance['id']}"},
        statuses(200, 404, 200, 404, 200),
    ),
    ("POST", "/process-instances/*/cancel"): (
        lambda c: {
            "path": f"/process-instances/{c.instance['id']}/cancel",
            "json": {"reason_code": "duplicate", "reason": "test"},
        },
        statuses(200, 404, 200, 404, 403),
    ),
    ("GET", "/process-instances/*/history"): (
        lambda c: {"path": f"/process-instances/{c.instance['id']}/history"},
        statuses(403, 404, 200, 404, 200),
    ),
    ("GET", "/process-instances/*/replay"): (
        lambda c: {"path": f"/process-instances/{c.instance['id']}/replay?seq=1"},
        statuses(403, 404, 200, 404, 200),
    ),
    ("GET", "/process-instances/*/diagram"): (
        lambda c: {"path": f"/process-instances/{c.instance['id']}/diagram"},
        statuses(403, 404, 200, 404, 200),
    ),
    ("GET", "/process-instances/*/retention"): (
        lambda c: {"path": f"/process-instances/{c.instance['id']}/retention"},
        statuses(200, 404, 200, 404, 200),
    ),
    ("GET", "/tasks"): (lambda c: {"path": "/tasks"}, everyone(200)),
    ("GET", "/tasks/*"): (lambda c: {"path": f"/tasks/{c.task_id}"}, statuses(404, 404, 200, 404, 200)),
    ("POST", "/tasks/*/claim"): (
        lambda c: {"path": f"/tasks/{c.task_id}/claim"},
        statuses(404, 404, 200, 404, 403),
    ),
    ("POST", "/tasks/*/complete"): (
        lambda c: {"path": f"/tasks/{c.task_id}/complete", "json": {"data": CALL_DATA}},
        statuses(404, 404, 200, 404, 403),
    ),
    ("POST", "/tasks/*/assign"): (  # reassignment is the manager's alone (API.md second edition)
        lambda c: {"path": f"/tasks/{c.task_id}/assign", "json": {"assignee": "manager2"}},
        statuses(403, 403, 200, 403, 403),
    ),
    ("GET", "/deadlines"): (lambda c: {"path": "/deadlines"}, everyone(200)),
    ("GET", "/notifications"): (lambda c: {"path": "/notifications"}, everyone(200)),
    # nobody's own: not found for every role (another person's is tested in test_reminders.py)
    ("POST", "/notifications/*/read"): (lambda c: {"path": "/notifications/999999/read"}, everyone(404)),
    ("POST", "/messages"): (
        lambda c: {
            "path": "/messages",
            "json": {"name": "documents_received", "business_key": c.waiting_key(), "payload": {}},
        },
        # the waiting case is a manager's: to a commissioner or an advocate it does not exist
        statuses(403, 404, 202, 404, 403),
    ),
    ("GET", "/slas"): (lambda c: {"path": "/slas"}, everyone(200)),
    ("POST", "/slas"): (
        lambda c: {"path": "/slas", "json": {"key": f"sla-{c.user}", **SLA}},
        statuses(403, 201, 403, 403, 403),
    ),
    ("GET", "/slas/*"): (lambda c: {"path": "/slas/default"}, everyone(200)),
    ("PUT", "/slas/*"): (lambda c: {"path": "/slas/default", "json": SLA}, statuses(403, 200, 403, 403, 403)),
    ("POST", "/migrations"): (  # a dry run: nothing moves, whoever calls
        lambda c: {
            "path": "/migrations",
            "json": {"process": "example_callback", "to_version": 1, "dry_run": True},
        },
        statuses(200, 403, 403, 403, 403),
    ),
    ("GET", "/reports/quarterly"): (
        lambda c: {"path": "/reports/quarterly?sla=default&quarter=2026Q1"},
        statuses(403, 200, 200, 403, 200),
    ),
    ("GET", "/reports/commissioning"): (
        lambda c: {"path": "/reports/commissioning"},
        statuses(403, 200, 403, 403, 200),
    ),
    ("GET", "/reports/supervision"): (
        lambda c: {"path": "/reports/supervision"},
        statuses(403, 200, 200, 403, 403),
    ),
}


def _served(app) -> set[tuple[str, str]]:
    return {
        route_key(method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_endpoint_has_a_row(service):
    served = _served(service.app)
    missing = sorted(served - set(ROWS))
    assert not missing, f"endpoints without a row in the role matrix: {missing}"
    assert ("POST", "/users/*/deactivate") in served and ("POST", "/auth/revoke") in served


def _call(c: Ctx, method: str, spec: dict[str, Any]):
    headers = {}
    if c.user is not None:
        token = c.fresh_token() if spec.get("fresh_token") else c.s.tokens[c.user]
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"headers": headers}
    if "json" in spec:
        kwargs["json"] = spec["json"]
    if "data" in spec:
        kwargs["data"], kwargs["content_type"] = spec["data"], spec["content_type"]
    return c.s.client.open(f"/api/v1{spec['path']}", method=method, **kwargs)


@pytest.mark.parametrize("key", sorted(ROWS), ids=lambda k: f"{k[0]} {k[1]}" if isinstance(k, tuple) else k)
def test_role_matrix(deployed, key):
    method, _ = key
    if key not in _served(deployed.app):
        pytest.skip(f"{method} {key[1]} is not served (yet)")
    call, expected = ROWS[key]
    got = {}
    for user in USERS:
        c = Ctx(deployed, user)
        spec = call(c)
        response = _call(c, method, spec)
        got[user] = response.status_code
        if response.status_code >= 400:
            problem(response, response.status_code)
    assert got == expected


def test_revoke_ends_only_that_token(service):
    other = Ctx(service, "manager1").fresh_token()
    r = service.client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 204 and r.get_data() == b""
    problem(service.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {other}"}), 401)
    problem(service.client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {other}"}), 401)
    assert service.get("/tasks", "manager1").status_code == 200, "the user's other tokens still work"


def test_auditor_is_refused_every_write_even_with_a_bad_body(deployed):
    """The role gate runs before the body is read: 403, never a 422 that would describe the schema."""
    writes = sorted(k for k in _served(deployed.app) if k[0] in ("POST", "PUT", "PATCH", "DELETE"))
    # marking one's own notification read is the caller's own, as a log-out is
    public_or_own = {("POST", "/auth/token"), ("POST", "/auth/revoke"), ("POST", "/notifications/*/read")}
    checked = []
    for method, path in writes:
        if (method, path) in public_or_own:
            continue
        url = "/api/v1" + path.replace("*", str(uuid.uuid4()))
        r = deployed.client.open(
            url, method=method, json={"nonsense": 1}, headers=deployed.headers("auditor1")
        )
        body = problem(r, 403)
        assert "errors" not in body
        checked.append(path)
    assert "/process-instances" in checked and "/tasks/*/complete" in checked and "/messages" in checked
