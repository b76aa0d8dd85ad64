"""The audit trail as auditors and officers read it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from treasury.api.deps import UowFactoryDep, requires, tenant_of
from treasury.api.wire import COMMON_PROBLEMS
from treasury.audit import service
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


class AuditEventList(BaseModel):
    """`{"items": [...]}`, oldest first."""

    items: list[AuditEventOut]


@router.get("")
def list_audit_events(
    principal: AuditReader,
    uow_factory: UowFactoryDep,
    object_id: str | None = None,
    actor: str | None = None,
    date_from: Annotated[datetime | None, Query(alias="from")] = None,
    date_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> AuditEventList:
    """Every state change of the tenant, filtered by object, actor and time."""
    found = service.events(
        uow_factory(),
        tenant_id=tenant_of(principal),
        object_id=object_id,
        actor=actor,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return AuditEventList(
        items=[
            AuditEventOut(
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
            for event, chain_index, digest in found
        ]
    )
