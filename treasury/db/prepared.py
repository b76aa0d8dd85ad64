"""Statements compiled once and run straight on the driver's cursor: what every transfer writes.

SQLAlchemy's execution machinery (an execution context, parameter and result processing, events,
a result object) cost 30–80 µs a statement on the transfer's path, where the statement itself ran
in 8–30 µs on SQLite: 554 µs of a 2.5 ms transfer over its 12 statements (`ledger_service`,
measured by timing `Connection.execute` against the cursor's own time). A `Prepared` statement is
a Core statement compiled once per dialect, its parameters' type processing (dates, UTC instants,
decimals) and constant values worked out at that moment; running it binds the caller's values in
order and makes one driver call. It runs on the unit of work's own connection, so the transaction,
the SQLite writers' queue and the commit stay SQLAlchemy's; a driver error is raised as
SQLAlchemy's (IntegrityError, OperationalError, …) with the driver's error as `orig`, so callers
catch what they caught before.

Meant for the few statements each transfer makes; everything else goes through the session. What
a `Prepared` statement cannot do is refused when it is compiled (first use per dialect): an
expanding IN, a parameter the caller does not give and the statement does not hold, a column
returned as anything but text or a whole number (no result processing happens here). A run given
a value its statement does not take is refused too, rather than the value being dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Dialect, Insert, Integer, String
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.expression import ReturnsRows
from sqlalchemy.types import NullType

# What the drivers give back as is (NullType: a function's value SQLAlchemy would not process).
_PLAIN_RESULTS = (String, Integer, BigInteger, NullType)


@dataclass(frozen=True)
class _Slot:
    """One placeholder of the compiled SQL: the caller's value under `key` (processed by
    `process`), or `constant` when the statement holds its own value."""

    name: str
    key: str | None
    process: Callable[[Any], Any] | None
    constant: Any = None


class _Compiled:
    """The SQL and how to bind a run's values to it, in the driver's parameter style."""

    def __init__(self, sql: str, slots: Sequence[_Slot], positional: bool) -> None:
        self.sql = sql
        self._positional = positional
        self._names = tuple(slot.name for slot in slots)
        self._sources = tuple((slot.key, slot.constant) for slot in slots)
        # Only the few slots with a type processor (dates, instants, decimals) cost a call.
        self._processed = tuple(
            (index, slot.process) for index, slot in enumerate(slots) if slot.process is not None
        )

    def bind(self, parameters: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = [constant if key is None else parameters[key] for key, constant in self._sources]
        for index, process in self._processed:
            if values[index] is not None:
                values[index] = process(values[index])
        return values if self._positional else dict(zip(self._names, values, strict=True))


class Prepared:
    """A Core statement to run many times on units of work's connections, compiled once per
    dialect. `keys`: the names of the values each run gives (for an INSERT or UPDATE, its
    columns); other placeholders must hold their own values."""

    def __init__(self, statement: ClauseElement, keys: Sequence[str]) -> None:
        self._statement = statement
        self._keys = tuple(keys)
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, session: Session, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once and return the rows it selects or returns (text and whole numbers as the
        driver gives them)."""
        self._check_keys(parameters)
        cursor, compiled, dialect = self._cursor(session)
        bound = compiled.bind(parameters)
        try:
            cursor.execute(compiled.sql, bound)
            return list(cursor.fetchall())
        except dialect.loaded_dbapi.Error as error:
            raise _wrapped(compiled.sql, bound, error, dialect) from error
        finally:
            cursor.close()

    def run(self, session: Session, parameters: Sequence[Mapping[str, Any]]) -> None:
        """Run once per parameter set (an executemany; nothing is returned)."""
        if not parameters:
            return
        self._check_keys(parameters[0])
        cursor, compiled, dialect = self._cursor(session)
        bound = [compiled.bind(each) for each in parameters]
        try:
            if len(bound) == 1:
                cursor.execute(compiled.sql, bound[0])
            else:
                cursor.executemany(compiled.sql, bound)
        except dialect.loaded_dbapi.Error as error:
            raise _wrapped(compiled.sql, bound, error, dialect) from error
        finally:
            cursor.close()

    def _check_keys(self, parameters: Mapping[str, Any]) -> None:
        # A missing value fails in `bind`; a value nobody named here would be dropped silently
        # (a column added to a caller's row but not to its statement's keys).
        unknown = parameters.keys() - set(self._keys)
        if unknown:
            raise ValueError(f"values the statement does not take: {sorted(unknown)}")

    def _cursor(self, session: Session) -> tuple[Any, _Compiled, Dialect]:
        driver_connection, dialect = _driver_connection(session)
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compile(dialect)
            self._compiled[dialect.name] = compiled
        return driver_connection.cursor(), compiled, dialect

    def _compile(self, dialect: Dialect) -> _Compiled:
        # An INSERT names the columns given; an UPDATE's SET is its own `values`.
        column_keys = list(self._keys) if isinstance(self._statement, Insert) else None
        compiled = self._statement.compile(dialect=dialect, column_keys=column_keys)
        assert isinstance(compiled, SQLCompiler)
        _check_results(self._statement)
        computed = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if computed:  # SQLAlchemy works those out per execution; here nobody would
            raise ValueError(f"columns with Python-side defaults must be given: {computed}")
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        assert names is not None
        slots = []
        for name in names:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError(f"{name}: an expanding IN cannot be prepared once")
            impl = bind.type.dialect_impl(dialect)
            process = impl.bind_processor(dialect)
            escaped = compiled.escaped_bind_names.get(name, name)
            if bind.key in self._keys:
                slots.append(_Slot(escaped, bind.key, process))
            elif bind.value is not None or not bind.required:
                value = bind.effective_value
                slots.append(
                    _Slot(escaped, None, None, value if process is None else process(value))
                )
            else:
                raise ValueError(f"{name}: no value given and none in the statement")
        return _Compiled(compiled.string, slots, compiled.positional)


_DRIVER_CONNECTION = "treasury.prepared.driver_connection"


def _driver_connection(session: Session) -> tuple[Any, Dialect]:
    """The driver's connection of the session's transaction, kept for that transaction: the
    session's `connection()` costs more than a prepared statement's bind. The transaction has
    begun (BEGIN IMMEDIATE on SQLite, after the writers' queue) before the driver sees a
    statement."""
    transaction = session.get_transaction()
    kept = session.info.get(_DRIVER_CONNECTION)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1], kept[2]
    connection = session.connection()
    found = (session.get_transaction(), connection.connection, connection.dialect)
    session.info[_DRIVER_CONNECTION] = found
    return found[1], found[2]


def _check_results(statement: ClauseElement) -> None:
    if not isinstance(statement, ReturnsRows):
        return
    for column in statement.exported_columns:
        if not isinstance(column.type, _PLAIN_RESULTS):
            raise ValueError(f"{column}: only text and whole numbers are returned unprocessed")


def _wrapped(sql: str, parameters: Any, error: Exception, dialect: Dialect) -> sa_exc.DBAPIError:
    wrapped = sa_exc.DBAPIError.instance(
        sql, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
    )
    assert isinstance(wrapped, sa_exc.DBAPIError)
    return wrapped
