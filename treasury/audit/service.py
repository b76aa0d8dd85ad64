"""Audit use cases and the one step every state change calls: `record`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from treasury.audit import repository
from treasury.audit.anchors import AnchorStore, StoredAnchor
from treasury.audit.model import (
    AuditEvent,
    ChainHead,
    UnsealedEvent,
    Verification,
    unsealed_problem,
    verify_chain,
)
from treasury.db.paging import Page, PageRequest
from treasury.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from treasury.errors import AuditChainBroken, TreasuryError
from treasury.failures import JobFailure, describe

logger = logging.getLogger("treasury.audit")
jobs_logger = logging.getLogger("treasury.jobs")


# `record` marks the session; the entry point's `AuditSealer` seals after the commit.
_SEAL_REQUESTED = "audit.seal_requested"


def seal_requested(session: Session) -> bool:
    """Whether the committed session recorded audit events to seal (asked once: it clears)."""
    return bool(session.info.pop(_SEAL_REQUESTED, False))


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
    uow.session.info[_SEAL_REQUESTED] = True


def record_in_transaction(
    session: Session,
    *,
    tenant_id: str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    after: dict[str, Any],
    occurred_at: datetime,
) -> None:
    """`record` for steps that hold the unit of work's session rather than the unit of work
    (the ledger's append): written at once, sealed into the chain soon after the commit."""
    repository.append_at_once(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        after=after,
        occurred_at=occurred_at,
    )
    session.info[_SEAL_REQUESTED] = True


def record_many(session: Session, events: Sequence[repository.NewEvent]) -> None:
    """`record_in_transaction` for many events at once (one insert): written at once, sealed
    into the chain soon after the commit."""
    if not events:
        return
    repository.append_many(session, events)
    session.info[_SEAL_REQUESTED] = True


def seal_pending(uow: UnitOfWork) -> int:
    """Seal every committed event not yet in the chain; returns how many."""
    with uow:
        total = 0
        while (sealed := repository.seal(uow.session)) > 0:
            total += sealed
        uow.commit()
        return total


def anchor(uow: UnitOfWork) -> ChainHead:
    """Seal what is pending and return the chain head to keep outside the database.

    Anchoring is the application writing: it seals first, like the sealer would. Only
    verification never writes.
    """
    seal_pending(uow)
    with uow:
        verification = verify_chain(repository.sealed_events(uow.session))
    return verification.head


def keep_anchor(uow: UnitOfWork, store: AnchorStore) -> StoredAnchor:
    """Seal what is pending, check the whole chain against the newest kept anchor, and keep
    the head as a new anchor (the scheduler's daily `audit.anchor`).

    Raises:
        AuditChainBroken: the chain does not verify; no anchor is kept, so the last good one
            still exposes what was changed.
        AuditAnchorInvalid: the newest kept anchor cannot be read.
    """
    seal_pending(uow)
    previous = store.latest()
    with uow:
        verification = verify_chain(
            repository.sealed_events(uow.session), None if previous is None else previous.head
        )
        now = uow.clock.now()
    if not verification.ok:
        event_id = verification.broken_event_id
        named = f" (event id {event_id})" if event_id else ""
        raise AuditChainBroken(
            f"audit chain broken at event {verification.broken_at}{named}: {verification.reason}"
        )
    return store.write(verification.head, now)


# Unsealed events verification lists by id (the counts cover them all).
LISTED = 100
DEFAULT_SEAL_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class AuditReport:
    """A verification of the sealed chain plus a judgement of every event outside it."""

    verification: Verification
    unsealed: int
    pending: tuple[UnsealedEvent, ...] = ()
    not_sealed: tuple[UnsealedEvent, ...] = ()
    not_sealed_count: int = 0

    @property
    def ok(self) -> bool:
        """The chain verifies and every event outside it is one the sealer is about to seal."""
        return self.verification.ok and self.not_sealed_count == 0

    def summary(self) -> str | None:
        """The line saying the sealed chain verifies, or None."""
        result = self.verification
        return f"audit chain ok: {result.count} events, head {result.head}" if result.ok else None

    def problems(self) -> list[str]:
        """The broken link and each event not sealed by the application, one line each."""
        result, lines = self.verification, []
        if not result.ok:
            event_id = result.broken_event_id
            named = f" (event id {event_id})" if event_id else ""
            lines.append(f"audit chain broken at event {result.broken_at}{named}: {result.reason}")
        if self.not_sealed_count:
            lines.append(f"{self.not_sealed_count} events were not sealed by the application:")
            lines += [f"  event {e.id} (seq {e.seq}): {e.problem}" for e in self.not_sealed]
        return lines

    def pending_note(self, grace: timedelta) -> str | None:
        """The events about to be sealed, or None."""
        pending = self.unsealed - self.not_sealed_count
        if not pending:
            return None
        ids = ", ".join(event.id for event in self.pending)
        return (
            f"{pending} events recorded in the last {grace.total_seconds():g} s are not sealed "
            f"yet: {ids}"
        )


def verify(
    uow: UnitOfWork, anchor_head: ChainHead | None, *, grace: timedelta = DEFAULT_SEAL_GRACE
) -> AuditReport:
    """Check every sealed event (and the anchor, if given) and judge every unsealed one.

    Reads only: sealing here would hash whatever someone wrote into the table into the chain. An
    unsealed event recorded within `grace` of now is reported as pending; any other is reported
    as not sealed by the application (see `unsealed_problem`).
    """
    with uow:
        verification = verify_chain(repository.sealed_events(uow.session), anchor_head)
        return _judged(verification, repository.unsealed_events(uow.session), uow, grace)


def _judged(
    verification: Verification, events: Iterable[UnsealedEvent], uow: UnitOfWork, grace: timedelta
) -> AuditReport:
    now = uow.clock.now()
    pending: list[UnsealedEvent] = []
    not_sealed: list[UnsealedEvent] = []
    unsealed = not_sealed_count = 0
    for unsealed_event in events:
        unsealed += 1
        problem = unsealed_problem(unsealed_event, now=now, grace=grace)
        if problem is None:
            if len(pending) < LISTED:
                pending.append(unsealed_event)
            continue
        not_sealed_count += 1
        if len(not_sealed) < LISTED:
            not_sealed.append(replace(unsealed_event, problem=problem))
    return AuditReport(verification, unsealed, tuple(pending), tuple(not_sealed), not_sealed_count)


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


def event_page(
    uow: UnitOfWork, *, tenant_id: str, where: repository.EventFilter, page: PageRequest
) -> Page[tuple[AuditEvent, int | None, str | None]]:
    """A page of a tenant's audit events, oldest first, with their chain index and hash."""
    with uow:
        return repository.event_page(uow.session, tenant_id=tenant_id, where=where, page=page)


def record_failure(
    uow_factory: UnitOfWorkFactory,
    error: BaseException,
    *,
    job: str,
    tenant_id: str | None,
    object_type: str,
    object_id: str,
    on: date | None,
) -> JobFailure:
    """Log the failure of one item (with the traceback of an unexpected error) and record it in
    the audit trail; never raises, so that the job goes on with its next item."""
    failure = JobFailure(job, tenant_id, object_type, object_id, on, describe(error))
    context = (failure.job, failure.object_type, failure.object_id, failure.on, failure.error)
    if isinstance(error, TreasuryError):  # a refusal the data explains: no traceback needed
        jobs_logger.warning("%s of %s %s on %s failed: %s", *context)
    else:
        jobs_logger.error("%s of %s %s on %s failed: %s", *context, exc_info=error)
    try:
        uow = uow_factory()
        with uow:
            record(
                uow,
                tenant_id=failure.tenant_id,
                actor=f"job {failure.job}",
                action="job.failed",
                object_type=failure.object_type,
                object_id=failure.object_id,
                after={
                    "job": failure.job,
                    "date": None if failure.on is None else failure.on.isoformat(),
                    "error": failure.error,
                },
            )
            uow.commit()
    except Exception:  # the database may be what failed: the log above keeps the failure
        jobs_logger.exception(
            "the failure of %s could not be recorded in the audit trail", failure.job
        )
    return failure
