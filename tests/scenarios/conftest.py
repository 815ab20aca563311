"""Fixtures for the scenario tests: ``driver`` (see DRIVER_CONTRACT.md), on SQLite and PostgreSQL.

``driver`` builds on the shared ``service`` fixture (tests/conftest.py) and deploys all of bpmn/
and forms/ through ``service.definitions.deploy``, as ``advocacy-flow deploy`` does.  Compiling
the diagrams takes most of a second, so the compiled deployment is kept for the session: each
test still stores its definitions through ``deploy`` (versions, checksums) in its own database.
"""

from __future__ import annotations

import functools
import json

import pytest

from service.base.config import ROOT
from service.cases import definitions
from tests.scenarios.driver import Driver

_COMPILE = definitions.compile_deployment


@functools.cache
def _compiled(files: tuple[tuple[str, bytes], ...], forms: str, templates: tuple[str, ...] = ()):
    return _COMPILE(list(files), json.loads(forms), strict_forms=False, templates=templates)


def _compile_once(files, forms, *, strict_forms, templates=()):
    assert not strict_forms, "the scenarios deploy as the command line does"
    return _compiled(tuple(files), json.dumps(forms, sort_keys=True), tuple(sorted(templates)))


@pytest.fixture(scope="session")
def deployment() -> tuple[list[tuple[str, bytes]], dict]:
    return definitions.read_directory([ROOT / "bpmn"], ROOT / "forms")


@pytest.fixture
def driver(service, deployment, monkeypatch) -> Driver:
    """A fresh driver over the service: every diagram deployed, no instances, the clock at 2026-01-05 09:00."""
    files, forms = deployment
    monkeypatch.setattr(definitions, "compile_deployment", _compile_once)
    service.db.run(definitions.deploy, files, forms, "admin1", strict_forms=False)
    return Driver(service.db)
