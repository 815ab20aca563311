"""The command line, run as a user would: a fresh SQLite database each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.base.config import ROOT


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ADVOCACY_FLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_deploy_is_versioned_by_content(tmp_path):
    example = str(ROOT / "bpmn" / "example_callback.bpmn")
    first = _cli(tmp_path, "deploy", example)
    assert first.returncode == 0, first.stderr
    assert "example_callback version 1 deployed" in first.stdout
    again = _cli(tmp_path, "deploy", example)
    assert "example_callback version 1 unchanged" in again.stdout


def test_deploy_refuses_a_broken_diagram_and_names_the_element(tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text(
        (ROOT / "bpmn" / "example_callback.bpmn")
        .read_text()
        .replace('target_hours = 4 if priority == "high" else 24', "import os")
    )
    result = _cli(tmp_path, "deploy", str(broken))
    assert result.returncode == 1
    assert "set_target" in result.stderr


def test_users_create_prints_a_working_token(tmp_path):
    result = _cli(tmp_path, "users", "create", "ann", "--role", "manager", "--password", "a-long-password")
    assert result.returncode == 0, result.stderr
    token = next(line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("token: "))
    from service.base.config import Settings
    from service.http.app import create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'cli.sqlite3'}"), start_scheduler=False)
    response = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert _cli(tmp_path, "users", "create", "ann", "--role", "manager").returncode == 1


@pytest.mark.parametrize("role", ["root", ""])
def test_users_create_refuses_unknown_roles(tmp_path, role):
    assert _cli(tmp_path, "users", "create", "bob", "--role", role).returncode != 0


def test_users_create_records_an_advocates_languages(tmp_path):
    made = _cli(tmp_path, "users", "create", "cerys", "--role", "advocate", "--languages", "cy,en")
    assert made.returncode == 0, made.stderr
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with engine.connect() as conn:
        (languages,) = conn.execute(text("SELECT languages FROM users WHERE username = 'cerys'")).one()
    engine.dispose()
    assert json.loads(languages) == ["cy", "en"]
    refused = _cli(tmp_path, "users", "create", "dai", "--role", "advocate", "--languages", "Welsh")
    assert refused.returncode == 1 and "languages" in refused.stderr
