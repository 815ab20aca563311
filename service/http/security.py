"""Request hardening for the whole application: ``init_security(app)``.

* **Who may call what**, before any view runs: every endpoint of
  ``permissions.ROUTES`` that is not public needs a valid bearer token (401)
  and a role of its row (403), so a request is never validated, parsed or
  answered for a caller who may not make it.
* **What a request may carry**: JSON endpoints take ``application/json`` only
  (415); no NUL character in a path (404), a query string or a JSON body (422),
  since no name or text of this service holds one and PostgreSQL refuses them.
* **Security headers** on every response: ``nosniff``, no framing, no referrer,
  ``Cache-Control: no-store`` (case records must not sit in caches), a
  Content-Security-Policy of ``default-src 'none'`` for everything but HTML,
  HSTS over HTTPS.
* **Web sessions** (for the UI): the session cookie is HttpOnly, SameSite=Lax
  and Secure (``ADVOCACY_FLOW_SECURE_COOKIES=0`` turns Secure off for plain-HTTP
  development), named with the ``__Host-`` prefix when Secure; forms are
  protected by a per-session CSRF token (``csrf_token()`` in templates, checked
  by ``@csrf_protect``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from service.access.permissions import PUBLIC, check_route, route_key, route_roles
from service.base.problems import Invalid, NotFound, Unsupported
from service.http.context import caller_with_early_read, close_early_session
from service.http.csrf import CSRF_FIELD, SAFE_METHODS, generate_csrf_token

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

RAW_BODY_ROUTES = frozenset({("POST", "/process-definitions")})  # BPMN XML or multipart, checked by the view

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

_DEFAULTS = {  # by "is it a page": what a response gets unless its view set the header itself
    False: tuple({**HEADERS, "Content-Security-Policy": API_CSP}.items()),
    # Pages keep the referrer within the site: with "no-referrer" a browser sends "Origin: null"
    # on a form post, and the CSRF origin check could not tell the site's own forms apart.
    True: tuple({**HEADERS, "Referrer-Policy": "same-origin", "Content-Security-Policy": HTML_CSP}.items()),
}


def init_security(app: Flask, *, secure_cookies: bool | None = None) -> None:
    """Install the request gate, the response headers, the session cookie settings and CSRF helpers."""
    if secure_cookies is None:
        secure_cookies = os.environ.get("ADVOCACY_FLOW_SECURE_COOKIES", "1").strip().lower() not in (
            "0",
            "false",
            "no",
            "off",
        )
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="__Host-advocacy_flow_session" if secure_cookies else "advocacy_flow_session",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    app.session_interface = _CookieSessions()
    app.before_request(_gate)
    app.teardown_request(close_early_session)
    app.after_request(_headers)
    app.jinja_env.globals[CSRF_FIELD] = generate_csrf_token


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that sends no session
    cookie (every API call): the same empty session Flask would open, at a fraction of the cost."""

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:  # type: ignore[no-untyped-def]
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


# -- the gate ------------------------------------------------------------------------------


def _gate() -> None:
    if "\x00" in request.path:
        raise NotFound("no such resource")
    rule = request.url_rule
    if rule is None or request.method == "OPTIONS":
        return None  # routing answers 404/405; OPTIONS lists methods only
    roles = route_roles(request.method, rule.rule)
    if roles is None:
        if rule.rule.startswith("/api/"):
            log.warning("no permission row for %s %s; the view alone decides", request.method, rule.rule)
        _check_nul_in_query()  # the web pages: their forms' fields are checked by service.web.forms
        return None
    key = route_key(request.method, rule.rule)
    try:
        if roles is not PUBLIC:
            check_route(caller_with_early_read(key), request.method, rule.rule)
        _check_nul_in_query()
        if request.method not in SAFE_METHODS and rule.rule.startswith("/api/"):
            _check_body(key)
    except BaseException:
        close_early_session()  # a refused request holds no step's session (nor SQLite's write lock)
        raise
    return None


def _check_nul_in_query() -> None:
    bad = sorted({key for key, value in request.args.items(multi=True) if "\x00" in key + value})
    if bad:
        raise Invalid(
            "the query string holds a NUL character",
            errors={key.replace("\x00", "\\u0000"): ["must not contain NUL characters"] for key in bad},
        )


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _check_body(key: tuple[str, str]) -> None:
    if key in RAW_BODY_ROUTES or not _has_body():
        return
    if not request.is_json:
        raise Unsupported(f"send the body as application/json, not {request.mimetype or 'no content type'}")
    try:
        body = request.get_json(silent=True)  # malformed JSON is the view's to refuse (400)
    except RecursionError:
        body = _TOO_DEEP
    nul, depth = _scan(body)
    if body is _TOO_DEEP or depth > MAX_JSON_DEPTH:
        raise Invalid(
            "the body is nested too deeply",
            errors={"_": [f"JSON values may be nested at most {MAX_JSON_DEPTH} deep"]},
        )
    if nul:
        raise Invalid(
            "the body holds a NUL character",
            errors={path or "_": ["must not contain NUL characters"] for path in nul[:20]},
        )


_TOO_DEEP = object()
MAX_JSON_DEPTH = 32


def _scan(value: Any) -> tuple[list[str], int]:
    """The paths of strings (and keys) holding a NUL, and the nesting depth; without recursion."""
    nul: list[str] = []
    deepest = 0
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        if isinstance(item, str):
            if "\x00" in item:
                nul.append(path)
        elif isinstance(item, dict):
            for key, inner in item.items():
                where = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    nul.append(where.replace("\x00", "\\u0000"))
                stack.append((inner, where, depth + 1))
        elif isinstance(item, list):
            stack.extend(
                (inner, f"{path}.{i}" if path else str(i), depth + 1) for i, inner in enumerate(item)
            )
    return sorted(nul), deepest


# -- response headers ----------------------------------------------------------------------


def _headers(response):
    html = response.mimetype == "text/html"
    present = {name.lower() for name, _ in response.headers.items()}  # setdefault raises on each miss
    response.headers.extend([(name, value) for name, value in _DEFAULTS[html] if name.lower() not in present])
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
