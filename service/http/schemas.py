"""Request and response bodies (marshmallow); the OpenAPI document is generated from these."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from service.cases.end_reasons import END_REASONS
from workflows.history import EVENT_TYPES


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Page(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class Health(Schema):
    status = fields.String()
    database = fields.String()
    scheduler = fields.String()


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    role = fields.String()


class Definition(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    checksum = fields.String()
    deployed_at = fields.DateTime()


class DefinitionList(Schema):
    items = fields.List(fields.Nested(Definition))
    total = fields.Integer()


class DeployResponse(Definition):
    """The deployed definitions; with one process, its fields at the top level too."""

    items = fields.List(fields.Nested(Definition))


class DefinitionQuery(Strict):
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class TaskOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    process = fields.String(attribute="process_key")
    activity_id = fields.String()
    name = fields.String()
    role = fields.String()
    assignee = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)


class TaskWithForm(TaskOut):
    form = fields.Dict()


class TaskList(Schema):
    items = fields.List(fields.Nested(TaskOut))
    total = fields.Integer()


class TaskQuery(Page):
    mine = fields.Boolean()
    role = fields.String(validate=validate.OneOf(["admin", "commissioner", "manager", "advocate"]))
    process = fields.String(validate=validate.Length(max=128))
    instance = fields.UUID()
    overdue = fields.Boolean()


class AssignRequest(Strict):
    assignee = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CompleteRequest(Strict):
    data = fields.Dict(keys=fields.String(), required=True)


class DeadlineOut(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    activity_id = fields.String()
    kind = fields.String()
    milestone = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    status = fields.String()
    fired_at = fields.DateTime(allow_none=True)


class DeadlineList(Schema):
    items = fields.List(fields.Nested(DeadlineOut))
    total = fields.Integer()


class DeadlineQuery(Page):
    instance = fields.UUID()
    status = fields.String(validate=validate.OneOf(["pending", "fired", "cancelled"]))


class StartRequest(Strict):
    process = fields.String(required=True, validate=validate.Length(min=1, max=128))
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    business_key = fields.String(allow_none=True, validate=validate.Length(max=255))
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class InstanceOut(Schema):
    id = fields.String()
    process = fields.String(attribute="process_key")
    version = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    stage = fields.String(allow_none=True)
    variables = fields.Dict()
    active_tasks = fields.List(fields.Nested(TaskOut))
    deadlines = fields.List(fields.Nested(DeadlineOut))
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    end_state = fields.String(allow_none=True)


class InstanceSummary(Schema):
    id = fields.String()
    process = fields.String(attribute="process_key")
    version = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    stage = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    end_state = fields.String(allow_none=True)


class InstanceList(Schema):
    items = fields.List(fields.Nested(InstanceSummary))
    total = fields.Integer()


class InstanceQuery(Page):
    process = fields.String(validate=validate.Length(max=128))
    status = fields.String(validate=validate.OneOf(["running", "waiting", "completed", "cancelled", "error"]))
    business_key = fields.String(validate=validate.Length(max=255))
    stage = fields.String(validate=validate.Length(max=64))


class CancelRequest(Strict):
    reason_code = fields.String(required=True, validate=validate.OneOf(END_REASONS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class Event(Schema):
    seq = fields.Integer()
    at = fields.String()
    type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    actor = fields.String(allow_none=True)
    activity_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    data = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class History(Schema):
    items = fields.List(fields.Nested(Event))


class MessageRequest(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    business_key = fields.String(required=True, validate=validate.Length(min=1, max=255))
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class MessageResponse(Schema):
    delivered_to = fields.List(fields.String())


class SlaBody(Strict):
    provider = fields.String(required=True, validate=validate.Length(min=1, max=255))
    commissioner = fields.String(required=True, validate=validate.Length(min=1, max=255))
    targets = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")),
        values=fields.String(validate=validate.Length(min=2, max=64)),
        required=True,
        validate=validate.Length(min=1),
    )
    urgent = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")),
        values=fields.String(validate=validate.Length(min=2, max=64)),
        load_default=dict,
    )
    calendar = fields.String(load_default="working_days", validate=validate.OneOf(["working_days", "clock"]))
    breach_threshold = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))


class SlaCreate(SlaBody):
    key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"))


class SlaOut(Schema):
    key = fields.String()
    provider = fields.String()
    commissioner = fields.String()
    targets = fields.Dict()
    urgent = fields.Dict()
    calendar = fields.String()
    breach_threshold = fields.Integer()
    is_default = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SlaList(Schema):
    items = fields.List(fields.Nested(SlaOut))
    total = fields.Integer()
