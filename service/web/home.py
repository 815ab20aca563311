"""Each role's start page and the pages it may open (the navigation)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from service.access.permissions import Actor
from service.web.session import login_required

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
        ("Supervision", "web_supervision.supervision"),
    ],
    "advocate": [("Inbox", "web_inbox.inbox"), ("My cases", "web_cases.cases")],
    "commissioner": [
        ("Dashboard", "web_dashboard.dashboard"),
        ("Inbox", "web_inbox.inbox"),
        ("Cycles and escalations", "web_cases.cases"),
        ("Start", "web_cases.start_list"),
        ("Supervision", "web_supervision.supervision"),
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
