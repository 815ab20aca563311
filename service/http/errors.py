"""Every error as RFC 9457 problem details: the use cases' Problems, webargs' schema errors, the unexpected."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from service.base.problems import Problem
from service.http.problem_texts import translate_problem


def problem_response(body: dict[str, Any], status: int):
    """The problem as ``application/problem+json``, its texts in the caller's language."""
    response = current_app.json.response(translate_problem(body))
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
