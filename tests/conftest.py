"""Shared fixtures: a migrated database (SQLite, and PostgreSQL where configured), the app, users.

PostgreSQL runs when ``ADVOCACY_FLOW_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it);
otherwise those tests are skipped with the reason.  With
``ADVOCACY_FLOW_REQUIRE_POSTGRES=1`` a missing server fails the run instead.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from service.access import auth
from service.access.permissions import Actor
from service.base.config import ROOT, Settings
from service.cases import slas
from service.http.app import create_app
from service.store import migrate
from service.store.db import make_engine, make_session_factory
from service.store.uow import Database
from workflows.sources import read_directory

PG_URL = os.environ.get("ADVOCACY_FLOW_TEST_POSTGRES_URL")
PG_REQUIRED = os.environ.get("ADVOCACY_FLOW_REQUIRE_POSTGRES") == "1"
ROLES = {
    "admin1": "admin",
    "commissioner1": "commissioner",
    "manager1": "manager",
    "manager2": "manager",
    "advocate1": "advocate",
    "advocate2": "advocate",
    "auditor1": "auditor",
}
PASSWORD = "correct-horse-battery"


def _postgres_url() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set ADVOCACY_FLOW_TEST_POSTGRES_URL (.ci/run does)")
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as err:
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL required but unreachable at {PG_URL}: {err}")
        pytest.skip(f"PostgreSQL unreachable: {err}")
    return PG_URL


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A private PostgreSQL schema for this test session, migrated once."""
    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    migrate.upgrade(url)
    yield url
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_schema_url")
    engine = create_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@dataclass
class Service:
    """The app under test, with a token for each demo user."""

    app: Any
    client: Any
    tokens: dict[str, str]

    @property
    def db(self):
        return self.app.extensions["advocacy_flow.db"]

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers(user), **kw)

    def post(self, path: str, user: str, body: Any = None, **kw):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers(user), **kw)

    def deploy(self, paths: list[Path] | None = None, user: str = "admin1"):
        files, forms = read_directory(paths or [ROOT / "bpmn" / "example_callback.bpmn"], ROOT / "forms")
        keys = {name for name, _ in files}
        parts = [(io.BytesIO(content), name) for name, content in files]
        for process, by_element in forms.items():
            if any(process in name for name in keys):
                parts += [
                    (io.BytesIO(json.dumps(s).encode()), f"{process}/{e}.json") for e, s in by_element.items()
                ]
        return self.client.post(
            "/api/v1/process-definitions",
            data={"file": parts},
            headers=self.headers(user),
            content_type="multipart/form-data",
        )

    def actor(self, user: str) -> Actor:
        return Actor(user, ROLES[user])


@pytest.fixture(scope="session")
def app(sqlite_template):
    """One Flask app for the session; each test points it at its own database."""
    settings = Settings(database_url=f"sqlite:///{sqlite_template}", secret_key="test", scheduler=False)
    application = create_app(settings, start_scheduler=False)
    application.config["TESTING"] = True
    return application


@pytest.fixture(scope="session")
def password_hash() -> str:
    """A real Argon2 hash of PASSWORD, computed once (hashing is deliberately slow)."""
    return auth.hash_password(PASSWORD)


@pytest.fixture
def service(app, database_url, password_hash) -> Iterator[Service]:
    engine = make_engine(database_url)
    database = Database(engine, make_session_factory(engine))
    app.extensions["advocacy_flow.db"] = database

    def users(session):
        slas.ensure_default(session)
        tokens = {}
        for name, role in ROLES.items():
            user, _ = auth.create_user(session, name, role, PASSWORD, password_hash=password_hash)
            tokens[name] = auth.issue_token(session, user, 1)[0]
        return tokens

    tokens = database.run(users)
    yield Service(app, app.test_client(), tokens)
    engine.dispose()


@pytest.fixture
def deployed(service) -> Service:
    response = service.deploy()
    assert response.status_code == 201, response.get_json()
    return service
