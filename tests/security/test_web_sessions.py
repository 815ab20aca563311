"""Web sessions for the UI: cookie settings, CSRF tokens tied to the session, ``@csrf_protect``."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string, session

from service.http.csrf import (
    CSRF_FIELD,
    CSRF_HEADER,
    csrf_protect,
    generate_csrf_token,
    rotate_csrf_token,
    validate_csrf_token,
)
from service.http.security import init_security

HTTPS = "https://localhost"


@pytest.fixture
def ui():
    """A small app standing in for the UI: a login that sets the session, a protected form."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret", TESTING=True)
    init_security(app, secure_cookies=True)

    @app.get("/form")
    def form():
        session["user"] = "manager1"
        return render_template_string(
            '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">'
        )

    @app.post("/form")
    @csrf_protect
    def submit():
        return "done"

    @app.post("/rotate")
    def rotate():
        rotate_csrf_token()
        return "rotated"

    from service.http.errors import register_error_handlers

    class _Api:  # register_error_handlers hands HTTP errors to the API object
        @staticmethod
        def handle_http_exception(err):
            return err.name, err.code

    app.extensions["advocacy_flow.api"] = _Api()
    register_error_handlers(app)
    return app


def _token(client) -> str:
    page = client.get("/form", base_url=HTTPS).get_data(as_text=True)
    return page.split('value="')[1].split('"')[0]


def test_session_cookie_is_secure_httponly_lax(ui):
    r = ui.test_client().get("/form", base_url=HTTPS)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-advocacy_flow_session=")
    for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert part in cookie, cookie
    assert "Domain=" not in cookie
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")  # HTML gets a usable CSP
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"


def test_secure_flag_can_be_turned_off_for_plain_http(monkeypatch):
    app = Flask(__name__)
    monkeypatch.setenv("ADVOCACY_FLOW_SECURE_COOKIES", "0")
    init_security(app)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_NAME"] == "advocacy_flow_session"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("ADVOCACY_FLOW_SECURE_COOKIES", "1")
    other = Flask(__name__)
    init_security(other)
    assert other.config["SESSION_COOKIE_SECURE"] is True


def test_form_with_its_token_is_accepted(ui):
    client = ui.test_client()
    token = _token(client)
    r = client.post("/form", data={CSRF_FIELD: token}, base_url=HTTPS)
    assert (r.status_code, r.get_data(as_text=True)) == (200, "done")
    r = client.post("/form", headers={CSRF_HEADER: token}, base_url=HTTPS)
    assert r.status_code == 200, "the header works too (for fetch)"


def test_tokens_are_masked_per_form_but_tied_to_the_session(ui):
    client = ui.test_client()
    first, second = _token(client), _token(client)
    assert first != second
    for token in (first, second):
        assert client.post("/form", data={CSRF_FIELD: token}, base_url=HTTPS).status_code == 200


@pytest.mark.parametrize("token", [None, "", "not-a-token", "A" * 86, "A" * 5000, "%%%%"])
def test_missing_or_forged_token_is_refused(ui, token):
    client = ui.test_client()
    _token(client)
    data = {} if token is None else {CSRF_FIELD: token}
    r = client.post("/form", data=data, base_url=HTTPS)
    assert r.status_code == 403
    assert "CSRF" in r.get_json()["detail"]


def test_token_of_another_session_is_refused(ui):
    alice, mallory = ui.test_client(), ui.test_client()
    _token(alice)
    stolen = _token(mallory)
    r = alice.post("/form", data={CSRF_FIELD: stolen}, base_url=HTTPS)
    assert r.status_code == 403


def test_cross_origin_post_is_refused_even_with_a_token(ui):
    client = ui.test_client()
    token = _token(client)
    r = client.post(
        "/form", data={CSRF_FIELD: token}, headers={"Origin": "https://evil.example"}, base_url=HTTPS
    )
    assert r.status_code == 403 and "cross-origin" in r.get_json()["detail"]
    r = client.post("/form", data={CSRF_FIELD: token}, headers={"Origin": HTTPS}, base_url=HTTPS)
    assert r.status_code == 200


def test_rotation_invalidates_old_forms(ui):
    client = ui.test_client()
    old = _token(client)
    assert client.post("/rotate", base_url=HTTPS).status_code == 200
    assert client.post("/form", data={CSRF_FIELD: old}, base_url=HTTPS).status_code == 403
    assert client.post("/form", data={CSRF_FIELD: _token(client)}, base_url=HTTPS).status_code == 200


def test_validate_outside_a_session_is_false(ui):
    with ui.test_request_context("/form", method="POST"):
        assert validate_csrf_token("anything") is False
        token = generate_csrf_token()
        assert validate_csrf_token(token) is True
        forged = token[:-1] + ("B" if token[-1] == "A" else "A")
        assert validate_csrf_token(forged) is False
