"""Process instances: start, list, read, cancel (history, replay and diagram: audit.py)."""

from __future__ import annotations

from flask_smorest import Blueprint

from service.cases import instances as use
from service.cases import queries, record
from service.http.context import actor, db
from service.http.schemas import CancelRequest, InstanceList, InstanceOut, InstanceQuery, StartRequest

blp = Blueprint("instances", __name__, url_prefix="/api/v1", description="Process instances")


@blp.route("/process-instances", methods=["POST"])
@blp.arguments(StartRequest)
@blp.response(201, InstanceOut)
def start(body):
    who = actor()

    def run(session):
        instance = use.start_instance(
            session,
            who,
            body["process"],
            body["variables"],
            version=body.get("version"),
            business_key=body.get("business_key"),
        )
        return queries.step_view(session, who, instance)

    return db().run(run)


@blp.route("/process-instances")
@blp.arguments(InstanceQuery, location="query")
@blp.response(200, InstanceList)
def list_instances(query):
    who = actor()
    items, total = db().read(queries.list_instances, who, query)
    return {"items": items, "total": total}


@blp.route("/process-instances/<string:instance_id>")
@blp.response(200, InstanceOut)
def get_instance(instance_id):
    who = actor()
    if who.role != "auditor":
        return db().read(queries.instance_view, who, instance_id)

    def read_and_record(session):  # an auditor's read of a case is itself recorded
        view = queries.instance_view(session, who, instance_id)
        instance, _ = use.load_instance(session, instance_id)
        record.record_read(session, who, instance, "instance")
        return view

    return db().run(read_and_record)


@blp.route("/process-instances/<string:instance_id>/cancel", methods=["POST"])
@blp.arguments(CancelRequest)
@blp.response(200, InstanceOut)
def cancel(body, instance_id):
    who = actor()

    def run(session):
        use.cancel_instance(session, who, instance_id, body["reason"], reason_code=body["reason_code"])
        return queries.instance_view(session, who, instance_id)

    return db().run(run)
