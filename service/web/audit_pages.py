"""(being built)"""

from __future__ import annotations

from flask import Blueprint

from ..permissions import Actor
from .session import login_required

blp = Blueprint("web_audit", __name__)


@blp.route("/audit")
@login_required
def pick(who: Actor):
    return "being built"
