"""Process definitions: deploy BPMN/DMN (admin), list and read (any role)."""

from __future__ import annotations

import json

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from service.access.permissions import require_role
from service.base.problems import Invalid, Unsupported
from service.cases import definitions as use
from service.cases import heatmap
from service.http.context import actor, db
from service.http.schemas import Definition as DefinitionSchema
from service.http.schemas import DefinitionList, DefinitionQuery, DeployResponse, Page, Strict
from service.web import texts

blp = Blueprint("definitions", __name__, url_prefix="/api/v1", description="Process definitions")


def _upload() -> tuple[list[tuple[str, bytes]], dict[str, dict]]:
    """BPMN XML as the body, or multipart files: *.bpmn, *.dmn and forms named '<process>/<element id>.json'."""
    mimetype = request.mimetype
    if mimetype in ("application/xml", "text/xml", "application/bpmn+xml"):
        return [("upload.bpmn", request.get_data(cache=False))], {}
    if mimetype == "multipart/form-data":
        files, forms = [], {}
        for storage in request.files.getlist("file") + [
            f for k, f in request.files.items(multi=True) if k != "file"
        ]:
            name = storage.filename or "upload.bpmn"
            content = storage.read()
            if name.lower().endswith(".json"):
                process, _, element = name.rsplit(".", 1)[0].rpartition("/")
                if not process or not element:
                    raise Invalid(
                        "bad form name", errors={name: ["name forms '<process>/<element id>.json'"]}
                    )
                try:
                    forms.setdefault(process, {})[element] = json.loads(content)
                except (ValueError, UnicodeDecodeError) as err:
                    raise Invalid("a form is not JSON", errors={name: [str(err)]}) from None
            else:
                files.append((name, content))
        if not files:
            raise Invalid("no file in the upload", errors={"file": ["send at least one .bpmn file"]})
        return files, forms
    raise Unsupported("send BPMN XML as application/xml, or multipart/form-data with 'file' parts")


@blp.route("/process-definitions", methods=["POST"])
@blp.response(201, DeployResponse)
@blp.doc(
    requestBody={
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            },
        }
    }
)
def deploy():
    who = actor()
    require_role(who, "admin")
    files, forms = _upload()
    deployed = db().run(use.deploy, files, forms, who.username)
    body: dict = {"items": [d.definition for d in deployed]}
    if len(deployed) == 1:
        only = deployed[0].definition
        body.update({k: getattr(only, k) for k in ("key", "name", "version", "checksum", "deployed_at")})
    return body, 201 if any(d.created for d in deployed) else 200


@blp.route("/process-definitions")
@blp.arguments(Page, location="query")
@blp.response(200, DefinitionList)
def list_definitions(query):
    actor()
    items, total = db().read(use.list_latest, query["limit"], query["offset"])
    return {"items": items, "total": total}


@blp.route("/process-definitions/<string:key>")
@blp.arguments(DefinitionQuery, location="query")
@blp.response(200, DefinitionSchema)
def get_definition(query, key):
    actor()
    return db().read(use.get_definition, key, query.get("version"))


@blp.route("/process-definitions/<string:key>/xml")
@blp.arguments(DefinitionQuery, location="query")
@blp.response(200, {"type": "string"}, content_type="application/xml")
def get_xml(query, key):
    actor()
    xml = db().read(lambda session: use.bpmn_xml(use.get_definition(session, key, query.get("version"))))
    return Response(xml, mimetype="application/xml")


class HeatmapQuery(Strict):
    """``from``/``to``: ISO dates (a whole local day) or date-times (no offset: Europe/London)."""

    from_ = fields.String(
        data_key="from",
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "start of the period (a date: its local midnight); default 90 days before 'to'"
        },
    )
    to = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "end of the period (a date: included, to its end); default now"},
    )

    @post_load
    def _period(self, data, **kwargs):
        try:
            return {"period": heatmap.period(data.get("from_"), data.get("to"))}
        except Invalid as err:
            raise ValidationError(err.errors or {}) from None


class HeatmapItem(Schema):
    activity_id = fields.String()
    name = fields.String()
    waiting_now = fields.Raw(metadata={"description": 'an integer; "<5" for a commissioner when 1 to 4'})
    completed = fields.Raw(metadata={"description": 'an integer; "<5" for a commissioner when 1 to 4'})
    median_wait_s = fields.Float(allow_none=True)
    p90_wait_s = fields.Float(allow_none=True)


class Heatmap(Schema):
    process = fields.String()
    from_ = fields.String(data_key="from")
    to = fields.String()
    items = fields.List(fields.Nested(HeatmapItem))


@blp.route("/process-definitions/<string:key>/heatmap")
@blp.arguments(HeatmapQuery, location="query", unknown=RAISE)  # webargs would drop unknown parameters
@blp.response(200, Heatmap)
def get_heatmap(query, key):
    """Per user task of the latest version: tasks waiting there now, tasks completed in the period and
    the median and 90th percentile of their waits (``task_ready`` to ``task_completed``, seconds), from
    the history of every version's instances.  Commissioners see counts 1-4 as ``"<5"`` and the wait
    figures over fewer than 5 tasks as null."""
    start, end = query["period"]
    body = db().read(heatmap.heatmap, actor(), key, start, end)
    for item in body["items"]:
        item["name"] = texts.task_name(key, item["activity_id"], item["name"])
    body["from_"] = body.pop("from")
    return body
