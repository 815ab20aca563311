"""The heat map of a process: where its cases wait, and for how long.

For every user task of the process's latest version (by activity id, counting the
instances of every version):

* ``waiting_now``: the tasks open there now (the open task index);
* ``completed``: the tasks completed there in the period, that is whose
  ``task_completed`` event falls at or after ``from`` and before ``to``;
* ``median_wait_s``, ``p90_wait_s``: the median and 90th percentile
  (``percentile_cont``: linear between the closest ranks) of those tasks' waits,
  from their ``task_ready`` event to their ``task_completed`` event, in seconds
  with one decimal (half up); ``None`` when none was completed.

The waits come from the history alone (``history_events``): each completion is
paired with the latest ``task_ready`` of the same task before it.  A task
cancelled (the case moved on by a timer, or was cancelled) is neither waiting nor
completed.  Timers and message waits are not measured: the history records when a
timer fires or a message arrives, but no event marks when the wait began.

All the arithmetic is done by the database: on PostgreSQL ``percentile_cont``; on
SQLite, which has none, a window over the waits returns only the (at most four)
ranks each percentile lies between, and Python interpolates those exactly.

For a commissioner every count from 1 to 4 is ``"<5"`` and a median or percentile
over fewer than 5 tasks is ``None`` (``reports.suppression``).  A manager may not
read the commissioner's own processes (``COMMISSIONER_ONLY_PROCESSES``): 403.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import TIMESTAMP, Float, Integer, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from service.access.permissions import COMMISSIONER_ONLY_PROCESSES, Actor, require_role
from service.base.problems import Forbidden, Invalid
from service.cases import instances
from service.cases.definitions import get_definition, model_of
from service.cases.reports.statistics import _one_decimal
from service.cases.reports.suppression import THRESHOLD, _small
from service.store.models import HistoryEvent, ProcessInstance, Task
from workflows.calendar import service_timezone

ROLES = ("manager", "commissioner", "auditor")
DEFAULT_DAYS = 90
MOMENT_ERROR = "a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])"
ORDER_ERROR = "must be after 'from'"


# -- the period --------------------------------------------------------------------------------


def parse_moment(text: str, name: str, *, end: bool) -> datetime:
    """``from``/``to`` as an aware UTC moment: a date is its local day's start (``from``) or the next
    day's start (``to``: the day is included); a date and time without an offset is local."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), service_timezone())
        elif len(text) > 10 and text[10] in "T ":
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=service_timezone())
        else:
            raise ValueError(text)
    except (ValueError, OverflowError):
        raise Invalid("bad period", errors={name: [MOMENT_ERROR]}) from None
    try:
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid("bad period", errors={name: [MOMENT_ERROR]}) from None


def period(
    from_text: str | None, to_text: str | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The period asked for; by default the ``DEFAULT_DAYS`` days up to now.  ``to`` must be after ``from``."""
    now = (now or instances.utcnow()).astimezone(UTC)
    end = parse_moment(to_text, "to", end=True) if to_text is not None else now
    start = parse_moment(from_text, "from", end=False) if from_text is not None else None
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise Invalid("bad period", errors={"to": [ORDER_ERROR]})
    return start, end


def _iso(moment: datetime) -> str:
    """As ``history_events.at`` is written (UTC, microseconds), so the text compares in time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# -- the figures -------------------------------------------------------------------------------


def heatmap(session: Session, actor: Actor, key: str, start: datetime, end: datetime) -> dict[str, Any]:
    require_role(actor, *ROLES)
    definition = get_definition(session, key)  # 404 for an unknown process
    if actor.role == "manager" and key in COMMISSIONER_ONLY_PROCESSES:
        raise Forbidden(f"the {actor.role} role may not do this")
    model = model_of(definition)
    waiting = dict(
        session.execute(
            select(Task.activity_id, func.count())
            .where(Task.process_key == key, Task.status == "open")
            .group_by(Task.activity_id)
        ).all()
    )
    figures = _waits(session, key, _iso(start), _iso(end))
    items = []
    for activity_id, task in model.user_tasks.items():
        count, median, p90 = figures.get(activity_id, (0, None, None))
        item = {
            "activity_id": activity_id,
            "name": task.name or model.names.get(activity_id) or activity_id,
            "waiting_now": int(waiting.get(activity_id, 0)),
            "completed": count,
            "median_wait_s": median,
            "p90_wait_s": p90,
        }
        if actor.role == "commissioner":
            if count < THRESHOLD:
                item["median_wait_s"] = item["p90_wait_s"] = None
            item["waiting_now"], item["completed"] = _small(item["waiting_now"]), _small(count)
        items.append(item)
    return {"process": key, "from": start.isoformat(), "to": end.isoformat(), "items": items}


def _completions(session: Session, key: str, start: str, end: str):
    """One row per task completed in the period: its activity and its wait (PostgreSQL: seconds,
    SQLite: whole microseconds), ``None`` for a completion without a ``task_ready`` before it."""
    done, ready = aliased(HistoryEvent), aliased(HistoryEvent)
    # A join, not a subquery per completion: PostgreSQL's planner prices a correlated subquery
    # so high that it compiles the query (JIT), which costs more than the query itself.
    paired = and_(
        ready.instance_id == done.instance_id,
        ready.task_id == done.task_id,
        ready.type == "task_ready",
        ready.seq < done.seq,
    )
    inner = (
        select(
            done.activity_id.label("activity_id"),
            done.at.label("done_at"),
            func.max(ready.at).label("ready_at"),  # the latest readiness before it (``at`` only grows)
        )
        .select_from(done)
        .outerjoin(ready, paired)
        .where(
            done.type == "task_completed",
            done.at >= start,
            done.at < end,
            done.instance_id.in_(select(ProcessInstance.id).where(ProcessInstance.process_key == key)),
        )
        .group_by(done.id, done.activity_id, done.at)
        .subquery()
    )
    if session.bind.dialect.name == "postgresql":
        moment = TIMESTAMP(timezone=True)
        wait = cast(
            func.extract("epoch", cast(inner.c.done_at, moment) - cast(inner.c.ready_at, moment)), Float
        )
    else:
        wait = _sqlite_microseconds(inner.c.done_at) - _sqlite_microseconds(inner.c.ready_at)
    return select(inner.c.activity_id.label("activity_id"), wait.label("wait")).select_from(inner).subquery()


def _sqlite_microseconds(moment):
    """POSIX microseconds of ``YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM`` text, exactly (SQLite integers)."""
    return cast(func.strftime("%s", moment), Integer) * 1_000_000 + cast(func.substr(moment, 21, 6), Integer)


def _waits(session: Session, key: str, start: str, end: str) -> dict[str, tuple[int, Any, Any]]:
    waits = _completions(session, key, start, end)
    if session.bind.dialect.name == "postgresql":
        rows = session.execute(
            select(
                waits.c.activity_id,
                func.count(),
                func.percentile_cont(0.5).within_group(waits.c.wait),
                func.percentile_cont(0.9).within_group(waits.c.wait),
            ).group_by(waits.c.activity_id)
        ).all()
        return {activity: (int(n), _seconds(median), _seconds(p90)) for activity, n, median, p90 in rows}
    return _sqlite_waits(session, waits)


def _seconds(value: float | None) -> float | None:
    return None if value is None else _one_decimal(Fraction(Decimal(repr(value))))


def _sqlite_waits(session: Session, waits) -> dict[str, tuple[int, Any, Any]]:
    """One pass: per activity its count, and only the ranks each percentile lies between (0-based, in
    wait order; a completion without a wait, if any, ranks after every wait and is left out of ``n``)."""
    by_activity = {"partition_by": waits.c.activity_id}
    timed = select(
        waits.c.activity_id,
        waits.c.wait,
        (func.row_number().over(**by_activity, order_by=(waits.c.wait.is_(None), waits.c.wait)) - 1).label(
            "rank"
        ),
        func.count(waits.c.wait).over(**by_activity).label("n"),
        func.count().over(**by_activity).label("total"),
    ).subquery()
    last = timed.c.n - 1
    needed = [0, last * 5 // 10, (last * 5 + 9) // 10, last * 9 // 10, (last * 9 + 9) // 10]
    rows = session.execute(
        select(timed.c.activity_id, timed.c.rank, timed.c.n, timed.c.total, timed.c.wait).where(
            timed.c.rank.in_(needed)
        )
    ).all()
    found: dict[str, tuple[int, int, dict[int, int]]] = {}
    for activity, rank, n, total, wait in rows:
        entry = found.setdefault(activity, (int(n), int(total), {}))
        if wait is not None:
            entry[2][int(rank)] = int(wait)
    return {
        activity: (total, _interpolate(values, n, "0.5"), _interpolate(values, n, "0.9"))
        for activity, (n, total, values) in found.items()
    }


def _interpolate(values: dict[int, int], n: int, fraction: str) -> float | None:
    if not n:
        return None
    position = (n - 1) * Fraction(fraction)
    low = int(position)
    below = Fraction(values[low])
    above = Fraction(values[low + 1]) if position > low else below
    return _one_decimal((below + (above - below) * (position - low)) / 1_000_000)
