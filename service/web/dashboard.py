"""(being built)"""

from __future__ import annotations

from flask import Blueprint

from ..permissions import Actor
from .session import login_required

blp = Blueprint("web_dashboard", __name__)


@blp.route("/dashboard")
@login_required
def dashboard(who: Actor):
    return "being built"
