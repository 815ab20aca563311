"""A step's writes on SQLite, handed to the driver as SQL compiled once per shape.

SQLAlchemy's Core ``execute`` spends about 30 us of Python on each statement before the driver
sees it: it builds the statement's cache key again on every call (walking the whole statement),
then looks up its compiled form and processes the parameters.  SQLite's own work on a step's small
UPDATE is a few microseconds, and a step sends four or five such writes.  So on SQLite the
statement of each ``Write`` is compiled once per shape (the names of its parameters, and the length
of each list bound to an ``IN``) into its SQL text, the order of its positional parameters and each
parameter's bind processor (as SQLAlchemy picks it: date-times, JSON), and then sent with
``exec_driver_sql``: the text and values SQLAlchemy would send, through the same connection and
transaction, and still seen by the engine's statement events.

The one difference from SQLAlchemy's text: an empty list renders as SQLite's own empty list
(``IN ()`` is false and ``NOT IN ()`` true for every row, as SQLAlchemy's empty-set subquery is).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.dml import UpdateBase

_Part = tuple[str, bool, bool, Callable[[Any], Any] | None, Any]
"""A positional parameter: name, given by the caller (else its statement's own value), a list,
processor, its statement's own value."""


class _Compiled:
    def __init__(self, connection: Connection, statement: UpdateBase, first: dict[str, Any]) -> None:
        compiled = statement.compile(dialect=connection.dialect, column_keys=list(first))
        sql = str(compiled)
        parts: list[_Part] = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
            value = first.get(name, bind.value)
            if bind.expanding:
                placeholders = ", ".join("?" * len(value))
                sql = sql.replace(f"(__[POSTCOMPILE_{name}])", f"({placeholders})")
            parts.append((name, name in first, bind.expanding, process, bind.value))
        if "__[POSTCOMPILE_" in sql:
            raise ValueError(f"a list parameter was not rendered: {sql}")
        self.sql = sql
        self.parts = parts

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for name, given, many, process, default in self.parts:
            value = row[name] if given else default
            if many:
                out.extend(value if process is None else map(process, value))
            else:
                out.append(value if process is None else process(value))
        return tuple(out)


_compiled: dict[tuple, _Compiled] = {}


def execute(
    connection: Connection, statement: UpdateBase, params: dict[str, Any] | list[dict[str, Any]]
) -> int:
    """Run ``statement`` (a ``Write``'s, built once) with ``params`` (one row, or many rows:
    executemany); returns the rows it changed."""
    rows = params if isinstance(params, list) else [params]
    first = rows[0]
    shape = (
        statement,
        tuple(sorted((k, len(v) if isinstance(v, list | tuple) else -1) for k, v in first.items())),
    )
    found = _compiled.get(shape)
    if found is None:
        found = _Compiled(connection, statement, first)
        if len(_compiled) > 512:  # shapes seen once, long ago: start again
            _compiled.clear()
        _compiled[shape] = found
    if len(rows) == 1:
        return connection.exec_driver_sql(found.sql, found.values(first)).rowcount
    return connection.exec_driver_sql(found.sql, [found.values(row) for row in rows]).rowcount
