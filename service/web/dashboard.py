"""The commissioner dashboard: commissioning cycles, SLA compliance for a quarter, open escalations.

The figures are the reports' own (``commissioning_report.commissioning`` and
``reports.quarterly``, as ``GET /api/v1/reports/commissioning`` and
``/reports/quarterly`` answer them), called with the viewer's ``Actor``: a
commissioner sees counts from 1 to 4 as ``<5`` here exactly as in the API, and a
section is shown only to the roles ``permissions.ROUTES`` lets call its report
(a manager sees SLA compliance, never the commissioning cycles).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext

from service.access.permissions import ROUTES, Actor
from service.base.languages import N_
from service.base.problems import Forbidden
from service.base.quarter import Quarter
from service.cases import queries, slas
from service.cases.reports import commissioning as commissioning_report
from service.cases.reports import quarterly as reports
from service.cases.reports import vocabulary, workbook
from service.web import charts, heatmap_panel, texts
from service.web.charts import Series
from service.web.filters import language
from service.web.session import database, login_required

blp = Blueprint("web_dashboard", __name__)

QUARTERLY_ROLES = ROUTES[("GET", "/reports/quarterly")]
COMMISSIONING_ROLES = ROUTES[("GET", "/reports/commissioning")]
OPEN = ("running", "waiting", "error")
MOST_ESCALATIONS = 100  # listed per status; the count above the table is the full total
RESPONSE_SERIES = [  # labels translated where drawn (charts.stacked_bars)
    Series("met", N_("Met"), "bar-met"),
    Series("missed", N_("Missed"), "bar-missed", pattern="dots"),
    Series("pending", N_("Pending"), "bar-pending"),
]
LEVELS = {
    "contract_review": N_("Contract review (commissioner)"),
    "commissioner_review": N_("Level 2: commissioner"),
    "manager_review": N_("Level 1: service manager"),
}


def current_quarter(now: datetime | None = None) -> str:
    return str(Quarter.of(now or datetime.now(UTC)))


def recent_quarters(current: str, count: int = 8) -> list[str]:
    """``current`` and the quarters before it, newest first."""
    quarter, out = Quarter.parse(current), []
    for _ in range(count):
        out.append(str(quarter))
        quarter = quarter.previous()
    return out


def quarter_label(quarter: str) -> str:
    return Quarter.parse(quarter).label()


@blp.route("/dashboard")
@login_required
def dashboard(who: Actor):
    may_cycles = who.role in COMMISSIONING_ROLES
    may_quarterly = who.role in QUARTERLY_ROLES
    if not (may_cycles or may_quarterly):
        raise Forbidden(f"the {who.role} role may not see the commissioner dashboard")
    now = datetime.now(UTC)
    current = current_quarter(now)
    quarter = request.args.get("quarter", "").strip() or current
    choices = recent_quarters(current)
    try:
        label = quarter_label(quarter)
    except ValueError:
        page = render_template(
            "dashboard.html",
            who=who,
            quarter=quarter,
            choices=choices,
            error=gettext(
                "“%(quarter)s” is not a quarter. Choose one from the list, or write one like %(current)s.",
                quarter=quarter[:20],
                current=current,
            ),
            may_cycles=False,
            may_quarterly=False,
            fig=charts.number,
        )
        return page, 422
    if quarter not in choices:
        choices = sorted({*choices, quarter}, reverse=True)

    def read(session):
        data: dict[str, Any] = {"escalations": _open_escalations(session, who, now)}
        data["heat"] = heatmap_panel.panel(session, who, request.args)
        if may_cycles:
            data["cycles"] = commissioning_report.commissioning(session, who, now=now)
        if may_quarterly:
            data["slas"] = [
                (sla, reports.quarterly(session, who, sla.key, quarter, stories=0))
                for sla in slas.list_slas(session)
            ]
        return data

    data = database().read(read)
    cycles = data.get("cycles")
    for item in (cycles or {}).get("items", []):  # the current step in the reader's language
        if item.get("step"):
            item["step_name"] = texts.task_name("commissioning_cycle", item["step"], item["step_name"])
    heat = data["heat"]
    page = render_template(
        "dashboard.html",
        heat=heat,
        heat_action=url_for("web_dashboard.dashboard"),
        heat_keep={"quarter": request.args.get("quarter", "")},
        who=who,
        quarter=quarter,
        quarter_label=label,
        choices=choices,
        error=None,
        may_cycles=may_cycles,
        may_quarterly=may_quarterly,
        cycles=cycles,
        ending=(cycles or {}).get("contracts_ending_within_6_months", []),
        cycle_charts=_cycle_charts(cycles) if cycles else None,
        slas=[_sla_view(sla, report, vocabulary.labels(language())) for sla, report in data.get("slas", [])],
        escalations=data["escalations"],
        escalation_chart=_open_escalation_chart(data["escalations"]["items"]),
        stages=vocabulary.STAGES,
        words=vocabulary.labels(language()),
        milestones=vocabulary.MILESTONES,
        outcomes=vocabulary.ESCALATION_OUTCOMES,
        now=now,
        fig=charts.number,
    )
    return page, 422 if heat and heat["error"] else 200


# -- what each section shows ------------------------------------------------------------------


def _open_escalations(session, who: Actor, now: datetime) -> dict[str, Any]:
    """The running (or waiting, or stopped) sla_escalation instances the viewer may see, with who has each."""
    items, total = [], 0
    for status in OPEN:
        found, count = queries.list_instances(
            session,
            who,
            {"process": "sla_escalation", "status": status, "limit": MOST_ESCALATIONS, "offset": 0},
        )
        items += found
        total += count
    tasks, _ = queries.list_tasks(
        session, who, {"process": "sla_escalation", "limit": 10 * MOST_ESCALATIONS, "offset": 0}, now
    )
    open_steps: dict[str, set[str]] = {}
    for task in tasks:
        open_steps.setdefault(task.instance_id, set()).add(task.activity_id)
    rows = []
    for instance in sorted(items, key=lambda i: (i.started_at, i.id)):
        variables = instance.variables or {}
        steps = open_steps.get(instance.id, set())
        # The manager's review is not the commissioner's task (not in their list): no commissioner
        # step open means the escalation is still with the service's manager.
        level = gettext(next((LEVELS[s] for s in LEVELS if s in steps), LEVELS["manager_review"]))
        rows.append(
            {
                "id": instance.id,
                "status": instance.status,
                "sla_key": variables.get("sla_key"),
                "milestone": texts.milestone_name(variables["milestone"])
                if variables.get("milestone")
                else None,
                "due_at": variables.get("due_at"),
                "breached_at": variables.get("breached_at"),
                "started_at": instance.started_at,
                "level": level,
            }
        )
    return {"items": rows, "total": total}


def _open_escalation_chart(items: list[dict[str, Any]]) -> charts.Chart | None:
    if not items:
        return None
    counts = {gettext(label): 0 for label in reversed(LEVELS.values())}
    for item in items:
        counts[item["level"]] += 1
    return charts.bars(
        "chart-open-escalations",
        [("", list(counts.items()))],
        title=gettext("Open escalations by who has them"),
        css="bar-escalation",
    )


def _cycle_charts(cycles: dict[str, Any]) -> dict[str, charts.Chart]:
    by_stage = dict.fromkeys(vocabulary.STAGES, 0)
    for item in cycles["items"]:
        if item["stage"] in by_stage:
            by_stage[item["stage"]] += 1
    words = vocabulary.labels(language())
    stage_chart = charts.bars(
        "chart-cycles-by-stage",
        [("", [(words[stage], n) for stage, n in by_stage.items()])],
        title=gettext("Running commissioning cycles in each stage"),
        css="bar",
    )
    days_chart = charts.stacked_bars(
        "chart-days-by-stage",
        [(_cycle_name(c), c["days_by_stage"]) for c in cycles["items"]],
        [Series(s, words[s], f"bar-stage-{s}") for s in vocabulary.STAGES],
        title=gettext("Days each cycle has spent in each stage"),
        skip_missing=True,
    )
    return {"stages": stage_chart, "days": days_chart}


@blp.route("/dashboard/quarterly.xlsx")
@login_required
def quarterly_workbook(who: Actor):
    """The quarterly return of ``?sla=`` for ``?quarter=`` as a spreadsheet in the page's language,
    with the figures the viewer may see (``<5`` for a commissioner), as ``GET /reports/quarterly?format=xlsx``."""
    sla_key, quarter = request.args.get("sla", ""), request.args.get("quarter", "")
    report = database().read(reports.quarterly, who, sla_key, quarter, stories=50)
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"quarterly-{report['sla']}-{report['quarter']}")
    return Response(
        workbook.workbook(report, language()),
        mimetype=workbook.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _cycle_name(cycle: dict[str, Any]) -> str:
    name = cycle["service_name"] or cycle["id"][:8]
    return name if len(name) <= 28 else name[:27] + "…"


def _sla_view(sla, report: dict[str, Any], words: dict[str, str] | None = None) -> dict[str, Any]:
    words = words or vocabulary.labels(language())
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", sla.key)
    complaints = report["complaints"]
    times = report["response_times"]
    rows = [(texts.milestone_name(m), times[m]) for m in times]
    esc = report["escalations"]
    return {
        "sla": sla,
        "slug": slug,
        "report": report,
        "response_chart": charts.stacked_bars(
            f"chart-response-{slug}",
            rows,
            RESPONSE_SERIES,
            title=gettext(
                "Response-time targets met, missed and pending, %(provider)s (%(key)s)",
                provider=sla.provider,
                key=sla.key,
            ),
        ),
        "escalation_chart": charts.bars(
            f"chart-escalations-{slug}",
            [
                (
                    gettext("By level"),
                    [
                        (gettext("Started"), esc["started"]),
                        (gettext("Reached level 2"), esc["level_2"]),
                        (gettext("Contract review"), esc["contract_review"]),
                    ],
                ),
                (
                    gettext("By outcome"),
                    [
                        (words.get(k) or k.replace("_", " ").capitalize(), v)
                        for k, v in esc["by_outcome"].items()
                    ],
                ),
            ],
            title=gettext(
                "Escalations by level and outcome, %(provider)s (%(key)s)", provider=sla.provider, key=sla.key
            ),
            css="bar-escalation",
        ),
        "complaints_chart": charts.bars(
            f"chart-complaints-{slug}",
            [
                (
                    "",
                    [
                        (words["received"], complaints["received"]),
                        (words["acknowledged_in_time"], complaints["acknowledged_in_time"]),
                        (words["responded_in_time"], complaints["responded_in_time"]),
                    ],
                ),
                (words["by_outcome"], [(words.get(k, k), v) for k, v in complaints["by_outcome"].items()]),
            ],
            title=gettext("Complaints, %(provider)s (%(key)s)", provider=sla.provider, key=sla.key),
            css="bar-escalation",
        ),
        "ended_early_chart": charts.bars(
            f"chart-ended-early-{slug}",
            [("", [(words.get(k, k), v) for k, v in report["ended_early"].items()])],
            title=gettext(
                "Cases ended early by reason, %(provider)s (%(key)s)", provider=sla.provider, key=sla.key
            ),
            css="bar",
        ),
    }
