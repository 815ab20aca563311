"""Messages to waiting instances, and the deadlines index."""

from __future__ import annotations

from flask_smorest import Blueprint

from service.access.permissions import require_role
from service.cases import instances as use
from service.cases import queries
from service.http.context import actor, db
from service.http.schemas import DeadlineList, DeadlineQuery, MessageRequest, MessageResponse

blp = Blueprint("messages", __name__, url_prefix="/api/v1", description="Messages and deadlines")


@blp.route("/messages", methods=["POST"])
@blp.arguments(MessageRequest)
@blp.response(202, MessageResponse)
def send(body):
    who = actor()
    require_role(who, "admin", "manager", "commissioner", "advocate")
    delivered = db().run(use.deliver_message, who, body["name"], body["business_key"], body["payload"])
    return {"delivered_to": delivered}


@blp.route("/deadlines")
@blp.arguments(DeadlineQuery, location="query")
@blp.response(200, DeadlineList)
def deadlines(query):
    who = actor()
    items, total = db().read(queries.list_deadlines, who, query)
    return {"items": items, "total": total}
