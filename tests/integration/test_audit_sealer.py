"""The audit sealer belongs to the entry point that builds the unit-of-work factory.

Nothing is sealed by module-level state: a factory with an `AuditSealer` seals soon after each
commit that recorded events, one without leaves them to the `audit.seal` scheduler job, and a
sealer can be flushed at once (shutdown) without waiting for its timer.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, select

from treasury.audit import service as audit_service
from treasury.audit.sealer import AuditSealer
from treasury.audit.tables import AuditEventRow
from treasury.clock import FixedClock
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.scheduler import seal_audit_chain


def _record(factory: UnitOfWorkFactory) -> str:
    object_id = new_id()
    with factory() as uow:
        audit_service.record(
            uow,
            tenant_id=None,
            actor="test",
            action="test.recorded",
            object_type="test",
            object_id=object_id,
        )
        uow.commit()
    return object_id


def _sealed(factory: UnitOfWorkFactory, object_id: str) -> bool:
    with factory.read_only() as uow:
        index = uow.session.scalar(
            select(AuditEventRow.chain_index).where(AuditEventRow.object_id == object_id)
        )
    return index is not None


def _sealed_within(factory: UnitOfWorkFactory, object_id: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _sealed(factory, object_id):
            return True
        time.sleep(0.02)
    return _sealed(factory, object_id)


def test_a_factory_with_a_sealer_seals_soon_after_the_commit(
    engine: Engine, clock: FixedClock
) -> None:
    factory = UnitOfWorkFactory(engine, clock)
    AuditSealer(factory, delay_seconds=0.01)

    object_id = _record(factory)

    assert _sealed_within(factory, object_id, seconds=20)


def test_without_a_sealer_the_scheduler_job_seals(engine: Engine, clock: FixedClock) -> None:
    factory = UnitOfWorkFactory(engine, clock)

    object_id = _record(factory)
    time.sleep(0.1)
    assert not _sealed(factory, object_id)

    seal_audit_chain(factory)
    assert _sealed(factory, object_id)


def test_a_flush_seals_at_once_instead_of_at_the_timer(engine: Engine, clock: FixedClock) -> None:
    factory = UnitOfWorkFactory(engine, clock)
    sealer = AuditSealer(factory, delay_seconds=60)

    object_id = _record(factory)
    assert not _sealed(factory, object_id)

    assert sealer.flush() >= 1
    assert _sealed(factory, object_id)


def test_a_commit_without_audit_events_asks_for_no_seal(engine: Engine, clock: FixedClock) -> None:
    factory = UnitOfWorkFactory(engine, clock)
    sealer = AuditSealer(factory, delay_seconds=60)
    with factory() as uow:
        uow.commit()

    assert not sealer.waiting
