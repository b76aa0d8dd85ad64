"""Engines for the embedded SQLite default and for PostgreSQL, with the same behaviour for callers.

SQLite: write transactions start with BEGIN IMMEDIATE, so a read-then-write never races another
writer (SQLite has no row locks); WAL lets readers go on meanwhile. PostgreSQL: row locks
(SELECT … FOR UPDATE) in the repositories do that job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

# Execution option of a read-only unit of work (`UnitOfWorkFactory.read_only`).
READ_ONLY = "treasury_read_only"


def is_sqlite(url: str) -> bool:
    """True for an SQLite database URL."""
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url`; SQLite gets its pragmas and immediate transactions."""
    if is_sqlite(url):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if make_url(url).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers need no writer's lock: WAL gives them a consistent snapshot.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")

    return engine
