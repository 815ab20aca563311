"""The web interface: pages for managers, advocates, commissioners and auditors.

Served by the same Flask application as the API, calling the same use cases
(``service.instances``, ``service.queries``, ``service.audit``,
``service.reports``) with the same ``Actor``, so a page can never show or do
more than the API would let that user.  Templates are in ``templates/``, the
style sheet and scripts in ``static/``; bpmn-js is copied into
``static/vendor/`` by ``make vendor`` from the npm registry (never fetched by
the browser from elsewhere).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from service.access.permissions import Actor
from service.base.problems import Problem
from service.web.session import login_required, web_actor
from workflows.calendar import service_timezone

blp = Blueprint("web", __name__)

# Where each role starts its day, and the pages it may open (label, endpoint).
HOME = {
    "manager": "web_inbox.inbox",
    "advocate": "web_inbox.inbox",
    "commissioner": "web_dashboard.dashboard",
    "auditor": "web_audit.pick",
    "admin": "web_cases.cases",
}
NAV = {
    "manager": [
        ("Inbox", "web_inbox.inbox"),
        ("Cases", "web_cases.cases"),
        ("Start", "web_cases.start_list"),
        ("SLA dashboard", "web_dashboard.dashboard"),
    ],
    "advocate": [("Inbox", "web_inbox.inbox"), ("My cases", "web_cases.cases")],
    "commissioner": [
        ("Dashboard", "web_dashboard.dashboard"),
        ("Inbox", "web_inbox.inbox"),
        ("Cycles and escalations", "web_cases.cases"),
        ("Start", "web_cases.start_list"),
    ],
    "auditor": [
        ("Audit", "web_audit.pick"),
        ("Cases", "web_cases.cases"),
        ("Dashboard", "web_dashboard.dashboard"),
    ],
    "admin": [("Instances", "web_cases.cases")],
}


@blp.route("/")
@login_required
def home(who: Actor):
    return redirect(url_for(HOME.get(who.role, "web_cases.cases")))


def aware(moment: datetime | str | None) -> datetime | None:
    """A stored moment (an aware datetime from the database, or ISO text from the history)."""
    if isinstance(moment, str):
        return datetime.fromisoformat(moment)
    return moment


def when(moment: datetime | str | None, with_time: bool = True) -> str:
    """A moment for people: in the service's time zone, e.g. 'Thu 26 Nov 2026, 14:30'."""
    value = aware(moment)
    if value is None:
        return "—"
    local = value.astimezone(service_timezone())
    return local.strftime("%a %-d %b %Y, %H:%M" if with_time else "%a %-d %b %Y")


def due_state(due: datetime | str | None, now: datetime | None = None) -> str:
    """'overdue', 'due-soon' (within a day) or ''."""
    value = aware(due)
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value < now:
        return "overdue"
    return "due-soon" if (value - now).total_seconds() < 86_400 else ""


def humanise(name: str) -> str:
    return name.replace("_", " ").capitalize()


def shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{humanise(str(k))}: {shown(v)}" for k, v in value.items()) or "—"
    return str(value)


def _problem_page(err: Problem):
    """A problem raised by a page's use case, as a page (not JSON) with the same status."""
    if err.status == 401:
        return redirect(url_for("web_session.login", next=request.full_path.rstrip("?")))
    if request.method == "POST" and err.status == 409:
        flash(f"{err.detail[:1].upper()}{err.detail[1:]}.", "error")
        return redirect(request.referrer or url_for("web.home"), code=303)
    return render_template("error.html", who=web_actor(), error=err), err.status


def _is_page() -> bool:
    return (request.blueprint or "").startswith("web")


def init_web(app: Flask) -> None:
    from service.http.errors import problem_response
    from service.web import audit_pages, cases, dashboard, inbox, session

    for module in (session, inbox, cases, dashboard, audit_pages):
        app.register_blueprint(module.blp)
    app.register_blueprint(blp)
    unexpected = app.error_handler_spec[None][None][Exception]

    @app.errorhandler(Problem)
    def _problem(err: Problem):  # pages answer with a page, the API with problem details
        return _problem_page(err) if _is_page() else problem_response(err.to_json(), err.status)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if not _is_page() or isinstance(err, HTTPException):
            return unexpected(err)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        failed = Problem("the service failed; the error was logged, and nothing was changed")
        failed.status, failed.title = 500, "Something went wrong"
        return render_template("error.html", who=None, error=failed), 500

    app.jinja_env.filters.update(when=when, due_state=due_state, humanise=humanise, shown=shown)
    app.jinja_env.globals.update(nav=NAV, web_actor=web_actor)
