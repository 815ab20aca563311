"""Transactions: one session per use case, committed whole or not at all.

A step that loses a race on an instance (its version column moved, or the same
history ``seq`` was written first) is retried from the start on fresh data; if
it still cannot win, the caller gets a 409 and nothing of it is stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .db import make_session_factory, read_only
from .problems import Conflict

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRIES = 5


class Database:
    def __init__(self, engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self.sessions = sessions
        self.read_only_sessions = make_session_factory(read_only(engine))
        event.listen(self.read_only_sessions, "before_flush", _refuse_writes)
        self.deadline_listeners: list[Callable[[list[int]], None]] = []
        # SQLite has one writer at a time.  Threads of this process queue here, in order, instead
        # of in SQLite's busy handler, which sleeps and retries (up to 100 ms a time) and made a
        # request wait long after the lock was free.  Other processes still meet SQLite's own lock.
        self._writer: AbstractContextManager = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    def run(self, use_case: Callable[..., T], *args, **kwargs) -> T:
        """Run ``use_case(session, *args, **kwargs)`` in a transaction, retrying lost races."""
        for attempt in range(1, RETRIES + 1):
            with self._writer, self.sessions() as session:
                try:
                    result = use_case(session, *args, **kwargs)
                    session.commit()
                except (StaleDataError, IntegrityError, OperationalError) as err:
                    session.rollback()
                    if isinstance(err, OperationalError) and "locked" not in str(err).lower():
                        raise
                    log.info("concurrent update on attempt %d: %s", attempt, type(err).__name__)
                    continue
                changed = session.info.pop("deadlines_changed", [])
            if changed:
                for listener in self.deadline_listeners:
                    listener(changed)
            return result
        raise Conflict("the record was changed by another request at the same time; try again")

    def read(self, query: Callable[..., T], *args, **kwargs) -> T:
        """Run a read-only ``query(session, ...)``; anything it writes (e.g. an audit read) is committed."""
        with self._writer, self.sessions() as session:
            result = query(session, *args, **kwargs)
            session.commit()
            return result

    def peek(self, query: Callable[..., T], *args, **kwargs) -> T:
        """Run ``query(session, ...)`` that writes nothing, outside a write transaction.

        Each statement sees its own committed snapshot: use it for single-statement reads (the
        bearer-token check, the scheduler's look-ups), not for reads that must agree with each other.
        """
        with self.read_only_sessions() as session:
            return query(session, *args, **kwargs)


def _refuse_writes(session: Session, _context, _instances) -> None:
    raise RuntimeError("Database.peek is for reads; this query tried to write (use read or run)")
