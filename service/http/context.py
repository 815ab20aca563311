"""What every endpoint needs: the database and the caller."""

from __future__ import annotations

from flask import current_app, g, request

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
