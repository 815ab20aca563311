"""The heat map panel of the dashboard and the case list: one process's diagram with, on each user task,
the tasks waiting there now and the median wait, and a table of the same figures.

The figures are the API's (``service.cases.heatmap``, as ``GET /process-definitions/{key}/heatmap``
answers them) for the viewer's ``Actor``, so a commissioner sees counts from 1 to 4 as ``<5`` here too.
The panel's own query parameters (``hm_process``, ``hm_from``, ``hm_to``: dates) never clash with the
page's; a bad one is reported in the panel (the page answers 422), the rest of the page still shown.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from babel.dates import format_date
from flask_babel import gettext
from sqlalchemy.orm import Session

from service.access.permissions import COMMISSIONER_ONLY_PROCESSES, Actor
from service.base.problems import Invalid
from service.cases import definitions, heatmap, instances
from service.web import texts
from service.web.charts import number
from service.web.filters import language
from workflows.calendar import service_timezone

ROLES = heatmap.ROLES
PREFERRED = "referral_casework"  # shown first: the casework every provider runs
FIELDS = {"from": "hm_from", "to": "hm_to"}
LEVELS = 4  # heat classes hm-heat-0 (nobody waiting) .. hm-heat-3 (the most)


def wait_text(seconds: float | None) -> str:
    """A wait for people: '2 d 3 h', '5 h 20 min', '12 min', '40 s' (in the request's language)."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return gettext("%(days)s d %(hours)s h", days=number(days), hours=hours)
    if hours:
        return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    if minutes:
        return gettext("%(minutes)s min", minutes=minutes)
    return gettext("%(seconds)s s", seconds=secs)


def _day(moment: datetime, *, end: bool) -> str:
    """A bound of the period as a local day for people ('5 Jan 2026'); ``to`` is the day before its midnight."""
    local = moment.astimezone(service_timezone())
    if end and local.time() == time():
        local -= timedelta(days=1)
    return format_date(local.date(), "d MMM y", locale=language())


def _choices(session: Session, who: Actor) -> dict[str, str]:
    """The processes with user tasks the viewer may read a heat map of: key -> name (latest version)."""
    found, _ = definitions.list_latest(session, 1000, 0)
    out = {}
    for definition in found:
        if who.role == "manager" and definition.key in COMMISSIONER_ONLY_PROCESSES:
            continue
        if definitions.model_of(definition).user_tasks:
            out[definition.key] = texts.process_name(definition.key, definition.name)
    return out


def _heat(value: Any, most: int) -> int:
    if value == "<5":
        return 1
    if not value or not most:
        return 0
    return max(1, min(LEVELS - 1, -(-value * (LEVELS - 1) // most)))


def panel(session: Session, who: Actor, args: Any, *, eager: bool = True) -> dict[str, Any] | None:
    """What the panel shows (None for a role that may not read heat maps).

    ``eager=False``: the figures only once the panel's form was sent (``hm_process`` given); until then
    the form alone, so a busy page (the case list) does not read the history on every visit."""
    if who.role not in ROLES:
        return None
    choices = _choices(session, who)
    if not choices:
        return {"choices": {}, "process": None, "error": None}
    asked = (args.get("hm_process") or "").strip()
    process = asked if asked in choices else (PREFERRED if PREFERRED in choices else next(iter(choices)))
    today = instances.utcnow().astimezone(service_timezone()).date()  # the service's clock
    texts_in = {
        "from": (args.get("hm_from") or "").strip()
        or (today - timedelta(days=heatmap.DEFAULT_DAYS)).isoformat(),
        "to": (args.get("hm_to") or "").strip() or today.isoformat(),
    }
    view: dict[str, Any] = {
        "choices": choices,
        "process": process,
        "from": texts_in["from"],
        "to": texts_in["to"],
        "error": None,
        "unknown": bool(asked) and asked not in choices,
    }
    try:
        start, end = heatmap.period(texts_in["from"], texts_in["to"])
    except Invalid as err:
        field, messages = next(iter((err.errors or {"from": [""]}).items()))
        view["error"] = {
            "field": FIELDS[field],
            "message": gettext("The end date must be after the start date.")
            if messages == [heatmap.ORDER_ERROR]
            else gettext("Enter a date like %(example)s.", example=today.isoformat()),
        }
        return view
    if not eager and not asked:
        return view
    figures = heatmap.heatmap(session, who, process, start, end)
    most = max((i["waiting_now"] for i in figures["items"] if isinstance(i["waiting_now"], int)), default=0)
    rows = []
    for item in figures["items"]:
        rows.append(
            {
                **item,
                "name": texts.task_name(process, item["activity_id"], item["name"]),
                "median_text": wait_text(item["median_wait_s"]),
                "p90_text": wait_text(item["p90_wait_s"]),
                "heat": _heat(item["waiting_now"], most),
            }
        )
    definition = definitions.get_definition(session, process)
    view["rows"] = rows
    view["period_text"] = (_day(start, end=False), _day(end, end=True))
    view["diagram"] = {
        "xml": texts.relabel(definitions.bpmn_xml(definition), process),
        "labels": {"waiting": gettext("Waiting now"), "median": gettext("Median wait")},
        "items": [
            {
                "activity_id": r["activity_id"],
                "waiting": number(r["waiting_now"]),
                "median": r["median_text"],
                "heat": r["heat"],
            }
            for r in rows
        ],
    }
    return view
