"""The admin's migration page: move running cases of a process to another version of its diagram.

A form (process, target version, mapping lines ``old = new``, dry run first), posted with the session's CSRF
token like every other form; the result table shows each case, the version it was on, and why a move was
refused.  It calls the same use case as ``POST /migrations`` (``service.cases.migrations``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from service.access.permissions import Actor, require_role
from service.base.problems import Invalid
from service.cases import migrations
from service.http.csrf import csrf_protect
from service.http.problem_texts import translate
from service.web.session import database, login_required

blp = Blueprint("web_migration", __name__)


def _mapping(text: str) -> tuple[dict[str, str], list[str]]:
    mapping: dict[str, str] = {}
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        old, sep, new = line.partition("=")
        if not sep or not old.strip() or not new.strip():
            errors.append(_("Line %(number)s is not of the form old_id = new_id", number=number))
        elif old.strip() in mapping:
            errors.append(_("Line %(number)s maps %(id)s a second time", number=number, id=old.strip()))
        else:
            mapping[old.strip()] = new.strip()
    return mapping, errors


def _page(
    who: Actor, form: dict[str, str], errors: dict[str, list[str]], items: Any, dry_run: bool, status=200
):
    processes = database().read(migrations.processes)
    errors = {name: [translate(m) for m in messages] for name, messages in errors.items()}
    if items is not None:  # the engine's and the use case's English, in the page's language
        items = [
            {**item, "problems": [{**p, "message": translate(p["message"])} for p in item["problems"]]}
            for item in items
        ]
    return (
        render_template(
            "migration.html",
            who=who,
            form=form,
            errors=errors,
            items=items,
            dry_run=dry_run,
            processes=processes,
        ),
        status,
    )


@blp.route("/migrations")
@login_required
def migration(who: Actor):
    require_role(who, "admin")
    return _page(who, {"process": "", "to_version": "", "mapping": ""}, {}, None, True)


@blp.route("/migrations", methods=["POST"])
@login_required
@csrf_protect
def migration_post(who: Actor):
    require_role(who, "admin")
    form = {name: (request.form.get(name) or "")[:20000] for name in ("process", "to_version", "mapping")}
    dry_run = request.form.get("action") != "migrate"
    errors: dict[str, list[str]] = {}
    mapping, mapping_errors = _mapping(form["mapping"])
    if mapping_errors:
        errors["mapping"] = mapping_errors
    if not form["process"]:
        errors["process"] = [_("Choose a process")]
    version = (
        int(form["to_version"]) if form["to_version"].isdigit() and len(form["to_version"]) < 10 else None
    )
    if version is None:
        errors["to_version"] = [_("Enter the target version as a whole number")]
    if errors:
        return _page(who, form, errors, None, dry_run, 422)
    try:
        items = migrations.migrate(database(), who, form["process"], version, mapping, None, dry_run)
    except Invalid as err:
        return _page(who, form, err.errors or {"_": [err.detail]}, None, dry_run, 422)
    return _page(who, form, {}, items, dry_run)
