"""Health and tokens: the two endpoints that need no token."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import text

from service.access import auth
from service.http.context import db
from service.http.schemas import Health, TokenRequest, TokenResponse

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health and authentication")


@blp.route("/health")
@blp.doc(security=[])
@blp.response(200, Health)
def health():
    try:
        db().read(lambda s: s.execute(text("SELECT 1")))
        database = "ok"
    except Exception:  # the answer is the point: report, don't raise
        database = "unavailable"
    scheduler = current_app.extensions.get("advocacy_flow.scheduler")
    return {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "scheduler": "running"
        if (scheduler is not None and scheduler.running) or current_app.config.get("SCHEDULER_IN_MASTER")
        else "stopped",
    }


@blp.route("/auth/token", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
def token(body):
    ttl = current_app.config["SETTINGS"].token_ttl_hours
    token, expires, user = db().run(auth.login, body["username"], body["password"], ttl)
    return {"token": token, "expires_at": expires, "role": user.role}
