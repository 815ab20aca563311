"""What every endpoint needs: the database, the caller, problem-details errors."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from service.access.auth import authenticate
from service.access.permissions import Actor
from service.base.problems import Problem, Unauthorized
from service.http.security import current_actor
from service.store.uow import Database


def db() -> Database:
    return current_app.extensions["advocacy_flow.db"]


def actor() -> Actor:
    """The authenticated caller (401 without a valid bearer token)."""
    known = current_actor()
    if known is not None:  # the security gate already checked the token for this request
        return known
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    return db().peek(authenticate, token.strip())


def problem_response(body: dict[str, Any], status: int):
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="advocacy-flow"'
    return response


def _flatten(messages: Any) -> dict[str, list[str]]:
    """webargs' {"json": {"field": [...]}} as {"field": [...]}."""
    errors: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            errors.setdefault(prefix or "_", []).extend(value)
        else:
            errors.setdefault(prefix or "_", []).append(str(value))

    if isinstance(messages, dict):
        for _location, inner in messages.items():
            walk("", inner)
    return errors


class ProblemApi(Api):
    """flask-smorest, answering every error as RFC 9457 problem details."""

    def handle_http_exception(self, error: HTTPException):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": error.name,
            "status": error.code,
            "detail": error.description if error.code != 422 else "the request does not match its schema",
        }
        data = getattr(error, "data", None) or {}
        if "messages" in data:
            body["errors"] = _flatten(data["messages"])
        return problem_response(body, error.code or 500)


def register_error_handlers(app) -> None:
    @app.errorhandler(Problem)
    def _problem(err: Problem):
        return problem_response(err.to_json(), err.status)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return app.extensions["advocacy_flow.api"].handle_http_exception(err)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        body = {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "the service failed; the error was logged",
        }
        return problem_response(body, 500)
