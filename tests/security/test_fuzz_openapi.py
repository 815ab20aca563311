"""Schemathesis over the served OpenAPI document, in process (WSGI), as a manager and as an admin.

For every operation, a bounded and reproducible number of generated requests
(``max_examples=25``, ``derandomize=True``): no answer may be a 500, and every
documented answer must match its schema.  ``POST /auth/revoke`` is left out:
it would end the very token the run uses (its own tests are in
``test_users_tokens.py``).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.access import auth

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzzed(deployed, monkeypatch):
    """The app with its example diagram; failed logins are not slowed down (the fuzzer makes many)."""
    monkeypatch.setattr(auth, "_sleep", lambda seconds: None)
    monkeypatch.setattr(auth, "attempts", auth._Attempts())
    return deployed


@pytest.mark.parametrize("path", ["/process-instances", "/tasks", "/deadlines", "/process-definitions"])
def test_huge_offset_is_refused(deployed, path):
    r = deployed.get(f"{path}?offset={2**64}", "manager1")
    assert r.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        f"/process-definitions/example_callback?version={2**31}",
        f"/process-definitions/example_callback/xml?version={2**40}",
    ],
)
def test_huge_version_is_refused(deployed, path):
    """Found by the fuzzer on PostgreSQL: an integer the database cannot hold was a 500."""
    r = deployed.get(path, "manager1")
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert "version" in r.get_json()["errors"]


def _describe(error: BaseException) -> str:
    inner = getattr(error, "exceptions", None)
    if inner:
        return " | ".join(_describe(e) for e in inner)
    return str(error)


def _fuzz(service, user: str) -> dict[str, str]:
    """Run every operation; returns the failures by operation (empty when all is well)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", service.app)
    schema = schema.exclude(path="/api/v1/auth/revoke")
    headers = service.headers(user)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]

    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # schemathesis raises exception groups; collect them all, fail once
            failures[operation.label] = f"{type(error).__name__}: {_describe(error)[:1500]}"
    return failures


def test_fuzz_as_manager(fuzzed):
    failures = _fuzz(fuzzed, "manager1")
    assert failures == {}, "\n\n".join(f"{op}: {text}" for op, text in failures.items())


def test_fuzz_as_admin(fuzzed):
    failures = _fuzz(fuzzed, "admin1")
    assert failures == {}, "\n\n".join(f"{op}: {text}" for op, text in failures.items())
