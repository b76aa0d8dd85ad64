"""Writing events, sealing them into the chain, reading the chain back."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, insert, or_, select, update
from sqlalchemy.orm import Session

from treasury.audit.model import (
    GENESIS_HASH,
    AuditEvent,
    ChainHead,
    SealedEvent,
    UnsealedEvent,
    chain_hash,
)
from treasury.audit.tables import AuditChainHeadRow, AuditEventRow
from treasury.db.base import new_id
from treasury.db.dialects import conflict_insert_for
from treasury.db.paging import Page, PageRequest, keyset_page
from treasury.db.prepared import Prepared

HEAD = "main"
SEAL_BATCH = 5000
_EVENTS = cast(Table, AuditEventRow.__table__)
_INSERT_EVENT = insert(_EVENTS)  # built once (see `append_at_once`)
_EVENT_KEYS = (
    "id",
    "tenant_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before_json",
    "after_json",
    "occurred_at",
)
# Every transfer writes its events by this (compiled once, run on the driver's cursor).
_APPEND_EVENTS = Prepared(_INSERT_EVENT, _EVENT_KEYS)


def append(
    session: Session,
    *,
    tenant_id: str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    occurred_at: datetime,
) -> str:
    """Record a state change in the caller's unit of work (sealed into the chain after commit)."""
    event_id = new_id()
    session.add(
        AuditEventRow(
            id=event_id,
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before_json=None if before is None else _json(before),
            after_json=None if after is None else _json(after),
            occurred_at=occurred_at,
        )
    )
    return event_id


def append_at_once(
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
    """`append`, written at once by a Core insert on the session's connection (same transaction):
    for hot paths that never read the event back, so it costs no ORM flush."""
    session.connection().execute(
        _INSERT_EVENT,
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before_json": None,
            "after_json": _json(after),
            "occurred_at": occurred_at,
        },
    )


@dataclass(frozen=True)
class NewEvent:
    """An event to write (`append_many`): what `append` takes, as one value."""

    tenant_id: str | None
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    occurred_at: datetime


def append_many(session: Session, events: Sequence[NewEvent]) -> None:
    """Write many events at once by one prepared insert (executemany) in the session's
    transaction: a transfer's, a payment run's or an entry batch's events cost no ORM flush."""
    _APPEND_EVENTS.run(
        session,
        [
            {
                "id": new_id(),
                "tenant_id": event.tenant_id,
                "actor": event.actor,
                "action": event.action,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "before_json": None if event.before is None else _json(event.before),
                "after_json": None if event.after is None else _json(event.after),
                "occurred_at": event.occurred_at,
            }
            for event in events
        ],
    )


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)


def to_event(row: AuditEventRow) -> AuditEvent:
    """The event of a row (as hashed)."""
    return AuditEvent(
        id=row.id,
        tenant_id=row.tenant_id,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        before=_document(row.before_json),
        after=_document(row.after_json),
        occurred_at=row.occurred_at,
    )


def _document(stored: str | None) -> Any:
    """A stored before/after document. Text edited into something that is not JSON any more is
    kept as text, so its event fails verification by hash instead of stopping the verifier."""
    if stored is None:
        return None
    try:
        return json.loads(stored)
    except ValueError:
        return {"unparseable": stored}


def _locked_head(session: Session) -> AuditChainHeadRow:
    # The first sealers on an empty database may race to create the head: insert-if-absent, then
    # lock the one row that exists.
    insert_head = conflict_insert_for(session, AuditChainHeadRow).values(
        name=HEAD, count=0, hash=GENESIS_HASH
    )
    session.execute(insert_head.on_conflict_do_nothing(index_elements=["name"]))
    head = session.get(AuditChainHeadRow, HEAD, with_for_update=True, populate_existing=True)
    assert head is not None
    return head


def seal(session: Session) -> int:
    """Hash every committed, unsealed event into the chain, in commit-visible order."""
    head = _locked_head(session)
    query = (
        select(AuditEventRow)
        .where(AuditEventRow.chain_index.is_(None))
        .order_by(AuditEventRow.seq)
        .limit(SEAL_BATCH)
    )
    rows = list(session.scalars(query))
    updates: list[dict[str, Any]] = []
    for row in rows:
        digest = chain_hash(head.hash, to_event(row))
        updates.append(
            {"seq": row.seq, "chain_index": head.count + 1, "prev_hash": head.hash, "hash": digest}
        )
        head.count, head.hash = head.count + 1, digest
    if updates:
        session.expunge_all()
        session.execute(update(AuditEventRow), updates)
        session.execute(
            update(AuditChainHeadRow)
            .where(AuditChainHeadRow.name == HEAD)
            .values(count=head.count, hash=head.hash)
        )
    return len(updates)


def sealed_events(session: Session) -> Iterator[SealedEvent]:
    """The sealed chain in order, streamed."""
    query = (
        select(AuditEventRow)
        .where(AuditEventRow.chain_index.is_not(None))
        .order_by(AuditEventRow.chain_index)
        .execution_options(yield_per=2000)
    )
    # Closed when the caller stops early (a broken link): PostgreSQL streams through a server-side
    # cursor that must not outlive the session.
    with session.scalars(query) as rows:
        for row in rows:
            assert row.chain_index is not None
            # A hash set to null behind the sealer's back fails its link like any other edit.
            yield SealedEvent(to_event(row), row.chain_index, row.prev_hash or "", row.hash or "")


def unsealed_events(session: Session) -> Iterator[UnsealedEvent]:
    """The events without a place in the chain, oldest first, streamed."""
    query = (
        select(
            AuditEventRow.seq,
            AuditEventRow.id,
            AuditEventRow.occurred_at,
            or_(AuditEventRow.prev_hash.is_not(None), AuditEventRow.hash.is_not(None)),
        )
        .where(AuditEventRow.chain_index.is_(None))
        .order_by(AuditEventRow.seq)
        .execution_options(yield_per=2000)
    )
    with session.execute(query) as rows:
        for seq, event_id, occurred_at, has_chain_fields in rows:
            yield UnsealedEvent(seq, event_id, occurred_at, bool(has_chain_fields))


def recorded(action: str) -> Select[str, str | None, datetime, str | None]:
    """Every event of one action (sealed or not): the object, tenant, instant and `after`
    document, for a package to compare its own rows with what the trail recorded of them."""
    return select(
        AuditEventRow.object_id,
        AuditEventRow.tenant_id,
        AuditEventRow.occurred_at,
        AuditEventRow.after_json,
    ).where(AuditEventRow.action == action)


def head(session: Session) -> ChainHead:
    """The stored chain head (the sealer's cache; verification recomputes it)."""
    row = session.get(AuditChainHeadRow, HEAD)
    return ChainHead(0, GENESIS_HASH) if row is None else ChainHead(row.count, row.hash)


@dataclass(frozen=True)
class EventFilter:
    """What an audit listing is narrowed to (`date_to` exclusive)."""

    object_id: str | None = None
    actor: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def _events(tenant_id: str, where: EventFilter) -> Select[AuditEventRow]:
    query = select(AuditEventRow).where(AuditEventRow.tenant_id == tenant_id)
    if where.object_id is not None:
        query = query.where(AuditEventRow.object_id == where.object_id)
    if where.actor is not None:
        query = query.where(AuditEventRow.actor == where.actor)
    if where.date_from is not None:
        query = query.where(AuditEventRow.occurred_at >= where.date_from)
    if where.date_to is not None:
        query = query.where(AuditEventRow.occurred_at < where.date_to)
    return query


def list_events(
    session: Session,
    *,
    tenant_id: str,
    object_id: str | None,
    actor: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    limit: int,
) -> list[tuple[AuditEvent, int | None, str | None]]:
    """A tenant's events, oldest first, with their chain index and hash."""
    where = EventFilter(object_id=object_id, actor=actor, date_from=date_from, date_to=date_to)
    query = _events(tenant_id, where).order_by(AuditEventRow.seq).limit(limit)
    return [(to_event(row), row.chain_index, row.hash) for row in session.scalars(query)]


def event_page(
    session: Session, *, tenant_id: str, where: EventFilter, page: PageRequest
) -> Page[tuple[AuditEvent, int | None, str | None]]:
    """A page of a tenant's events in the order they were written, with chain index and hash."""
    found = keyset_page(
        session, _events(tenant_id, where), order=(AuditEventRow.seq,), descending=False, page=page
    )
    rows = [(to_event(row), row.chain_index, row.hash) for row in found.rows]
    return Page(rows=rows, total=found.total, next_key=found.next_key)
