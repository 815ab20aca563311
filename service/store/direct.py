"""A step's writes on SQLite, and its first read on either database, handed to the driver as SQL
compiled once.

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

``first`` does the same for a SELECT of columns (``select(*columns)``, no ORM entities), on SQLite
and PostgreSQL: compiled once per dialect, sent with ``exec_driver_sql``, and each value of its row
passed through its column type's result processor (as SQLAlchemy picks it: date-times, JSON).
Measured in the flow of requests, an ORM ``Session.execute`` of the caller's token check with the
task and instance costs about 0.5 ms more than this, most of it the ORM's set-up of the load.
``loaded`` then makes the ORM object of a table's columns in such a row, as a query would.

Inside an active transaction, a read (``first``) and a one-row write go one step further: the SQL
is run on a driver cursor by ``Connection._cursor_execute``, SQLAlchemy's own path for statements
it sends outside a compiled execution (the same events, echo log and error handling), without the
execution context and ``CursorResult`` that ``exec_driver_sql`` builds around each statement
(about 130,000 fewer instructions per statement, counted with callgrind).  A write of many rows
(executemany) is still sent with ``exec_driver_sql``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Select, inspect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
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
        with closing(_run(connection, found.sql, found.values(first))) as sent:
            return sent.rowcount
    return connection.exec_driver_sql(found.sql, [found.values(row) for row in rows]).rowcount


class _Read:
    def __init__(self, connection: Connection, statement: Select) -> None:
        dialect = connection.dialect
        self.statement = statement  # held, so no other statement can come to have its id
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = compiled.positiontup is not None
        self.names = list(compiled.positiontup or compiled.binds)
        self.binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        if "__[POSTCOMPILE_" in self.sql:
            raise ValueError(f"a list parameter cannot be read directly: {self.sql}")
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def params(self, given: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = [given[n] if self.binds[n] is None else self.binds[n](given[n]) for n in self.names]
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(v if p is None or v is None else p(v) for p, v in zip(self.results, raw, strict=True))


_reads: dict[tuple[int, str], _Read] = {}


def first(connection: Connection, statement: Select, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """The first row of ``statement`` (a SELECT of columns, built once), its values as SQLAlchemy
    would load them; None when there is none."""
    key = (id(statement), connection.dialect.name)
    found = _reads.get(key)
    if found is None or found.statement is not statement:
        found = _reads[key] = _Read(connection, statement)
    with closing(_run(connection, found.sql, found.params(params))) as sent:
        raw = sent.fetchone()
    return None if raw is None else found.row(tuple(raw))


def _run(connection: Connection, sql: str, values: Any) -> DBAPICursor | CursorResult:
    """``sql`` run with ``values``: on a driver cursor inside the connection's active transaction, else
    by ``exec_driver_sql`` (which begins one, or raises, as SQLAlchemy does).  Either answers
    ``fetchone``, ``rowcount`` and ``close``.

    ``Connection._cursor_execute`` is SQLAlchemy's own path for a statement it sends outside a
    compiled execution: the engine's ``before_cursor_execute``/``after_cursor_execute`` events, its
    echo log, the dialect's ``do_execute``, and on an error the driver's exception wrapped and
    handled (a lost connection invalidated) as every other statement's is.  What it leaves out is
    the execution context and the ``CursorResult`` built around the cursor, which a one-row read
    or a write's row count does not need.
    """
    transaction = connection.get_transaction()
    nested = connection.get_nested_transaction()
    if transaction is None or not transaction.is_active or (nested is not None and not nested.is_active):
        return connection.exec_driver_sql(sql, values)
    cursor = connection.connection.cursor()
    try:
        connection._cursor_execute(cursor, sql, values)
    except BaseException:
        cursor.close()
        raise
    return cursor


def loaded(session: Session, cls: type[_T], values: Sequence[Any]) -> _T:
    """The session's object of ``cls`` for ``values`` (its table's columns, in their order, as ``first``
    read them): the one the session holds already, as a query would give it, else a new one joined
    to the session as loaded (nothing to flush)."""
    shape = _shapes.get(cls)
    if shape is None:
        mapper = inspect(cls)
        shape = _shapes[cls] = (
            mapper,
            tuple(mapper.get_property_by_column(c).key for c in mapper.local_table.columns),
            tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key),
        )
    mapper, keys, primary_key = shape
    row = dict(zip(keys, values, strict=True))
    held = session.identity_map.get(mapper.identity_key_from_primary_key([row[k] for k in primary_key]))
    if held is not None:
        return held
    obj = mapper.class_manager.new_instance()  # as the ORM loads a row: no __init__, no history
    instance_state(obj).dict.update(row)
    make_transient_to_detached(obj)  # its identity key: what it holds is what the database holds
    session.add(obj)
    return obj


_T = TypeVar("_T")
_shapes: dict[type, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {}  # mapper, attributes, primary key
