"""Database leases: one holder at a time per name, so N scheduler processes never double-run a job.

A lease expires on its own, so a process killed half-way does not block the job forever; the job's
own idempotent run key (pool + date, revaluation date) makes a re-run after expiry harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, or_, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from treasury.db.base import Base
from treasury.db.dialects import conflict_insert_for
from treasury.db.types import UtcDateTime


class LeaseRow(Base):
    """Who holds the lease on a name, until when."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


def acquire(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease on `name` for `holder`; False when someone else holds it."""
    taken = session.execute(
        update(LeaseRow)
        .where(LeaseRow.name == name, or_(LeaseRow.expires_at < now, LeaseRow.holder == holder))
        .values(holder=holder, expires_at=now + ttl)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return True
    # RETURNING, not rowcount: psycopg reports rowcount -1 for this INSERT under SQLAlchemy.
    created = session.execute(
        conflict_insert_for(session, LeaseRow)
        .values(name=name, holder=holder, expires_at=now + ttl)
        .on_conflict_do_nothing()
        .returning(LeaseRow.name)
    )
    return created.first() is not None


def release(session: Session, *, name: str, holder: str, now: datetime) -> None:
    """Give the lease up early."""
    session.execute(
        update(LeaseRow)
        .where(LeaseRow.name == name, LeaseRow.holder == holder)
        .values(expires_at=now)
    )
