"""The one place that picks a dialect's INSERT: the service runs on SQLite and PostgreSQL, whose
`INSERT … ON CONFLICT` (do nothing, do update) SQLAlchemy offers as two dialect-specific
constructs with the same interface."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

DIALECTS = ("postgresql", "sqlite")
ConflictInsert = postgresql.Insert | sqlite.Insert


def conflict_insert(target: Any, dialect: str) -> ConflictInsert:
    """An INSERT into `target` (a table or mapped class) that takes an ON CONFLICT clause, for
    `dialect` ('postgresql'; anything else is SQLite). Build it once per dialect where it is hot:
    constructing a statement costs more than executing its cached compiled form."""
    return postgresql.insert(target) if dialect == "postgresql" else sqlite.insert(target)


def conflict_insert_for(session: Session, target: Any) -> ConflictInsert:
    """`conflict_insert` for the dialect `session` is bound to."""
    return conflict_insert(target, session.get_bind().dialect.name)
