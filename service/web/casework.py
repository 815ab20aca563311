"""The case page's referral actions: Raise a safeguarding concern (advocate, manager), End the case early."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from service.access.permissions import Actor
from service.cases import casework_actions
from service.http.csrf import csrf_protect
from service.web.session import database, login_required

blp = Blueprint("web_casework", __name__)


@blp.route("/cases/<instance_id>/safeguarding-concern", methods=["POST"])
@login_required
@csrf_protect
def raise_concern(who: Actor, instance_id: str):
    database().run(casework_actions.raise_safeguarding_concern, who, instance_id)
    flash(
        _("Safeguarding concern raised: a manager's safeguarding decision is now open. The case goes on."),
        "success",
    )
    return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)


@blp.route("/cases/<instance_id>/end-early", methods=["POST"])
@login_required
@csrf_protect
def end_early(who: Actor, instance_id: str):
    database().run(casework_actions.request_early_end, who, instance_id)
    flash(_("The step 'End the case early' is open in your inbox: record the reason there."), "success")
    return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)
