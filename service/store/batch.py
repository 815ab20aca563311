"""The writes of one step, sent to PostgreSQL as one statement instead of one round trip each.

A step writes its history rows, closes and opens task rows, closes deadline rows and moves the
instance row.  None of those writes needs an answer but the instance's row count (the version
check), so on PostgreSQL they are held and sent at the end as one statement: the instance's
UPDATE, with the others as data-modifying CTEs (``WITH w0 AS (INSERT ...), w1 AS (UPDATE ...)
UPDATE process_instances ...``).  PostgreSQL runs them all, in the one transaction, or none.

What this asks of the writes: no two may touch the same row (the parts of one statement all see
the rows as they were before it, and the order between them is not defined) and none may read
what another wrote.  ``persist`` keeps to that (a row closed as completed or fired is left out of
the "cancel the rest" that follows) and runs its reads, and the INSERTs whose ids it needs, on
their own.  On SQLite, where a statement costs no round trip, each write runs at once, in order,
compiled once per shape (``direct.py``).
The combined statement is built once per shape (which writes, how many rows) and then cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, union_all
from sqlalchemy.sql.dml import UpdateBase

from service.store import direct


class Write:
    """A write statement: ``build(prefix, rows)`` makes it with every bound parameter's name behind
    ``prefix``; ``rows`` is the number of VALUES rows of a multi-row INSERT, 0 for any other statement.
    ``statement`` is the one run on its own (no prefix)."""

    def __init__(self, build: Callable[[str, int], UpdateBase]) -> None:
        self.build = build
        self.statement = build("", 0)


def rows_insert(table: Table, columns: tuple[str, ...]) -> Write:
    """An INSERT of ``columns`` (run with a list of rows: many VALUES in one statement when combined)."""

    def build(prefix: str, rows: int) -> UpdateBase:
        if rows == 0:
            return insert(table)
        # INSERT ... SELECT ... UNION ALL SELECT ...: a multi-row VALUES would not be cached by SQLAlchemy.
        selects = [
            select(*(bindparam(f"{prefix}{r}_{name}", type_=table.c[name].type) for name in columns))
            for r in range(rows)
        ]
        return insert(table).from_select(columns, selects[0] if rows == 1 else union_all(*selects))

    return Write(build)


class Writes:
    """The pending writes of one step on ``connection`` (sent at once on SQLite)."""

    def __init__(self, connection: Connection, *, combine: bool = True) -> None:
        self.connection = connection
        self.combine = combine and connection.dialect.name == "postgresql"
        self.direct = connection.dialect.name == "sqlite"  # each write at once, compiled once (direct.py)
        self.pending: list[tuple[Write, Any]] = []

    def add(self, write: Write, params: dict[str, Any] | list[dict[str, Any]]) -> None:
        if isinstance(params, list) and not params:
            return
        if self.combine:
            self.pending.append((write, params))
        else:
            self._now(write, params)

    def send(self, last: Write, params: dict[str, Any]) -> int:
        """Send what is pending with ``last`` (an UPDATE); returns the rows ``last`` changed."""
        pending, self.pending = self.pending, []
        if not pending:
            return self._now(last, params)
        shape = (last, tuple((w, len(p) if isinstance(p, list) else 0) for w, p in pending))
        statement = _combined.get(shape)
        if statement is None:
            statement = last.build("", 0).add_cte(
                *(w.build(f"w{i}_", rows).cte(f"w{i}") for i, (w, rows) in enumerate(shape[1]))
            )
            if len(_combined) > 512:  # shapes seen once, long ago: start again
                _combined.clear()
            _combined[shape] = statement
        values = dict(params)
        for i, (_, p) in enumerate(pending):
            if isinstance(p, list):
                for r, row in enumerate(p):
                    values.update({f"w{i}_{r}_{k}": v for k, v in row.items()})
            else:
                values.update({f"w{i}_{k}": v for k, v in p.items()})
        return self.connection.execute(statement, values).rowcount

    def _now(self, write: Write, params: dict[str, Any] | list[dict[str, Any]]) -> int:
        if self.direct:
            return direct.execute(self.connection, write.statement, params)
        return self.connection.execute(write.statement, params).rowcount


_combined: dict[tuple, UpdateBase] = {}
