"""The logged-in user's notifications: the badge in every page's header, the list, marking one read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from service.access.permissions import Actor
from service.cases import notifications as use
from service.http.csrf import csrf_protect
from service.web.listing import PAGE, page_count, page_number
from service.web.session import database, login_required, web_actor

blp = Blueprint("web_notices", __name__)


def unread_notifications() -> int:
    """How many of the logged-in user's notifications are unread (0 when nobody is logged in)."""
    who = web_actor()
    if who is None:
        return 0
    try:
        return database().read(use.unread_count, who)
    except Exception:  # the badge never breaks a page
        return 0


@blp.route("/notifications")
@login_required
def notifications(who: Actor):
    page = page_number(request.args)
    items, total = database().read(use.list_notifications, who, limit=PAGE, offset=(page - 1) * PAGE)
    return render_template(
        "notifications.html", who=who, items=items, total=total, page=page, pages=page_count(total)
    )


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
@csrf_protect
def mark_read(who: Actor, notification_id: int):
    database().run(use.mark_read, who, notification_id)
    return redirect(url_for("web_notices.notifications"), code=303)
