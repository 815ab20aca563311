"""Transactions: one session per use case, committed whole or not at all.

A step that loses a race on an instance (its version column moved, or the same
history ``seq`` was written first) is retried from the start on fresh data; if
it still cannot win, the caller gets a 409 and nothing of it is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .problems import Conflict

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRIES = 5


class Database:
    def __init__(self, engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self.sessions = sessions
        self.deadline_listeners: list[Callable[[list[int]], None]] = []

    def run(self, use_case: Callable[..., T], *args, **kwargs) -> T:
        """Run ``use_case(session, *args, **kwargs)`` in a transaction, retrying lost races."""
        for attempt in range(1, RETRIES + 1):
            with self.sessions() as session:
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
        with self.sessions() as session:
            result = query(session, *args, **kwargs)
            session.commit()
            return result
