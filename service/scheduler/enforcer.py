"""The deadline enforcer: APScheduler wakes the service at each deadline's due moment.

Deadlines are rows in the database (the source of truth); each pending one has
one APScheduler date job keyed by its id.  At start every pending deadline is
scheduled, overdue ones to run at once.  A deadline is claimed with a row lock
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and a lease, so with several
enforcers on one database each deadline fires exactly once.  Deadlines created
by other processes (web workers without a scheduler) are picked up by a sync
job that looks for pending rows this enforcer has not scheduled yet (and re-arms
deadlines whose claimer died, once their lease has run out).

Reminders (``service.cases.notifications``) ride on the same rows: an SLA deadline's
``remind_at`` gets its own date job, and the reminder is claimed with the same row lock and
marked ``reminded_at`` in its own transaction, so it too is sent once.

Stored quarterly returns marked dirty by steps are recomputed by a job every
``ADVOCACY_FLOW_REPORT_REFRESH`` seconds (``service.cases.reports.refresh``), so that reads
usually find them clean.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.base.config import report_refresh_seconds
from service.cases import instances, notifications
from service.cases.reports import refresh
from service.store.models import Deadline
from service.store.uow import Database

log = logging.getLogger(__name__)
# How long a claim holds a deadline; a claimer that dies loses it after this.
LEASE = timedelta(seconds=float(os.environ.get("ADVOCACY_FLOW_DEADLINE_LEASE_SECONDS", "60")))
SYNC_SECONDS = 2


def claim(
    session: Session, deadline_id: int, now: datetime | None = None, lease_for: timedelta = LEASE
) -> datetime | None:
    """Take a lease on a due, pending deadline nobody holds; returns the lease, or None.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: of several enforcers racing for one row, one
    gets it and the others pass by.  A claimer that dies before firing loses nothing: its
    lease runs out and the next enforcer to look claims the deadline again.
    """
    now = now or datetime.now(UTC)
    query = select(Deadline).where(
        Deadline.id == deadline_id,
        Deadline.status == "pending",
        or_(Deadline.lease_until.is_(None), Deadline.lease_until < now),
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    deadline = session.scalars(query).first()
    if deadline is None or deadline.due_at is None or deadline.due_at > now:
        return None
    deadline.lease_until = now + lease_for
    return deadline.lease_until


def fire(
    session: Session, deadline_id: int, now: datetime | None = None, lease: datetime | None = None
) -> bool:
    """Fire one deadline if it is still pending and due (and, given a lease, still ours). True if it fired."""
    now = now or datetime.now(UTC)
    if lease is None:
        lease = claim(session, deadline_id, now)
        if lease is None:
            return False
    query = select(Deadline).where(Deadline.id == deadline_id)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    deadline = session.scalars(query).first()
    if deadline is None or deadline.status != "pending" or deadline.lease_until != lease:
        return False
    deadline.lease_until = None
    return instances.fire_deadline(session, deadline, now) is not None


class DeadlineScheduler:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True}
        )
        self._lock = threading.Lock()
        database.deadline_listeners.append(self.schedule)

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def start(self) -> None:
        self.scheduler.start()
        self.sync()
        self.scheduler.add_job(self.sync, "interval", seconds=SYNC_SECONDS, id="sync", replace_existing=True)
        every = report_refresh_seconds()
        if every > 0:
            self.scheduler.add_job(
                self.refresh_reports, "interval", seconds=every, id="reports", replace_existing=True
            )

    def refresh_reports(self) -> int:
        """Recompute the dirty stored returns, each in its own transaction; how many were computed."""
        done = 0
        for sla_key, quarter in self.database.peek(refresh.dirty_returns):
            try:
                done += bool(self.database.run(refresh.refresh_one, sla_key, quarter))
            except Exception:
                log.exception("the stored return %s %s could not be refreshed", sla_key, quarter)
        return done

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def sync(self) -> None:
        """Schedule every pending deadline that has no job yet (after a restart, or made elsewhere)."""
        rows = self.database.peek(
            lambda session: session.execute(
                select(Deadline.id, Deadline.due_at).where(
                    Deadline.status == "pending", Deadline.due_at.is_not(None)
                )
            ).all()
        )
        for deadline_id, due_at in rows:
            self._add(deadline_id, due_at, replace=False)
        for deadline_id, remind_at in self.database.peek(notifications.due_reminders):
            self._add_reminder(deadline_id, remind_at, replace=False)

    def schedule(self, deadline_ids: list[int]) -> None:
        rows = self.database.peek(
            lambda session: session.execute(
                select(Deadline.id, Deadline.due_at, Deadline.remind_at, Deadline.reminded_at).where(
                    Deadline.id.in_(deadline_ids)
                )
            ).all()
        )
        for deadline_id, due_at, remind_at, reminded_at in rows:
            if due_at is not None:
                self._add(deadline_id, due_at, replace=True)
            if remind_at is not None and reminded_at is None:
                self._add_reminder(deadline_id, remind_at, replace=True)

    def _add_reminder(self, deadline_id: int, remind_at: datetime, *, replace: bool) -> None:
        job_id = f"reminder-{deadline_id}"
        with self._lock:
            if not replace and self.scheduler.get_job(job_id) is not None:
                return
            self.scheduler.add_job(
                self._remind,
                "date",
                run_date=max(remind_at, datetime.now(UTC)),
                args=[deadline_id, remind_at],
                id=job_id,
                replace_existing=True,
            )

    def _remind(self, deadline_id: int, remind_at: datetime) -> None:
        try:
            sent = self.database.run(notifications.remind, deadline_id, max(remind_at, datetime.now(UTC)))
            if sent:
                log.info("reminder of deadline %s sent to %d people", deadline_id, len(sent))
        except Exception:
            log.exception("the reminder of deadline %s failed", deadline_id)

    def _add(self, deadline_id: int, due_at: datetime, *, replace: bool) -> None:
        job_id = f"deadline-{deadline_id}"
        with self._lock:
            if not replace and self.scheduler.get_job(job_id) is not None:
                return
            run_at = max(due_at, datetime.now(UTC))
            self.scheduler.add_job(
                self._run,
                "date",
                run_date=run_at,
                args=[deadline_id, due_at],
                id=job_id,
                replace_existing=True,
            )

    def _run(self, deadline_id: int, due_at: datetime) -> None:
        try:
            fired = self.database.run(fire, deadline_id, max(due_at, datetime.now(UTC)))
            if fired:
                log.info("deadline %s fired", deadline_id)
        except Exception:
            log.exception("deadline %s failed to fire", deadline_id)
