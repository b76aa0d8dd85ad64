"""The audit trail as auditors and officers read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel

from treasury.api.deps import UowFactoryDep, requires, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import COMMON_PROBLEMS
from treasury.audit import repository, service
from treasury.audit.model import AuditEvent
from treasury.tenancy.model import Permission, Principal

router = APIRouter(prefix="/v1/audit-events", tags=["audit"], responses=COMMON_PROBLEMS)

AuditReader = Annotated[Principal, Depends(requires(Permission.READ_AUDIT))]


class AuditEventOut(BaseModel):
    """A state change with its place in the hash chain (null until sealed)."""

    id: str
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    occurred_at: datetime
    chain_index: int | None
    hash: str | None


class AuditEventList(ItemPage[AuditEventOut]):
    """A page of audit events, oldest first (the order they were written)."""


EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def _in_utc(instant: datetime | None, *, earliest: bool) -> datetime | None:
    """The instant in UTC; one UTC cannot hold (0001-01-01 at +14:00) is the calendar's edge."""
    if instant is None:
        return None
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        return EARLIEST if earliest else LATEST


@router.get("", response_model=AuditEventList, responses=CSV_RESPONSE)
def list_audit_events(
    principal: AuditReader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    object_id: str | None = None,
    actor: str | None = None,
    date_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    date_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> Response:
    """Every state change of the tenant, filtered by object, actor and time, oldest first."""
    where = repository.EventFilter(
        object_id=object_id,
        actor=actor,
        date_from=_in_utc(date_from, earliest=True),
        date_to=_in_utc(date_to, earliest=False),
    )
    page = service.event_page(
        uow_factory(), tenant_id=tenant_of(principal), where=where, page=query.page
    )
    return respond(query, page, _event_out, AuditEventList)


def _event_out(found: tuple[AuditEvent, int | None, str | None]) -> AuditEventOut:
    event, chain_index, digest = found
    return AuditEventOut(
        id=event.id,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        before=event.before,
        after=event.after,
        occurred_at=event.occurred_at,
        chain_index=chain_index,
        hash=digest,
    )
