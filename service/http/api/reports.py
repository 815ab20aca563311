"""Reports for commissioners: the quarterly monitoring return and the commissioning cycles."""

from __future__ import annotations

import re

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from service.base.quarter import QUARTER_TEXT
from service.cases import instances as use_cases
from service.cases import supervision_calendar as calendar
from service.cases.reports import commissioning as commissioning_report
from service.cases.reports import quarterly as reports
from service.cases.reports import workbook
from service.http.context import actor, db
from service.web.filters import language

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Commissioner reports")


class QuarterlyQuery(Schema):
    class Meta:
        unknown = RAISE

    sla = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quarter = fields.String(
        required=True,
        validate=validate.Regexp(QUARTER_TEXT, error="expected a quarter like 2026Q1"),
        metadata={"description": "YYYYQn, e.g. 2026Q1 (1 January to 31 March, Europe/London)"},
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv", "xlsx"]),
        metadata={
            "description": "json (default), csv (one figure,value row per figure) or xlsx (a spreadsheet)"
        },
    )
    stories = fields.Integer(
        load_default=50,
        validate=validate.Range(min=0, max=500),
        metadata={"description": "at most this many shareable outcome stories (default 50)"},
    )


class CommissioningQuery(Schema):
    class Meta:
        unknown = RAISE

    include_ended = fields.Boolean(load_default=False, metadata={"description": "ended cycles too"})


_JSON_OR_CSV = {
    "200": {
        "description": 'the quarterly return (API.md); counts 1-4 are "<5" for a commissioner; '
        "as_of: when its figures were computed (stale: true when ADVOCACY_FLOW_REPORT_MAX_LAG let a copy "
        "older than the last change be served)",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            workbook.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


class SupervisionQuery(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(
        validate=validate.OneOf(calendar.STATUSES),
        metadata={"description": "only advocates with an entry of this status (overdue, due, scheduled)"},
    )
    grace_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=0, max=90),
        metadata={"description": "a pending check is overdue this many days after its date (default 7)"},
    )
    soon_days = fields.Integer(
        load_default=14,
        validate=validate.Range(min=0, max=366),
        metadata={"description": "a check within this many days is due (default 14)"},
    )


def _attachment(report, extension: str) -> dict[str, str]:
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"quarterly-{report['sla']}-{report['quarter']}")
    return {"Content-Disposition": f'attachment; filename="{name}.{extension}"'}


def _json(body):
    response = current_app.json.response(body)
    response.status_code = 200
    return response


@blp.route("/reports/quarterly")
@blp.arguments(QuarterlyQuery, location="query")
@blp.doc(responses=_JSON_OR_CSV)
def quarterly(query):
    """The quarterly monitoring return for one SLA: referrals, eligibility, response times,
    escalations, cases, outcomes (``rights_upheld`` of non-instructed cases; ``voice_heard_rate`` of
    instructed ones), safeguarding concerns, complaints, equality monitoring, cases ended early,
    Welsh-medium advocacy and shareable stories; ``?format=csv`` for one ``figure,value`` row per
    figure, ``?format=xlsx`` for a spreadsheet (a Summary sheet, then a sheet per section, in the
    caller's language, each figure's key in a column of its own).  Commissioners see counts under 5 as ``"<5"``, rates over fewer than 5 cases as null,
    and a story's advocacy type only when 5 or more cases of that type closed in the quarter."""
    caller = actor()
    report = db().read(reports.quarterly, caller, query["sla"], query["quarter"], stories=query["stories"])
    if query["format"] == "csv":
        body = reports.to_csv(report, language())
        return Response(body, mimetype="text/csv", headers=_attachment(report, "csv"))
    if query["format"] == "xlsx":
        body = workbook.workbook(report, language())
        return Response(body, mimetype=workbook.MEDIA_TYPE, headers=_attachment(report, "xlsx"))
    return _json(report)


@blp.route("/reports/commissioning")
@blp.arguments(CommissioningQuery, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "each cycle: id, service_name, local_authority, stage, step, days_in_stage, "
            "contract_end (plus status, step_name, days_by_stage); and contracts ending within 6 months",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
)
def commissioning(query):
    """Each commissioning cycle with its stage, current step and time in each stage."""
    return _json(db().read(commissioning_report.commissioning, actor(), include_ended=query["include_ended"]))


@blp.route("/reports/supervision")
@blp.arguments(SupervisionQuery, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "as_of, grace_days, soon_days and items: per running advocate_supervision record "
            "the advocate, appointed_on, month, overdue, due and checks (check, due_at, status, pending); "
            "instance_id for managers only",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
)
def supervision(query):
    """The supervision calendar: per advocate, the next supervision, appraisal, DBS re-check or Update
    Service check and qualification check, and whether each is due or overdue.  Workforce dates only."""
    report = db().read(
        calendar.supervision_calendar,
        actor(),
        now=use_cases.utcnow(),
        grace_days=query["grace_days"],
        soon_days=query["soon_days"],
        status=query.get("status"),
    )
    return _json(report)
