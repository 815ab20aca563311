"""Safeguarding concerns about the quarter's referrals: each concern counts, not each case.

The safeguarding event subprocess of ``referral_casework`` runs once per concern: each run is one
``safeguarding_decision`` task (its row in the task index) with its own SLA timer (a ``Deadline`` of
milestone ``safeguarding_decision``, written in the same step: same instance, same ``created_at``).

* ``concerns``: the decision tasks (open, done, or withdrawn with the case);
* ``referred``: decisions recorded with ``safeguarding_referred`` true (read from the completion's
  history event, the record: the case's variable holds only the latest decision);
* ``decision_in_time``: decisions completed at or before their due moment, their timer not fired.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Table, and_, cast, distinct, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from service.cases.reports.cohort import _count
from service.store.models import Deadline, HistoryEvent, Task

ACTIVITY = "safeguarding_decision"
MILESTONE = "safeguarding_decision"


def figures(session: Session, c: Table) -> dict[str, int]:
    task, timer, event = aliased(Task), aliased(Deadline), aliased(HistoryEvent)
    postgres = session.bind.dialect.name == "postgresql"
    document: Any = cast(event.data, JSONB) if postgres else type_coerce(event.data, JSON)
    referred = document[("data", "safeguarding_referred")].as_boolean()
    in_time = and_(
        task.status == "completed",
        timer.status != "fired",
        task.completed_at <= timer.due_at,
    )
    query = (
        select(
            func.count(distinct(task.id)),
            _count(referred.is_(True)),
            _count(in_time),
        )
        .select_from(task)
        .join(c, c.c.id == task.instance_id)
        .outerjoin(
            timer,
            and_(
                timer.instance_id == task.instance_id,
                timer.attached_to == ACTIVITY,
                timer.kind == "sla",
                timer.milestone == MILESTONE,
                timer.created_at == task.created_at,
            ),
        )
        .outerjoin(
            event,
            and_(
                event.instance_id == task.instance_id,
                event.task_id == task.id,
                event.type == "task_completed",
            ),
        )
        .where(task.activity_id == ACTIVITY)
    )
    concerns, referred_n, in_time_n = session.execute(query).one()
    return {
        "concerns": int(concerns),
        "referred": int(referred_n or 0),
        "decision_in_time": int(in_time_n or 0),
    }
