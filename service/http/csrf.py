"""CSRF for the session-cookie pages: a per-session secret, masked tokens in forms, the origin check."""

from __future__ import annotations

import base64
import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import request, session

from service.base.problems import Forbidden

F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_SESSION_KEY = "_csrf_token"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_TOKEN_BYTES = 32


def _secret() -> bytes:
    stored = session.get(CSRF_SESSION_KEY)
    if not isinstance(stored, str) or len(stored) != 2 * _TOKEN_BYTES:
        stored = secrets.token_hex(_TOKEN_BYTES)
        session[CSRF_SESSION_KEY] = stored
    return bytes.fromhex(stored)


def generate_csrf_token() -> str:
    """A CSRF token for a form of this session; masked afresh each time (no BREACH-style leak)."""
    secret = _secret()
    mask = secrets.token_bytes(_TOKEN_BYTES)
    masked = bytes(a ^ b for a, b in zip(mask, secret, strict=True))
    return base64.urlsafe_b64encode(mask + masked).decode("ascii").rstrip("=")


def rotate_csrf_token() -> None:
    """A new CSRF secret, e.g. when a user logs in or out (old forms stop working)."""
    session.pop(CSRF_SESSION_KEY, None)
    _secret()


def validate_csrf_token(token: str | None) -> bool:
    """True when ``token`` was generated for this session."""
    stored = session.get(CSRF_SESSION_KEY)
    if not token or not isinstance(stored, str) or len(token) > 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        secret = bytes.fromhex(stored)
    except ValueError:
        return False
    if len(raw) != 2 * _TOKEN_BYTES or len(secret) != _TOKEN_BYTES:
        return False
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token:
        return False  # only the one canonical spelling of a token (base64's spare bits are ignored)
    unmasked = bytes(a ^ b for a, b in zip(raw[:_TOKEN_BYTES], raw[_TOKEN_BYTES:], strict=True))
    return hmac.compare_digest(unmasked, secret)


def _same_origin() -> bool:
    """An Origin (or, without one, a Referer) header, when sent, names this host."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return True
    here = urlsplit(request.host_url)
    there = urlsplit(source)
    return (there.scheme, there.netloc) == (here.scheme, here.netloc)


def check_csrf() -> None:
    """Refuse (403) an unsafe request without this session's CSRF token or from another origin."""
    if request.method in SAFE_METHODS:
        return
    token = request.form.get(CSRF_FIELD) if request.form else None
    token = token or request.headers.get(CSRF_HEADER)
    if not _same_origin():
        raise Forbidden("cross-origin form submissions are refused")
    if not validate_csrf_token(token):
        raise Forbidden("the CSRF token is missing or invalid; reload the form and try again")


def csrf_protect(view: F) -> F:
    """Decorate a session-cookie (UI) view that changes something: it needs the form's CSRF token."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_csrf()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
