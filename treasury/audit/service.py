"""Audit use cases and the one step every state change calls: `record`."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from treasury.audit import repository
from treasury.audit.model import AuditEvent, ChainHead, Verification, verify_chain
from treasury.db.unit_of_work import UnitOfWork

logger = logging.getLogger("treasury.audit")


# Sealing runs shortly after a commit, in the background, so a burst of writes is hashed in one
# block instead of one extra transaction per write; verification covers every event either way.
SEAL_DELAY_SECONDS = 0.5
_lock = threading.Lock()
_scheduled: set[str] = set()


def _schedule_seal(session: Session) -> None:
    engine = session.get_bind().engine
    key = str(engine.url)
    with _lock:
        if key in _scheduled:
            return
        _scheduled.add(key)
    timer = threading.Timer(SEAL_DELAY_SECONDS, _seal_in_background, args=(engine, key))
    timer.daemon = True
    timer.start()


def _seal_in_background(engine: Engine, key: str) -> None:
    with _lock:
        _scheduled.discard(key)
    session = Session(engine)
    try:
        while repository.seal(session) == repository.SEAL_BATCH:
            pass
        session.commit()
    except Exception:  # the next seal catches up; a failure here must not kill the process
        session.rollback()
        logger.exception("sealing the audit chain failed; the next seal will catch up")
    finally:
        session.close()


def record(
    uow: UnitOfWork,
    *,
    tenant_id: str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an event to the caller's unit of work; it is sealed into the chain after commit."""
    repository.append(
        uow.session,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        occurred_at=uow.clock.now(),
    )
    uow.after_commit(_schedule_seal)


def seal_pending(uow: UnitOfWork) -> int:
    """Seal every committed event not yet in the chain; returns how many."""
    with uow:
        total = 0
        while (sealed := repository.seal(uow.session)) > 0:
            total += sealed
        uow.commit()
        return total


def anchor(uow: UnitOfWork) -> ChainHead:
    """Seal what is pending and return the chain head to keep outside the database."""
    seal_pending(uow)
    with uow:
        verification = verify_chain(repository.sealed_events(uow.session))
    return verification.head


@dataclass(frozen=True)
class AuditReport:
    """A verification plus the events still waiting to be sealed."""

    verification: Verification
    unsealed: int


def verify(uow: UnitOfWork, anchor_head: ChainHead | None) -> AuditReport:
    """Seal what is pending, then check every event of the chain (and the anchor, if given)."""
    seal_pending(uow)
    with uow:
        verification = verify_chain(repository.sealed_events(uow.session), anchor_head)
        return AuditReport(verification, repository.unsealed_count(uow.session))


def events(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    object_id: str | None,
    actor: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    limit: int = 1000,
) -> list[tuple[AuditEvent, int | None, str | None]]:
    """A tenant's audit events, oldest first."""
    with uow:
        return repository.list_events(
            uow.session,
            tenant_id=tenant_id,
            object_id=object_id,
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
        )
