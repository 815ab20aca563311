"""The record of an instance: history (JSON or CSV), replay at any event, the diagram path."""

from __future__ import annotations

from flask_smorest import Blueprint

from .. import queries
from ..schemas import History
from .common import actor, db

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="History, replay and audit")


@blp.route("/process-instances/<string:instance_id>/history")
@blp.response(200, History)
def history(instance_id):
    return {"items": db().read(queries.history, actor(), instance_id)}
