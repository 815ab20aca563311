"""SLA milestones met, missed or pending, per case of a cohort (referrals, or complaints).

``cases`` reads the deadline and task indexes once per (case, milestone) into a temporary table;
``counts`` groups it.  A milestone is ``met`` when no deadline of it fired and the task its timer is
attached to was completed at or before the due moment; ``missed`` when a deadline fired (or the task
was completed late); ``pending`` while the deadline is still pending.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from service.cases.reports.cohort import _count, _temporary
from service.store.models import Deadline, Task, UtcDateTime


def cases(session: Session, c: Table, milestones: tuple[str, ...]) -> Table:
    """Per case of ``c`` (id, received_at) and milestone: fired at all, still pending, due, first done."""
    task = aliased(Task)
    query = (
        select(
            Deadline.milestone,
            func.max(case((Deadline.status == "fired", 1), else_=0)),
            func.max(case((Deadline.status == "pending", 1), else_=0)),
            func.min(Deadline.due_at),
            func.min(task.completed_at),
            func.min(c.c.received_at),
        )
        .join(c, c.c.id == Deadline.instance_id)
        .outerjoin(
            task,
            and_(
                task.instance_id == Deadline.instance_id,
                task.activity_id == Deadline.attached_to,
                task.status == "completed",
            ),
        )
        .where(Deadline.kind == "sla", Deadline.milestone.in_(milestones))
        .group_by(Deadline.instance_id, Deadline.milestone)
    )
    columns = (Column("fired", Integer), Column("pending", Integer), Column("due", UtcDateTime))
    return _temporary(
        session,
        query,
        Column("milestone", String(64)),
        *columns,
        Column("done", UtcDateTime),
        Column("received_at", Text),
    )


def counts(session: Session, m: Table, milestones: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """met / missed / pending per milestone, over the cases (several timers may share one)."""
    m = m.c
    done = m.done.is_not(None)
    query = select(
        m.milestone,
        _count(or_(m.fired == 1, and_(done, m.done > m.due))),
        _count(and_(m.fired == 0, done, m.done <= m.due)),
        _count(and_(m.fired == 0, m.done.is_(None), m.pending == 1)),
    ).group_by(m.milestone)
    result = {name: {"met": 0, "missed": 0, "pending": 0} for name in milestones}
    for milestone, missed, met, pending in session.execute(query):
        result[milestone] = {"met": int(met), "missed": int(missed), "pending": int(pending)}
    return result
