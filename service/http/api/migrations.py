"""Migration of running instances to another version of their diagram (API.md second edition): admin only."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.access.permissions import require_role
from service.cases import migrations as use
from service.http.context import actor, db
from service.http.problem_texts import translate
from service.http.schemas import Strict

blp = Blueprint("migrations", __name__, url_prefix="/api/v1", description="Migration between versions")

ELEMENT_ID = validate.Length(min=1, max=128)


class MigrationRequest(Strict):
    process = fields.String(required=True, validate=validate.Length(min=1, max=128))
    to_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    mapping = fields.Dict(
        keys=fields.String(validate=ELEMENT_ID),
        values=fields.String(validate=ELEMENT_ID),
        validate=validate.Length(max=use.MAX_MAPPING),
        metadata={
            "description": "old activity id -> new activity id, applied before the versions are compared"
        },
    )
    instances = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=use.MAX_INSTANCES),
        metadata={"description": "the instances to move (default: every running one not on to_version)"},
    )
    dry_run = fields.Boolean(truthy={True}, falsy={False}, load_default=False)


class Problem(Schema):
    activity_id = fields.String(allow_none=True)
    message = fields.String()


class MigrationItem(Schema):
    instance_id = fields.String()
    from_version = fields.Integer(allow_none=True)
    ok = fields.Boolean()
    problems = fields.List(fields.Nested(Problem))


class MigrationResult(Schema):
    items = fields.List(fields.Nested(MigrationItem))


@blp.route("/migrations", methods=["POST"])
@blp.arguments(MigrationRequest)
@blp.response(200, MigrationResult)
def migrate(body):
    """Move running instances to ``to_version``: each in its own transaction, or not at all."""
    who = actor()
    require_role(who, "admin")
    items = use.migrate(
        db(),
        who,
        body["process"],
        body["to_version"],
        body.get("mapping") or {},
        body.get("instances"),
        body["dry_run"],
    )
    for item in items:  # the reasons in the caller's language (Accept-Language, the user's language)
        item["problems"] = [{**p, "message": translate(p["message"])} for p in item["problems"]]
    return {"items": items}
