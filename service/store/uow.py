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

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from service.base.problems import Conflict
from service.store.db import read_only

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRIES = 5
_HOLDS_WRITER = "holds_the_writer_lock"  # a session of begin_early, until close_early


class Database:
    def __init__(self, engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self.sessions = sessions
        self.read_only = read_only(engine)
        self.deadline_listeners: list[Callable[[list[int]], None]] = []
        # SQLite has one writer at a time.  Threads of this process queue here, in order, instead
        # of in SQLite's busy handler, which sleeps and retries (up to 100 ms a time) and made a
        # request wait long after the lock was free.  Other processes still meet SQLite's own lock.
        self._writer: AbstractContextManager = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    def run(self, use_case: Callable[..., T], *args, begun: Session | None = None, **kwargs) -> T:
        """Run ``use_case(session, *args, **kwargs)`` in a transaction, retrying lost races.

        ``begun``: a session of ``begin_early`` that already read what the use case starts from (its
        first attempt runs in it, a retry in a fresh one); closed here in every case, and the writer
        lock it holds released.

        Also retried: a connection found dead before the commit was sent (the database restarted,
        or dropped an idle connection), since nothing of the transaction can have been kept.
        A connection lost during the commit is not retried: the commit may have happened.
        """
        if begun is None:
            return self._run(use_case, args, kwargs, None)
        try:
            return self._run(use_case, args, kwargs, begun)
        finally:
            self.close_early(begun)

    def _run(self, use_case: Callable[..., T], args: tuple, kwargs: dict, begun: Session | None) -> T:
        for attempt in range(1, RETRIES + 1):
            session_for_attempt = begun if begun is not None else self.sessions()
            begun = None
            with self._writer, session_for_attempt as session:
                committing = False
                try:
                    result = use_case(session, *args, **kwargs)
                    committing = True
                    session.commit()
                except (StaleDataError, IntegrityError, OperationalError) as err:
                    session.rollback()
                    if _lost_connection(err) and not committing:
                        log.warning("database connection lost on attempt %d; trying again", attempt)
                        continue
                    if isinstance(err, OperationalError) and not _locked(err):
                        raise
                    log.info("concurrent update on attempt %d: %s", attempt, type(err).__name__)
                    continue
                changed = session.info.pop("deadlines_changed", [])
                after_commit = session.info.pop("after_commit", [])
            if changed:
                for listener in self.deadline_listeners:
                    listener(changed)
            for action in after_commit:  # e.g. e-mail: only once what it tells of is stored
                try:
                    action()
                except Exception:
                    log.exception("an action after the commit failed")
            return result
        raise Conflict("the record was changed by another request at the same time; try again")

    def begin_early(self, read: Callable[..., T], *args) -> tuple[T, Session] | None:
        """``read(session, *args)`` in a session begun for a step, before the request reaches its use
        case (the caller's token check, with what the step reads first); returns what it read and the
        session, to hand to ``run(begun=...)`` or to ``close_early``.  On failure the session is closed.

        The session holds what a step's transaction holds from its start: on SQLite the process's
        writer lock and, from its first statement (``BEGIN IMMEDIATE``), the database's one write lock,
        so nothing can write between the read and the step.  Whoever takes it must release it at once
        when the request is refused (``close_early``), and open no other write session meanwhile: on
        SQLite that session would wait for the lock its own request holds.

        None (do it the usual way) when the connection was found dead (as ``peek`` retries), or SQLite
        was locked by another process for its whole busy timeout (``run`` then tries again, and answers
        409 if it cannot win).
        """
        session = self.sessions()  # no connection yet: the read's first statement takes one
        self._writer.__enter__()
        session.info[_HOLDS_WRITER] = True
        try:
            return read(session, *args), session
        except OperationalError as err:
            self.close_early(session)
            if _lost_connection(err):
                log.warning("database connection lost; reading the usual way")
                return None
            if _locked(err):
                log.info("database locked for the early read; reading the usual way")
                return None
            raise
        except BaseException:
            self.close_early(session)
            raise

    def close_early(self, session: Session) -> None:
        """Close a session of ``begin_early`` and release its writer lock (once, however often called)."""
        try:
            session.close()
        finally:
            if session.info.pop(_HOLDS_WRITER, False):
                self._writer.__exit__(None, None, None)

    def read(self, query: Callable[..., T], *args, **kwargs) -> T:
        """Run a read-only ``query(session, ...)``; anything it writes (e.g. an audit read) is committed."""
        for attempt in (1, 2):
            with self._writer, self.sessions() as session:
                try:
                    result = query(session, *args, **kwargs)
                except OperationalError as err:
                    if attempt == 1 and _lost_connection(err):
                        log.warning("database connection lost; trying the read again")
                        continue
                    raise
                session.commit()
                return result
        raise AssertionError("unreachable")

    def peek(self, query: Callable[..., T], *args, **kwargs) -> T:
        """Run ``query(connection, ...)``, SELECTs only, on a connection outside any transaction.

        Each statement sees its own committed snapshot: use it for single-statement reads (the
        bearer-token check, the scheduler's look-ups), not for reads that must agree with each other.
        No ORM session: a plain connection costs half as much, and the token check runs on every request.
        """
        for attempt in (1, 2):
            with self.read_only.connect() as connection:
                try:
                    return query(connection, *args, **kwargs)
                except OperationalError as err:
                    if attempt == 1 and _lost_connection(err):
                        log.warning("database connection lost; trying the read again")
                        continue
                    raise
        raise AssertionError("unreachable")


def _lost_connection(err: Exception) -> bool:
    """The driver said the connection is gone (SQLAlchemy has already dropped it from the pool)."""
    return isinstance(err, DBAPIError) and err.connection_invalidated


def _locked(err: OperationalError) -> bool:
    """SQLite's lock was held by another connection for the whole busy timeout."""
    return "locked" in str(err).lower()
