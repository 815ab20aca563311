"""SLA records: commissioners write them, every role reads them."""

from __future__ import annotations

from flask_smorest import Blueprint

from service.access.permissions import require_role
from service.cases import slas as use
from service.http.context import actor, db
from service.http.schemas import SlaBody, SlaCreate, SlaList, SlaOut

blp = Blueprint("slas", __name__, url_prefix="/api/v1", description="Service level agreements")


@blp.route("/slas")
@blp.response(200, SlaList)
def list_slas():
    actor()
    items = db().read(use.list_slas)
    return {"items": items, "total": len(items)}


@blp.route("/slas", methods=["POST"])
@blp.arguments(SlaCreate)
@blp.response(201, SlaOut)
def create(body):
    require_role(actor(), "commissioner")
    key = body.pop("key")
    return db().run(use.save_sla, key, body, create=True)


@blp.route("/slas/<string:key>")
@blp.response(200, SlaOut)
def get(key):
    actor()
    return db().read(use.get_sla, key)


@blp.route("/slas/<string:key>", methods=["PUT"])
@blp.arguments(SlaBody)
@blp.response(200, SlaOut)
def put(body, key):
    require_role(actor(), "commissioner")

    def run(session):
        use.get_sla(session, key)
        return use.save_sla(session, key, body, create=False)

    return db().run(run)
