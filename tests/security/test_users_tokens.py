"""Logins that do not tell who exists, locked accounts, token revocation, admin user management."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from service.access import auth
from service.store.models import ApiToken, User
from tests.security.sec_helpers import PASSWORD, problem


@pytest.fixture
def delays(monkeypatch) -> list[float]:
    """The slow-down waits, recorded instead of slept; and a clean slate of failed attempts."""
    waited: list[float] = []
    monkeypatch.setattr(auth, "_sleep", waited.append)
    monkeypatch.setattr(auth, "attempts", auth._Attempts())
    return waited


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = auth._verify

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "_verify", counting)
    return calls


def _login(s, username, password):
    return s.client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_failures_slow_down_then_lock(service, delays):
    for _ in range(auth.MAX_FAILURES):
        problem(_login(service, "advocate2", "wrong-password"), 401)
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0]
    right = problem(_login(service, "advocate2", PASSWORD), 423)
    wrong = problem(_login(service, "advocate2", "wrong-password"), 423)
    assert right == wrong, "a locked account answers the same whether or not the password is right"
    assert "token" not in right
    assert delays[5:] == [1.0, 1.0]
    assert _login(service, "advocate1", PASSWORD).status_code == 200, "only that account is locked"


def test_unknown_names_cost_the_same_and_lock_alike(service, delays, verifications):
    """Per attempt one Argon2 verification and the same waits, known name or not; both end locked."""
    answers = {}
    for name in ("manager2", f"ghost-{uuid.uuid4().hex[:6]}"):
        verifications.clear()
        start = len(delays)
        statuses = [_login(service, name, "wrong-password").status_code for _ in range(auth.MAX_FAILURES + 1)]
        answers[name.split("-")[0]] = (statuses, delays[start:], len(verifications))
        body = problem(_login(service, name, PASSWORD), 423)
        assert body["detail"] == auth._LOCKED
    assert answers["manager2"] == answers["ghost"]
    assert answers["ghost"] == ([401] * 5 + [423], [0.1, 0.2, 0.4, 0.8, 1.0, 1.0], 6)


def test_inactive_user_answers_like_an_unknown_one(service, delays):
    deactivated = service.post("/users/advocate1/deactivate", "admin1")
    assert deactivated.status_code == 200 and deactivated.get_json()["active"] is False
    assert problem(_login(service, "advocate1", PASSWORD), 401) == problem(
        _login(service, "nobody-x", PASSWORD), 401
    )


def test_tokens_are_stored_hashed(service):
    r = _login(service, "auditor1", PASSWORD)
    token = r.get_json()["token"]
    hashes = service.db.read(lambda session: list(session.scalars(select(ApiToken.token_hash))))
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes


def test_revoke_own_token(service):
    token = _login(service, "advocate1", PASSWORD).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert service.client.get("/api/v1/tasks", headers=headers).status_code == 200
    r = service.client.post("/api/v1/auth/revoke", headers=headers)
    assert r.status_code == 204
    assert (
        "expired or was revoked"
        in problem(service.client.get("/api/v1/tasks", headers=headers), 401)["detail"]
    )
    problem(service.client.post("/api/v1/auth/revoke"), 401)


def test_admin_creates_users(service):
    r = service.post(
        "/users", "admin1", {"username": "ann.lee", "role": "advocate", "password": "a-long-password"}
    )
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert set(created) == {
        "username",
        "role",
        "active",
        "created_at",
        "locked_until",
        "language",
        "languages",
    }
    assert (created["username"], created["role"], created["active"]) == ("ann.lee", "advocate", True)
    login = _login(service, "ann.lee", "a-long-password")
    assert login.status_code == 200 and login.get_json()["role"] == "advocate"

    generated = service.post("/users", "admin1", {"username": "bob", "role": "manager"}).get_json()
    assert len(generated["password"]) >= 12
    assert _login(service, "bob", generated["password"]).status_code == 200
    stored = service.db.read(
        lambda s: s.scalars(select(User.password_hash).where(User.username == "bob")).one()
    )
    assert stored.startswith("$argon2") and generated["password"] not in stored

    listed = service.get("/users?role=advocate", "admin1").get_json()
    assert [u["username"] for u in listed["items"]] == ["advocate1", "advocate2", "ann.lee"]
    assert listed["total"] == 3
    assert "$argon2" not in service.get("/users?limit=500", "admin1").get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"username": "manager1", "role": "manager", "password": "a-long-password"}, 409, None),
        ({"username": "x", "role": "superuser", "password": "a-long-password"}, 422, "role"),
        ({"username": "x", "role": "manager", "password": "short"}, 422, "password"),
        ({"username": "bad name", "role": "manager"}, 422, "username"),
        ({"username": "robert'); DROP TABLE users;--", "role": "manager"}, 422, "username"),
        ({"username": "x", "role": "manager", "is_admin": True}, 422, "is_admin"),
        ({"role": "manager"}, 422, "username"),
    ],
)
def test_create_user_refusals(service, body, status, field):
    out = problem(service.post("/users", "admin1", body), status)
    if field:
        assert field in out["errors"], out
    assert service.get("/users", "admin1").get_json()["total"] == 7


def test_deactivate_revokes_every_token(service):
    extra = _login(service, "manager2", PASSWORD).get_json()["token"]
    r = service.post("/users/manager2/deactivate", "admin1")
    assert r.status_code == 200
    assert r.get_json()["username"] == "manager2" and r.get_json()["active"] is False
    problem(service.get("/tasks", "manager2"), 401)
    problem(service.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {extra}"}), 401)
    revoked = service.db.read(
        lambda s: s.scalars(
            select(ApiToken.revoked_at)
            .join(User, User.id == ApiToken.user_id)
            .where(User.username == "manager2")
        ).all()
    )
    assert len(revoked) == 2 and all(at is not None for at in revoked)
    problem(service.post("/users/admin1/deactivate", "admin1"), 409)
    problem(service.post("/users/nobody/deactivate", "admin1"), 404)
    assert service.get("/users?active=false", "admin1").get_json()["items"][0]["username"] == "manager2"
