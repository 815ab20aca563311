"""The stored quarterly returns' rows: the dirty mark, and a copy saved only if nothing changed meanwhile.

A step that changes something a return reads calls ``mark`` with the (sla_key, quarter) pairs it
touches (``service.cases.reports.touches`` decides which).  The marks are written just before the
step's transaction commits, in the same transaction (a ``before_commit`` listener on every session):
one upsert that moves each row's ``generation`` on, in key order, so two steps never wait for each
other in opposite orders, and a row is locked only for the commit's last moments, not the whole step.
A step rolled back leaves no mark (the marks are dropped with it).

A recompute reads the row's ``generation`` first, computes, and saves with
``UPDATE ... WHERE generation = <the one it read>``: a change committed after it read the generation
has moved it, so that UPDATE saves nothing and the row stays dirty for the next read or refresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.store.models import StoredReturn

Key = tuple[str, str]  # (sla_key, quarter)
_MARKS = "stored_returns.marks"
_TABLE = StoredReturn.__table__


def mark(session: Session, keys: Iterable[Key]) -> None:
    """Mark the stored returns ``keys`` dirty when this session's transaction commits."""
    pending: set[Key] = session.info.setdefault(_MARKS, set())
    pending.update((str(sla), str(quarter)) for sla, quarter in keys if sla and quarter)


def mark_sla(session: Session, sla_key: str) -> None:
    """Every stored return of ``sla_key`` dirty, now, in this transaction (an SLA changed)."""
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.sla_key == sla_key)
        .values(
            generation=_TABLE.c.generation + 1,
            dirty_since=_coalesce_now(),
        )
    )


def _coalesce_now():
    from sqlalchemy import func

    return func.coalesce(_TABLE.c.dirty_since, datetime.now(UTC))


def pending_marks(session: Session) -> set[Key]:
    """The marks this session will write at its commit (for tests and the bulk fixtures)."""
    return set(session.info.get(_MARKS, set()))


def write_marks(session: Session) -> None:
    """Write the queued marks now: INSERT ... ON CONFLICT DO UPDATE SET generation = generation + 1."""
    keys = sorted(session.info.pop(_MARKS, set()))
    if not keys:
        return
    now = datetime.now(UTC)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(
        [{"sla_key": s, "quarter": q, "generation": 1, "dirty_since": now} for s, q in keys]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.sla_key, _TABLE.c.quarter],
        set_={
            "generation": _TABLE.c.generation + 1,
            "dirty_since": _coalesce_now(),
        },
    )
    session.execute(statement)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_MARKS):
        write_marks(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_MARKS, None)


# -- reading and saving the copy ---------------------------------------------------------------


def row(session: Session, sla_key: str, quarter: str) -> Any:
    """The row as it is committed now (a Core row: never a cached ORM object), or None."""
    return session.execute(
        select(_TABLE).where(_TABLE.c.sla_key == sla_key, _TABLE.c.quarter == quarter)
    ).first()


def dirty(session_or_connection: Any, limit: int = 100) -> list[tuple[str, str]]:
    """(sla_key, quarter) of the stored returns whose copy is missing or older than their last change."""
    query = (
        select(_TABLE.c.sla_key, _TABLE.c.quarter)
        .where(
            (_TABLE.c.computed_generation.is_(None)) | (_TABLE.c.computed_generation != _TABLE.c.generation)
        )
        .order_by(_TABLE.c.dirty_since, _TABLE.c.sla_key, _TABLE.c.quarter)
        .limit(limit)
    )
    return [(s, q) for s, q in session_or_connection.execute(query)]


def save(
    session: Session,
    sla_key: str,
    quarter: str,
    generation: int | None,
    report: dict[str, Any],
    sizes: dict[str, Any],
    computed_at: datetime,
) -> bool:
    """Keep ``report`` as the copy computed from ``generation`` (None: there was no row). True if kept.

    Nothing is kept when the row's generation has moved since (a change came in during the compute).
    """
    values = {
        "report": report,
        "sizes": sizes,
        "computed_at": computed_at,
        "computed_generation": generation or 0,
        "dirty_since": None,
    }
    if generation is None:  # no row yet: insert one, unless a step inserted (marked) it meanwhile
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(_TABLE).values(sla_key=sla_key, quarter=quarter, generation=0, **values)
        result = session.execute(
            statement.on_conflict_do_nothing(index_elements=[_TABLE.c.sla_key, _TABLE.c.quarter])
        )
        return result.rowcount == 1
    result = session.execute(
        update(_TABLE)
        .where(_TABLE.c.sla_key == sla_key, _TABLE.c.quarter == quarter, _TABLE.c.generation == generation)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def forget_sla(session: Session, sla_key: str) -> None:
    """The rows of an SLA that no longer exists."""
    from sqlalchemy import delete

    session.execute(delete(_TABLE).where(_TABLE.c.sla_key == sla_key))
