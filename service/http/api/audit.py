"""The record of an instance: history (JSON or CSV), replay at any event, the diagram path, retention.

An auditor's read of history, replay or diagram is recorded as a ``record_read``
event in the same transaction (see ``service/audit.py``).
"""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from service.cases import export, record
from service.cases import retention as retentions
from service.http.context import actor, db
from service.http.schemas import History

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="History, replay and audit")


class HistoryQuery(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class SeqQuery(Schema):
    class Meta:
        unknown = RAISE

    seq = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "an event's seq; default the last event (before this read is recorded)"},
    )


class ReplayTask(Schema):
    activity_id = fields.String()
    name = fields.String()


class Replay(Schema):
    seq = fields.Integer()
    at = fields.String()
    type = fields.String(metadata={"description": "the type of event `seq`"})
    status = fields.String(validate=validate.OneOf(["running", "waiting", "completed", "cancelled", "error"]))
    stage = fields.String(allow_none=True)
    variables = fields.Dict()
    active_tasks = fields.List(fields.Nested(ReplayTask))
    completed_activities = fields.List(fields.String())
    end_state = fields.String(allow_none=True)


class Diagram(Schema):
    seq = fields.Integer()
    status = fields.String()
    xml = fields.String(metadata={"description": "BPMN XML of the instance's definition version"})
    completed = fields.List(fields.String())
    active = fields.List(fields.String())
    taken_flows = fields.List(fields.String())


class Retention(Schema):
    instance_id = fields.String()
    status = fields.String()
    ended_at = fields.DateTime(allow_none=True)
    retention_days = fields.Integer()
    removal_at = fields.DateTime(allow_none=True, metadata={"description": "null until the instance ends"})


@blp.route("/process-instances/<string:instance_id>/history")
@blp.arguments(HistoryQuery, location="query")
@blp.response(200, History)
@blp.doc(
    responses={
        "200": {
            "content": {
                "application/json": {"schema": History},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    }
)
def history(query, instance_id):
    """The hash-chained history in seq order; ``?format=csv`` for CSV (data as canonical JSON)."""
    items = db().run(record.history, actor(), instance_id)
    if query["format"] == "csv":
        return Response(
            export.to_csv(items),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="history-{instance_id}.csv"'},
        )
    return {"items": items}


@blp.route("/process-instances/<string:instance_id>/replay")
@blp.arguments(SeqQuery, location="query")
@blp.response(200, Replay)
def replay(query, instance_id):
    """The instance as it stood just after event ``seq``, folded from its history (404: no such event)."""
    return db().run(record.replay_at, actor(), instance_id, query.get("seq"))


@blp.route("/process-instances/<string:instance_id>/diagram")
@blp.arguments(SeqQuery, location="query")
@blp.response(200, Diagram)
def diagram(query, instance_id):
    """The BPMN XML with the completed and active elements and the flows taken, at ``seq``."""
    return db().run(record.diagram_at, actor(), instance_id, query.get("seq"))


@blp.route("/process-instances/<string:instance_id>/retention")
@blp.response(200, Retention)
def retention(instance_id):
    """When a finished instance will be removed (its end plus ADVOCACY_FLOW_RETENTION_DAYS)."""
    return db().read(retentions.retention, actor(), instance_id)
