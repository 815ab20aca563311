"""Cases (process instances): the list, one case with its diagram, and starting a process."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from service.access.permissions import Actor, can_see_content
from service.base.problems import Invalid, NotFound
from service.cases import casework_actions, queries, reassign
from service.cases import instances as use
from service.cases import record as case_record
from service.cases.definitions import get_definition, list_latest, model_of
from service.cases.end_reasons import END_REASONS
from service.cases.end_reasons import LABELS as END_REASON_LABELS
from service.http.csrf import csrf_protect
from service.http.problem_texts import translate
from service.web import forms, heatmap_panel, message_names, record, texts, variable_names
from service.web.charts import number
from service.web.listing import PAGE, STATUSES, instances_with_names, page_count, page_number, process_names
from service.web.session import database, login_required

blp = Blueprint("web_cases", __name__)


@blp.route("/cases")
@login_required
def cases(who: Actor):
    process = request.args.get("process") or None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    page = page_number(request.args)
    filters = {"process": process, "status": status, "limit": PAGE, "offset": (page - 1) * PAGE}

    heat_args = request.args.copy()
    if process and not heat_args.get("hm_process"):
        heat_args["hm_process"] = process  # the heat map of the process the list shows

    def read(session):
        return (
            *instances_with_names(session, who, filters),
            heatmap_panel.panel(session, who, heat_args, eager=False),
        )

    items, total, names, heat = database().read(read)
    body = render_template(
        "cases.html",
        heat=heat,
        heat_action=url_for("web_cases.cases"),
        heat_keep={"process": process or "", "status": status or ""},
        fig=number,
        who=who,
        items=items,
        total=total,
        names=names,
        process=process,
        status=status,
        statuses=STATUSES,
        page=page,
        pages=page_count(total),
    )
    return body, 422 if heat and heat["error"] else 200


@blp.route("/cases/<instance_id>")
@login_required
def case(who: Actor, instance_id: str):
    def read(session) -> dict[str, Any]:
        view = queries.instance_view(session, who, instance_id)
        page: dict[str, Any] = {"case": view, "names": process_names(session), "diagram": None, "events": []}
        page.update(element_names={}, labels={}, messages=[], actions={}, assignable={})
        if who.role == "manager":
            page["assignable"] = reassign.candidates(session, {t.role for t in view["active_tasks"]})
        instance, model = use.load_instance(session, instance_id)
        page["element_names"] = texts.element_names(
            instance.process_key, model.names
        )  # the diagram's, not content
        if not can_see_content(who):
            return page
        events = case_record.history(session, who, instance_id)  # an auditor's look is recorded
        localised = texts.forms(instance.process_key, model.forms)
        titles = {**variable_names.value_titles(), **record.value_titles(localised)}
        view["variables"] = record.readable(view["variables"], titles)
        page.update(
            diagram=texts.relabel_diagram(
                case_record.diagram_of(session, instance, events), instance.process_key
            ),
            events=[e for e in events if e["type"] != "record_read" or who.role == "auditor"],
            labels={**variable_names.labels(), **record.field_labels(localised)},
        )
        page["actions"] = casework_actions.available(instance, who)
        own = (casework_actions.SAFEGUARDING, casework_actions.END_EARLY)  # offered as actions below
        if instance.business_key and _may_send(who, model.start_role):
            names = (instance.waiting_messages or {}).get("names", [])
            page["messages"] = [
                n for n in names if n not in own or instance.process_key != "referral_casework"
            ]
        return page

    page = (database().run if who.role == "auditor" else database().read)(read)
    view = page["case"]
    return render_template(
        "case.html",
        who=who,
        case=view,
        process_name=page["names"].get(view["process_key"], view["process_key"]),
        diagram=page["diagram"],
        element_names=page["element_names"],
        labels=page["labels"],
        messages=page["messages"],
        actions=page["actions"],
        assignable=page["assignable"],
        task_names={
            t.id: texts.task_name(view["process_key"], t.activity_id, t.name) for t in view["active_tasks"]
        },
        milestone_name=texts.milestone_name,
        message_name=message_names.message_name,
        timeline=record.timeline(page["events"], page["element_names"]),
        now=use.utcnow(),
        may_cancel=who.role in ("manager", "admin") and view["status"] not in ("completed", "cancelled"),
        end_reasons=[(code, END_REASON_LABELS[code]) for code in END_REASONS],
    )


def _may_send(who: Actor, start_role: str | None) -> bool:
    """Who may record that a message arrived: as ``POST /messages`` (a casework role of the process)."""
    return who.role in ("manager", "commissioner", "advocate") and who.role in ("manager", start_role)


@blp.route("/cases/<instance_id>/message", methods=["POST"])
@login_required
@csrf_protect
def message(who: Actor, instance_id: str):
    name = request.form.get("name", "")

    def run(session) -> int:
        instance = queries.visible_instance(session, who, instance_id)
        if name not in (instance.waiting_messages or {}).get("names", []) or not instance.business_key:
            raise Invalid("this case is not waiting for that message", errors={"name": ["not awaited"]})
        return len(use.deliver_message(session, who, name, instance.business_key, {}))

    delivered = database().run(run)
    also = (
        " "
        + ngettext(
            "(and %(num)d other case with this reference)",
            "(and %(num)d other cases with this reference)",
            delivered - 1,
        )
        if delivered > 1
        else ""
    )
    flash(gettext("Recorded: %(name)s", name=message_names.in_sentence(name)) + f"{also}.", "success")
    return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)


@blp.route("/cases/<instance_id>/assign", methods=["POST"])
@login_required
@csrf_protect
def assign(who: Actor, instance_id: str):
    """A manager's Reassign control: ``POST /tasks/{id}/assign`` from the case page."""
    task_id, assignee = request.form.get("task_id", ""), request.form.get("assignee", "")

    def run(session):
        queries.visible_instance(session, who, instance_id)
        task = use.get_task(session, task_id)
        if task.instance_id != instance_id:
            raise NotFound(f"no task {task_id} on this case")
        reassign.assign_task(session, who, task_id, assignee)

    try:
        database().run(run)
    except Invalid as err:
        why = "; ".join(translate(m) for ms in (err.errors or {}).values() for m in ms)
        flash(gettext("Not reassigned: %(why)s", why=why), "error")
        return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)
    flash(gettext("Reassigned to %(name)s.", name=assignee), "success")
    return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)


@blp.route("/cases/<instance_id>/cancel", methods=["POST"])
@login_required
@csrf_protect
def cancel(who: Actor, instance_id: str):
    reason = request.form.get("reason", "").strip()
    reason_code = request.form.get("reason_code", "")
    if not reason or "\x00" in reason or len(reason) > 2000 or reason_code not in END_REASONS:
        flash(
            gettext("Choose why the case ends and give a reason (up to 2,000 characters) to cancel a case."),
            "error",
        )
        return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)

    def run(session):
        use.cancel_instance(session, who, instance_id, reason, reason_code=reason_code)

    database().run(run)
    flash(gettext("The case is cancelled."), "success")
    return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)


# -- starting a process -----------------------------------------------------------------------


def _startable(session, who: Actor) -> list[dict[str, Any]]:
    items, _ = list_latest(session, 500, 0)
    result = []
    for definition in items:
        model = model_of(definition)
        if (model.start_role or "manager") == who.role:
            start = model.start_event or ""
            form = texts.form(model.forms.get(start, {}), definition.key, start) or {}
            result.append(
                {
                    "key": definition.key,
                    "name": texts.process_name(definition.key, definition.name),
                    "description": form.get("description", ""),
                }
            )
    return result


@blp.route("/start")
@login_required
def start_list(who: Actor):
    items = database().read(_startable, who)
    return render_template("start_list.html", who=who, items=items)


def _start_form(session, who: Actor, process: str) -> tuple[str, dict[str, Any]]:
    definition = get_definition(session, process)
    model = model_of(definition)
    if (model.start_role or "manager") != who.role:
        raise NotFound(f"no process '{process}' that you may start")
    start = model.start_event or ""
    schema = texts.form(model.forms.get(start, {}), process, start) or {}
    return texts.process_name(process, definition.name), schema


def _start_page(who: Actor, process: str, *, values=None, errors=None, business_key: str = "", status=200):
    name, schema = database().read(_start_form, who, process)
    fields = forms.fields_of(schema, values, errors)
    page = render_template(
        "start.html",
        who=who,
        process=process,
        name=name,
        schema=schema,
        fields=fields,
        errors=errors or {},
        business_key=business_key,
    )
    return page, status


@blp.route("/start/<process>")
@login_required
def start(who: Actor, process: str):
    return _start_page(who, process)


@blp.route("/start/<process>", methods=["POST"])
@login_required
@csrf_protect
def start_post(who: Actor, process: str):
    _, schema = database().read(_start_form, who, process)
    data, errors = forms.submitted(schema, request.form)
    business_key = request.form.get("business_key", "").strip()
    if "\x00" in business_key or len(business_key) > 255:
        errors["business_key"] = ["Enter a reference of up to 255 characters"]
    if errors:
        return _start_page(who, process, values=data, errors=errors, business_key=business_key, status=422)

    def run(session):
        return use.start_instance(session, who, process, data, business_key=business_key or None).id

    try:
        instance_id = database().run(run)
    except Invalid as err:
        errors = forms.merge(err.errors or {"_": [err.detail]})
        return _start_page(who, process, values=data, errors=errors, business_key=business_key, status=422)
    flash(gettext("Started. Its first task is in the inbox of the people who do it."), "success")
    return redirect(url_for("web_cases.case", instance_id=instance_id), code=303)
