"""The caller's own notifications (reminders before a deadline, send-task messages)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from service.cases import notifications as use
from service.http.context import actor, db
from service.http.schemas import Page

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications")


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "reminder | send_task"})
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    template = fields.String(allow_none=True, metadata={"description": "the send task's template"})
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationList(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    unread = fields.Integer()


class NotificationQuery(Page):
    unread = fields.Boolean()


@blp.route("/notifications")
@blp.arguments(NotificationQuery, location="query")
@blp.response(200, NotificationList)
def list_notifications(query):
    who = actor()

    def read(session):
        items, total = use.list_notifications(
            session, who, unread=query.get("unread"), limit=query["limit"], offset=query["offset"]
        )
        return {"items": items, "total": total, "unread": use.unread_count(session, who)}

    return db().read(read)


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationOut)
def mark_read(notification_id):
    who = actor()
    return db().run(use.mark_read, who, notification_id)
