"""Errors the use cases raise, answered as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://advocacy-flow.example/problems/{self.title.lower().replace(' ', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    status, title = 404, "Not found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class TooLarge(Problem):
    status, title = 413, "Payload too large"


class Unsupported(Problem):
    status, title = 415, "Unsupported media type"


class Invalid(Problem):
    status, title = 422, "Validation failed"


class Locked(Problem):
    status, title = 423, "Locked"


class TooMany(Problem):
    status, title = 429, "Too many requests"
