"""The supervision calendar: per advocate, when supervision, appraisal, the DBS check and the qualification check fall due.

Read from the running ``advocate_supervision`` instances (Process 6): their variables (the due dates
the diagram keeps, counted from ``appointed_on``) and their open tasks.  A month's checks open when its
supervision timer fires, in the diagram's order: supervision, appraisal, qualification check, DBS
check.  A check of this month that is not done yet is due at this month's date (``supervision_due``);
otherwise the next date the diagram holds.  Each entry is ``overdue`` (pending, and its date more than
``grace_days`` ago), ``due`` (pending, or falling within ``soon_days``) or ``scheduled``.

Workforce data only: advocate usernames and dates.  The managers see the instance id too; the
commissioners see no case content (nothing here is), and no instance id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor, require_role
from service.store.models import ProcessInstance, Task

PROCESS = "advocate_supervision"
# the month's checks in the order the diagram opens them: (check, its flag of this month, its next date)
ORDER = ("supervision", "appraisal", "qualification_check", "dbs_check")
FLAGS = {
    "appraisal": "appraisal_due_now",
    "qualification_check": "qualification_check_due_now",
    "dbs_check": "dbs_check_due_now",
}
NEXT = {
    "supervision": "next_supervision_due",
    "appraisal": "next_appraisal_due",
    "qualification_check": "qualification_due",
    "dbs_check": "next_dbs_check_due",
}
TASK_OF = {
    "supervision": "supervision",
    "appraisal": "appraisal",
    "qualification_check": "qualification_check",
    "update_service_check": "dbs_check",
    "dbs_recheck": "dbs_check",
}
STATUSES = ("overdue", "due", "scheduled")


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def entries(
    variables: dict[str, Any], open_activities: set[str], now: datetime, *, grace_days: int, soon_days: int
) -> list[dict[str, Any]]:
    """The calendar entries of one instance (a pure function of its variables and open tasks)."""
    open_checks = {TASK_OF[a] for a in open_activities if a in TASK_OF}
    reached = min((ORDER.index(c) for c in open_checks), default=len(ORDER))
    this_month = _moment(variables.get("supervision_due"))
    found = []
    for index, check in enumerate(ORDER):
        if check == "qualification_check" and variables.get("qualification_status") != "working_towards":
            continue
        if check == "qualification_check" and "qualification_achieved" in variables:
            continue  # done at 12 months: nothing more to come
        flagged = check == "supervision" or variables.get(FLAGS.get(check, "")) is True
        pending = check in open_checks or (flagged and index > reached and reached < len(ORDER))
        due_at = this_month if pending else _moment(variables.get(NEXT[check]))
        if due_at is None:
            continue
        if pending and now - due_at > timedelta(days=grace_days):
            status = "overdue"
        elif pending or due_at - now <= timedelta(days=soon_days):
            status = "due"
        else:
            status = "scheduled"
        name = check
        if check == "dbs_check":
            name = (
                "update_service_check"
                if variables.get("update_service_subscribed") is True
                else "dbs_recheck"
            )
        found.append({"check": name, "due_at": due_at.isoformat(), "status": status, "pending": pending})
    return found


def supervision_calendar(
    session: Session,
    actor: Actor,
    *,
    now: datetime | None = None,
    grace_days: int = 7,
    soon_days: int = 14,
    status: str | None = None,
) -> dict[str, Any]:
    """Each running supervision record, by advocate; ``status`` keeps only advocates with an entry so."""
    require_role(actor, "manager", "commissioner")
    now = now or datetime.now(UTC)
    rows = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.process_key == PROCESS)
        .where(ProcessInstance.status.in_(("running", "waiting", "error")))
    ).all()
    ids = [r.id for r in rows]
    open_tasks: dict[str, set[str]] = {}
    if ids:
        for instance_id, activity in session.execute(
            select(Task.instance_id, Task.activity_id).where(Task.instance_id.in_(ids), Task.status == "open")
        ):
            open_tasks.setdefault(instance_id, set()).add(activity)
    items = []
    for row in rows:
        variables = row.variables or {}
        found = entries(
            variables, open_tasks.get(row.id, set()), now, grace_days=grace_days, soon_days=soon_days
        )
        if status and not any(e["status"] == status for e in found):
            continue
        item: dict[str, Any] = {
            "advocate": str(variables.get("advocate") or ""),
            "appointed_on": variables.get("appointed_on"),
            "month": variables.get("month"),
            "checks": found,
            "overdue": any(e["status"] == "overdue" for e in found),
            "due": any(e["status"] == "due" for e in found),
        }
        if actor.role == "manager":
            item["instance_id"] = row.id
        items.append(item)
    items.sort(key=lambda i: (not i["overdue"], not i["due"], i["advocate"], i.get("instance_id") or ""))
    return {"as_of": now.isoformat(), "grace_days": grace_days, "soon_days": soon_days, "items": items}
