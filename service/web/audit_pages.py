"""The auditor's pages: pick an instance, step through its history, verify its chain, export it.

Everything shown comes from the use cases of the API's ``/replay``, ``/diagram`` and ``/history``
(``service.audit``), so the page and the API cannot disagree.  Each view of a record is an
auditor's read, recorded as a ``record_read`` event in the same transaction, exactly as the API
records it: the page at event N records ``{"what": "history", "seq": N}``, each step of the slider
``{"what": "replay", "seq": N}``, each download ``{"what": "history"}``.

Pages work without JavaScript (GET forms and links); ``static/replay.js`` steps the slider in place
with ``GET /audit/<id>/at?seq=N`` (JSON) and checks the chain with ``/audit/<id>/verify?format=json``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext

from service.access.permissions import Actor, require_role
from service.base.problems import Invalid, Problem, Unauthorized
from service.cases import export as exports
from service.cases import instances as use
from service.cases import queries, verification
from service.cases import record as case_record
from service.http.errors import problem_response
from service.web import record, texts
from service.web.filters import when
from service.web.listing import PAGE, STATUSES, instances_with_names, page_count, page_number, process_names
from service.web.session import database, login_required, web_actor

blp = Blueprint("web_audit", __name__)
MAX_SEQ = 2**31 - 1  # as the API's SeqQuery: larger overflows PostgreSQL's integer


def _auditor(who: Actor) -> None:
    require_role(who, "auditor")  # 403 page for every other role


def _seq() -> int | None:
    """``?seq=N``: None when absent or empty; 422 when not a whole number from 1 (as the API)."""
    text = request.args.get("seq", "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_SEQ:
        raise Invalid(
            "an event number is a whole number from 1", errors={"seq": ["Enter a whole number from 1"]}
        )
    return int(text)


# -- picking an instance -------------------------------------------------------------------------


@blp.route("/audit")
@login_required
def pick(who: Actor):
    _auditor(who)
    process = request.args.get("process") or None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    business_key = request.args.get("business_key", "").strip()[:255].replace("\x00", "") or None
    page = page_number(request.args)
    filters = {
        "process": process,
        "status": status,
        "business_key": business_key,
        "limit": PAGE,
        "offset": (page - 1) * PAGE,
    }
    items, total, names = database().read(instances_with_names, who, filters)
    args = {"process": process or "", "status": status or "", "business_key": business_key or ""}
    return render_template(
        "audit_pick.html",
        who=who,
        items=items,
        total=total,
        names=names,
        process=process,
        status=status,
        business_key=business_key or "",
        statuses=STATUSES,
        page=page,
        pages=page_count(total),
        args=args,
    )


# -- stepping through one instance's history ----------------------------------------------------


def _step(event: dict[str, Any] | None, names: dict[str, str]) -> dict[str, Any] | None:
    """An event for people: its label, step name and local time, beside the event as stored."""
    if event is None:
        return None
    activity = event.get("activity_id") or ""
    return {
        "seq": event["seq"],
        "label": gettext(record.EVENT_LABELS[event["type"]])
        if event["type"] in record.EVENT_LABELS
        else event["type"],
        "step": names.get(activity, activity),
        "when": when(event["at"]),
        "event": event,
    }


def _announce(step: dict[str, Any], last: int) -> str:
    text = gettext("Event %(seq)s of %(last)s: %(label)s", seq=step["seq"], last=last, label=step["label"])
    return f"{text}, {step['step']}" if step["step"] else text


def _verification(instance_id: str) -> dict[str, Any]:
    """``verification.verify_chains`` for one instance: ok, or its first broken link (and the retention log's)."""
    _, count, broken = database().read(verification.verify_chains, instance_id)
    mine = [b for b in broken if b.where == instance_id]
    log = [b for b in broken if b.where == "retention_log"]
    return {
        "ok": not mine,
        "events": count,
        "broken": [{"seq": b.seq, "reason": b.reason} for b in mine],
        "retention_log": [{"seq": b.seq, "reason": b.reason} for b in log],
    }


def _replay_page(who: Actor, instance_id: str, verification: dict[str, Any] | None = None):
    _auditor(who)
    seq = _seq()

    def read(session):
        # Without ?seq the page opens at the last event of the case itself, not at an earlier audit read.
        start = seq or queries.last_case_event(session, who, instance_id)
        view = case_record.replay_view(session, who, instance_id, start, with_history=True)
        instance, model = use.load_instance(session, instance_id)
        return view, instance, texts.element_names(instance.process_key, model.names), process_names(session)

    view, instance, names, processes = database().run(read)
    last = view["last_seq"]
    current = _step(view["event"], names)
    rows = [_step(e, names) for e in view["history"]]
    page = render_template(
        "audit_replay.html",
        who=who,
        instance=instance,
        process_name=processes.get(instance.process_key, instance.process_key),
        view=view,
        replay=view["replay"],
        diagram=texts.relabel_diagram(view["diagram"], instance.process_key),
        current=current,
        rows=rows,
        last=last,
        names=names,
        announce=_announce(current, last),
        verification=verification,
        event_json=json.dumps(view["event"]["data"], indent=2, sort_keys=True, ensure_ascii=False),
    )
    return page


@blp.route("/audit/<instance_id>")
@login_required
def replay(who: Actor, instance_id: str):
    return _replay_page(who, instance_id)


@blp.route("/audit/<instance_id>/verify")
@login_required
def verify(who: Actor, instance_id: str):
    """Check the instance's hash chain from the rows (``verification.verify_chains``); JSON with ?format=json."""
    _auditor(who)
    database().read(queries.visible_instance, who, instance_id)  # 404 for an unknown instance
    result = _verification(instance_id)
    if request.args.get("format") == "json":
        return result
    return _replay_page(who, instance_id, result)


def _json_problem(err: Problem):
    return problem_response(err.to_json(), err.status)


@blp.route("/audit/<instance_id>/at")
def at(instance_id: str):
    """The replay, the diagram path and event N as JSON for ``replay.js`` (one recorded read).

    ``replay`` is exactly the API's ``/replay?seq=N``, ``diagram`` its ``/diagram?seq=N`` without the
    XML (the page has it).  Problems are answered as problem details, not pages.
    """
    who = web_actor()
    try:
        if who is None:
            raise Unauthorized("log in to read the record")
        _auditor(who)
        seq = _seq()

        def read(session):
            view = case_record.replay_view(session, who, instance_id, seq)
            instance, model = use.load_instance(session, instance_id)
            return view, texts.element_names(instance.process_key, model.names)

        view, names = database().run(read)
    except Problem as err:
        return _json_problem(err)
    diagram = {k: v for k, v in view["diagram"].items() if k != "xml"}
    step = _step(view["event"], names)
    return {
        "replay": view["replay"],
        "diagram": diagram,
        "event": step,
        "recorded": _step(view["recorded"], names),
        "last_seq": view["last_seq"],
        "announce": _announce(step, view["last_seq"]),
        "url": url_for("web_audit.replay", instance_id=instance_id, seq=view["replay"]["seq"]),
    }


# -- downloads ----------------------------------------------------------------------------------


@blp.route("/audit/<instance_id>/export.<fmt>")
@login_required
def export(who: Actor, instance_id: str, fmt: str):
    """The whole history as an attachment: JSON (``exports.export``) or CSV (``exports.to_csv``).

    Recorded as the API records ``GET …/history``: the download ends with the event of its own read.
    """
    _auditor(who)
    if fmt not in ("json", "csv"):
        raise Invalid("the export is JSON or CSV", errors={"format": ["Choose json or csv"]})

    def read(session):
        case_record.history(session, who, instance_id)  # checks who may read, and records the read
        return exports.export(session, instance_id)

    body = database().run(read)
    disposition = {"Content-Disposition": f'attachment; filename="history-{instance_id}.{fmt}"'}
    if fmt == "csv":
        return Response(exports.to_csv(body["items"]), mimetype="text/csv", headers=disposition)
    text = json.dumps(body, indent=2, sort_keys=True)
    return Response(text, mimetype="application/json", headers=disposition)
