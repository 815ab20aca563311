"""The supervision calendar page: per advocate, who is due or overdue for supervision, appraisal, DBS re-check.

The same use case as ``GET /api/v1/reports/supervision`` (``cases.supervision_calendar``), called with
the viewer's ``Actor``: managers and commissioners (``permissions.ROUTES``), workforce dates only.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from service.access.permissions import ROUTES, Actor
from service.base.languages import N_
from service.base.problems import Forbidden
from service.cases import instances as use_cases
from service.cases import supervision_calendar as calendar
from service.web.session import database, login_required

blp = Blueprint("web_supervision", __name__)

ROLES = ROUTES[("GET", "/reports/supervision")]
CHECK_NAMES = {
    "supervision": N_("1:1 supervision and case-file audit"),
    "appraisal": N_("Yearly appraisal"),
    "qualification_check": N_("Qualification check"),
    "dbs_recheck": N_("DBS re-check (every 3 years)"),
    "update_service_check": N_("DBS Update Service status check"),
}
STATUS_NAMES = {"overdue": N_("Overdue"), "due": N_("Due"), "scheduled": N_("Scheduled")}


@blp.route("/supervision")
@login_required
def supervision(who: Actor):
    if who.role not in ROLES:
        raise Forbidden(f"the {who.role} role may not see the supervision calendar")
    status = request.args.get("status", "").strip()
    error = None
    if status and status not in calendar.STATUSES:
        error, status = _("Choose overdue, due or scheduled"), ""
    report = database().read(
        calendar.supervision_calendar, who, now=use_cases.utcnow(), status=status or None
    )
    return render_template(
        "supervision.html",
        who=who,
        report=report,
        status=status,
        error=error,
        check_names=CHECK_NAMES,
        status_names=STATUS_NAMES,
    ), (422 if error else 200)
