"""Authentication: bearer tokens on every endpoint but two, logins, lockout, expiry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.access import auth
from service.store.models import User
from tests.api.helpers import assert_problem, parse_time

PASSWORD = "correct-horse-battery"  # tests/conftest.py
SOME_ID = str(uuid.uuid4())
ENDPOINTS = [  # (method, path, a body of the right shape, so only the token decides)
    ("GET", "/process-definitions", None),
    ("POST", "/process-definitions", None),
    ("GET", "/process-definitions/example_callback", None),
    ("GET", "/process-definitions/example_callback/xml", None),
    ("POST", "/process-instances", {"process": "example_callback", "variables": {}}),
    ("GET", "/process-instances", None),
    ("GET", f"/process-instances/{SOME_ID}", None),
    ("POST", f"/process-instances/{SOME_ID}/cancel", {"reason_code": "duplicate", "reason": "x"}),
    ("GET", f"/process-instances/{SOME_ID}/history", None),
    ("GET", "/tasks", None),
    ("GET", f"/tasks/{SOME_ID}", None),
    ("POST", f"/tasks/{SOME_ID}/claim", None),
    ("POST", f"/tasks/{SOME_ID}/complete", {"data": {}}),
    ("GET", "/deadlines", None),
    ("POST", "/messages", {"name": "documents_received", "business_key": "B1"}),
    ("GET", f"/process-instances/{SOME_ID}/replay?seq=1", None),
    ("GET", f"/process-instances/{SOME_ID}/diagram", None),
    ("GET", "/slas", None),
    ("POST", "/slas", None),
    ("GET", "/slas/default", None),
    ("PUT", "/slas/default", None),
    ("GET", "/reports/quarterly?sla=default&quarter=2026Q1", None),
    ("GET", "/reports/commissioning", None),
]
BAD_HEADERS = [
    None,
    "Bearer",
    "Bearer ",
    "Basic YWRtaW4xOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==",
    "Bearer not-a-real-token",
    "Token abc",
]


def _call(s, method, path, authorization, body=None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return s.client.open(f"/api/v1{path}", method=method, headers=headers, json=body)


def _login(s, username, password):
    return s.client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_every_endpoint_needs_a_token(service):
    for method, path, body in ENDPOINTS:
        for authorization in BAD_HEADERS:
            r = _call(service, method, path, authorization, body)
            assert_problem(r, 401)
            assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), (path, authorization)


BAD_BODIES = [
    ("POST", "/process-instances", {}),
    ("POST", f"/process-instances/{SOME_ID}/cancel", {}),
    ("POST", f"/tasks/{SOME_ID}/complete", {"data": 5}),
    ("POST", "/messages", {}),
    ("GET", "/tasks?limit=0", None),
    ("GET", "/process-instances?status=nonsense", None),
]


def test_no_token_is_401_even_with_a_bad_body(service):
    """The token is checked before the body: an anonymous caller learns nothing of the schema."""
    for method, path, body in BAD_BODIES:
        problem = assert_problem(_call(service, method, path, None, body), 401)
        assert "errors" not in problem, path


def test_health_and_token_need_no_token(service):
    r = service.client.get("/api/v1/health")
    assert r.status_code == 200 and r.get_json()["status"] == "ok"
    assert _login(service, "auditor1", PASSWORD).status_code == 200


def test_login_good(service):
    r = _login(service, "commissioner1", PASSWORD)
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"token", "expires_at", "role"}
    assert body["role"] == "commissioner"
    left = parse_time(body["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=11) < left <= timedelta(hours=12, minutes=1)
    assert body["token"] not in service.tokens.values()
    r = service.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {body['token']}"})
    assert r.status_code == 200
    assert (
        service.client.get("/api/v1/tasks", headers={"Authorization": f"bearer {body['token']}"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [("manager1", "wrong-password"), ("nobody", PASSWORD), ("manager1", PASSWORD.upper())],
)
def test_login_bad(service, username, password):
    body = assert_problem(_login(service, username, password), 401)
    assert "token" not in body


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "manager1"},
        {"password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "manager1", "password": PASSWORD, "extra": 1},
    ],
)
def test_login_malformed_is_422(service, body):
    assert_problem(service.client.post("/api/v1/auth/token", json=body), 422)


def test_lockout_after_five_failures(service):
    for _ in range(4):
        assert_problem(_login(service, "advocate2", "nope-nope"), 401)
    assert _login(service, "advocate2", PASSWORD).status_code == 200, "four failures do not lock"
    for _ in range(5):
        assert_problem(_login(service, "advocate2", "nope-nope"), 401)
    body = assert_problem(_login(service, "advocate2", PASSWORD), 423)
    assert "lock" in body["detail"].lower()
    assert _login(service, "advocate1", PASSWORD).status_code == 200, "other accounts are not locked"


def _user(session, name):
    return session.scalars(select(User).where(User.username == name)).one()


def test_expired_token(service):
    token = service.db.run(lambda session: auth.issue_token(session, _user(session, "manager1"), -1)[0])
    r = service.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(r, 401)
    assert "expired" in body["detail"]


def test_revoked_token(service):
    token = service.db.run(lambda session: auth.issue_token(session, _user(session, "manager1"), 1)[0])
    assert (
        service.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    service.db.run(auth.revoke, token)
    assert_problem(service.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}), 401)


def test_inactive_user_token(service):
    def deactivate(session):
        _user(session, "advocate1").active = False

    service.db.run(deactivate)
    assert_problem(service.get("/tasks", "advocate1"), 401)
    assert_problem(_login(service, "advocate1", PASSWORD), 401)
