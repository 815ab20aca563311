"""The web pages through Flask's test client: a user logs in with the login form, as in a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROOT

ALL_PROCESSES = [
    ROOT / "bpmn" / name
    for name in (
        "referral_casework.bpmn",
        "eligibility.dmn",
        "sla_escalation.bpmn",
        "recruitment_vetting.bpmn",
        "commissioning_cycle.bpmn",
        "example_callback.bpmn",
    )
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that logs in with the form and sends each form's CSRF token, as a browser would."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.last = ""

    def get(self, path: str, **kw):
        response = self.client.get(path, **kw)
        self.last = response.get_data(as_text=True)
        return response

    def token(self, path: str | None = None) -> str:
        if path is not None:
            self.get(path)
        found = _CSRF.search(self.last)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def post(
        self, path: str, data: dict | list | None = None, *, page: str | None = None, csrf: bool = True, **kw
    ):
        """Post a form; its CSRF token is read from ``page`` (default: the page posted to)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            fields.append(("csrf_token", self.token(page or path)))
        response = self.client.post(path, data=_multi(fields), **kw)
        self.last = response.get_data(as_text=True)
        return response

    def login(self, user: str, password: str = PASSWORD):
        response = self.post("/login", {"username": user, "password": password})
        assert response.status_code == 303, self.last[:500]
        return response


def _multi(fields):
    from werkzeug.datastructures import MultiDict

    return MultiDict(fields)


@pytest.fixture
def web(service) -> Iterator[callable]:
    """``web("manager1")``: a browser-like client logged in as that user."""

    def open_as(user: str | None = None) -> Browser:
        browser = Browser(service.app)
        if user is not None:
            browser.login(user)
        return browser

    yield open_as


@pytest.fixture
def all_deployed(service):
    response = service.deploy(ALL_PROCESSES)
    assert response.status_code == 201, response.get_json()
    return service


def path_of(name: str) -> Path:
    return ROOT / "bpmn" / name
