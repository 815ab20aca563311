"""Each role's start page and the pages it may open (the navigation)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from service.access.permissions import Actor
from service.base.languages import N_
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
# the roles, statuses, stages and milestones as people read them (translated where they are shown)
WORDS = (
    N_("manager"),
    N_("advocate"),
    N_("commissioner"),
    N_("auditor"),
    N_("admin"),
    N_("Running"),
    N_("Waiting"),
    N_("Completed"),
    N_("Cancelled"),
    N_("Error"),
    N_("Open"),
    N_("Analyse"),
    N_("Plan"),
    N_("Deliver"),
    N_("Review"),
    N_("Allocation"),
    N_("First contact"),
    N_("Informed"),
    N_("Involved"),
    N_("Negotiated"),
    N_("Personal achieved"),
    N_("Empowered"),
    N_("Self"),
    N_("Family"),
    N_("Social worker"),
    N_("Health"),
    N_("Care provider"),
    N_("Other"),
    N_("Care act"),
    N_("Ipa wales"),
    N_("Imca"),
    N_("Imha"),
    N_("Generic"),
    N_("Urgent"),
    N_("Standard"),
    N_("Eligible"),
    N_("Not eligible"),
    N_("Pending"),
    N_("Resolved"),
    N_("Remedy accepted"),
    N_("Improved"),
    N_("Contract continued"),
    N_("Decommissioned"),
    N_("In progress"),
)
NAV = {
    "manager": [
        (N_("Inbox"), "web_inbox.inbox"),
        (N_("Cases"), "web_cases.cases"),
        (N_("Start"), "web_cases.start_list"),
        (N_("SLA dashboard"), "web_dashboard.dashboard"),
        (N_("Supervision"), "web_supervision.supervision"),
    ],
    "advocate": [(N_("Inbox"), "web_inbox.inbox"), (N_("My cases"), "web_cases.cases")],
    "commissioner": [
        (N_("Dashboard"), "web_dashboard.dashboard"),
        (N_("Inbox"), "web_inbox.inbox"),
        (N_("Cycles and escalations"), "web_cases.cases"),
        (N_("Start"), "web_cases.start_list"),
        (N_("Supervision"), "web_supervision.supervision"),
    ],
    "auditor": [
        (N_("Audit"), "web_audit.pick"),
        (N_("Cases"), "web_cases.cases"),
        (N_("Dashboard"), "web_dashboard.dashboard"),
    ],
    "admin": [(N_("Instances"), "web_cases.cases"), (N_("Migration"), "web_migration.migration")],
}


@blp.route("/")
@login_required
def home(who: Actor):
    return redirect(url_for(HOME.get(who.role, "web_cases.cases")))
