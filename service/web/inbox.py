"""The task inbox and a task's page: claim it, fill in its form, complete it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from service.access.permissions import Actor, can_see_content
from service.base.languages import N_
from service.base.problems import Conflict, Invalid
from service.cases import casework_rules, queries
from service.cases import instances as use
from service.http.csrf import csrf_protect
from service.http.problem_texts import translate
from service.web import forms, record, texts, variable_names
from service.web.listing import PAGE, page_count, page_number, process_names
from service.web.session import database, login_required

blp = Blueprint("web_inbox", __name__)
VIEWS = {
    "mine": N_("Assigned to me"),
    "unclaimed": N_("Unclaimed, for my role"),
    "all": N_("Every task I may see"),
}


def _filters(who: Actor, args) -> dict[str, Any]:
    view = args.get("view") if args.get("view") in VIEWS else "mine"
    page = page_number(args)
    filters: dict[str, Any] = {
        "view": view,
        "process": args.get("process") or None,
        "overdue": args.get("overdue") == "1",
        "limit": PAGE,
        "offset": (page - 1) * PAGE,
        "page": page,
    }
    if view == "mine":
        filters["mine"] = True
    elif view == "unclaimed":
        filters["unassigned"] = True
        filters["role"] = who.role
    return filters


@blp.route("/inbox")
@login_required
def inbox(who: Actor):
    filters = _filters(who, request.args)
    now = use.utcnow()

    def read(session):
        items, total = queries.list_tasks(session, who, filters, now)
        if total == 0 and "view" not in request.args and who.role in ("manager", "advocate", "commissioner"):
            # the first screen shows work: nothing assigned to this user, so the role's queue
            filters.update(_filters(who, {"view": "unclaimed"}))
            filters.pop("mine", None)
            items, total = queries.list_tasks(session, who, filters, now)
        keys = queries.business_keys(session, {t.instance_id for t in items})
        return [_row(t, keys.get(t.instance_id)) for t in items], total, process_names(session)

    items, total, names = database().read(read)
    pages = page_count(total)
    return render_template(
        "inbox.html",
        who=who,
        items=items,
        total=total,
        filters=filters,
        views=VIEWS,
        names=names,
        now=now,
        pages=pages,
    )


def _row(task, business_key: str | None) -> dict[str, Any]:
    return {
        "business_key": business_key,
        "id": task.id,
        "name": texts.task_name(task.process_key, task.activity_id, task.name),
        "process_key": task.process_key,
        "instance_id": task.instance_id,
        "role": task.role,
        "assignee": task.assignee,
        "due_at": task.due_at,
        "created_at": task.created_at,
    }


def _task_page(who: Actor, task_id: str, *, values=None, errors=None, status: int = 200):
    def read(session):
        task = queries.task_view(session, who, task_id)
        instance = queries.visible_instance(session, who, task["instance_id"])
        names = process_names(session)
        schema = task["form"] or {}
        if (task["process_key"], task["activity_id"]) == ("referral_casework", "allocate_advocate"):
            schema = _with_advocates(
                session, schema, (instance.variables or {}).get("welsh_medium_requested")
            )
        _, model = use.load_instance(session, instance.id)
        about = model.forms if can_see_content(who) else {}
        return (
            task,
            instance.variables if can_see_content(who) else {},
            instance.business_key,
            names,
            schema,
            texts.forms(task["process_key"], about),
        )

    task, variables, business_key, names, schema, localised = database().read(read)
    task = {
        **task,
        "name": texts.task_name(task["process_key"], task["activity_id"], task["name"]),
        "form": texts.form(schema or task["form"], task["process_key"], task["activity_id"]),
    }
    schema = task["form"] or {}
    labels = {**variable_names.labels(), **record.field_labels(localised)}
    shown = record.readable(variables, {**variable_names.value_titles(), **record.value_titles(localised)})
    context = [
        (labels.get(k, k.replace("_", " ").capitalize()), shown.get(k))
        for k in schema.get("x-context", [])
        if k in variables
    ]
    may_work = who.role == task["role"] and task["assignee"] in (None, who.username)
    if values is None:  # a form opens with what the case already holds (e.g. the type to confirm)
        values = {k: v for k, v in variables.items() if k in (schema.get("properties") or {})}
    fields = forms.fields_of(schema, values, errors)
    return (
        render_template(
            "task.html",
            who=who,
            task=task,
            schema=schema,
            fields=fields,
            context=context,
            business_key=business_key,
            process_name=names.get(task["process_key"], task["process_key"]),
            may_work=may_work,
            errors=errors or {},
            now=use.utcnow(),
        ),
        status,
    )


def _with_advocates(session, schema: dict[str, Any], welsh_requested: Any) -> dict[str, Any]:
    """The allocation form offers the service's advocates by name, Welsh speakers first if asked for."""
    field = (schema.get("properties") or {}).get("advocate")
    choices = casework_rules.advocate_choices(session, welsh_requested is True, gettext("speaks Welsh"))
    if not isinstance(field, dict) or not choices:
        return schema
    shown = {k: v for k, v in field.items() if k != "pattern"}
    shown["oneOf"] = choices
    return {**schema, "properties": {**schema["properties"], "advocate": shown}}


@blp.route("/inbox/<task_id>")
@login_required
def task(who: Actor, task_id: str):
    return _task_page(who, task_id)


@blp.route("/inbox/<task_id>/claim", methods=["POST"])
@login_required
@csrf_protect
def claim(who: Actor, task_id: str):
    database().run(use.claim_task, who, task_id)
    flash(gettext("The task is now assigned to you."), "success")
    return redirect(url_for("web_inbox.task", task_id=task_id), code=303)


@blp.route("/inbox/<task_id>", methods=["POST"])
@login_required
@csrf_protect
def complete(who: Actor, task_id: str):
    schema = database().read(queries.task_view, who, task_id)["form"]
    data, errors = forms.submitted(schema, request.form)
    if errors:
        return _task_page(who, task_id, values=data, errors=errors, status=422)
    try:
        instance = database().run(_complete, who, task_id, data)
    except Invalid as err:  # the service's own check of the form, or of the values it records
        return _task_page(
            who, task_id, values=data, errors=forms.merge(err.errors or {"_": [err.detail]}), status=422
        )
    except Conflict as err:
        detail = translate(err.detail)
        flash(f"{detail[:1].upper()}{detail[1:]}.", "error")
        return redirect(url_for("web_inbox.inbox"), code=303)
    flash(gettext("Done: the task is complete."), "success")
    return redirect(url_for("web_cases.case", instance_id=instance), code=303)


def _complete(session, who: Actor, task_id: str, data: dict[str, Any]) -> str:
    return use.complete_task(session, who, task_id, data).id
