"""What every endpoint needs: the database and the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from sqlalchemy.orm import Session

from service.access.auth import authenticate
from service.access.permissions import Actor
from service.base.problems import Unauthorized
from service.store.uow import Database


def db() -> Database:
    return current_app.extensions["advocacy_flow.db"]


def bearer_token() -> str:
    """The token of ``Authorization: Bearer <token>`` (401 without one)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    return token.strip()


def actor() -> Actor:
    """The authenticated caller (401 without a valid bearer token), checked once per request."""
    known = g.get("actor")
    if known is None:
        known = g.actor = db().peek(authenticate, bearer_token())
    return known


# Routes whose step reads its first rows with the caller's token check, in one statement of the step's
# own transaction (``Database.begin_early``): route key -> read(session, token, view args) -> the caller.
EARLY_READS: dict[tuple[str, str], Callable[[Session, str, dict[str, Any]], Actor]] = {}


def caller_with_early_read(key: tuple[str, str]) -> Actor:
    """``actor()``; for a route of ``EARLY_READS``, checked in a session begun for its step, which
    the view then takes with ``early_session()`` (closed at the end of the request if it does not)."""
    read = EARLY_READS.get(key)
    early = None
    if read is not None and g.get("actor") is None:
        early = db().begin_early(read, bearer_token(), request.view_args or {})
    if early is None:
        return actor()
    g.actor, g.early_session = early
    return g.actor


def early_session() -> Session | None:
    """The session the request's token check began for its step (see ``caller_with_early_read``)."""
    return g.pop("early_session", None)


def close_early_session(_error: BaseException | None = None) -> None:
    """Close the request's early session if the view did not take it (and, on SQLite, free the lock)."""
    session = early_session()
    if session is not None:
        db().close_early(session)
