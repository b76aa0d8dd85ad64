"""Restored records of a pool's centralised current-account flows (regulation.md §1.6, §1.9
rule 15): recorded once per flow, listed; the pool's day does not close without them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from pooling.service import restoration
from treasury.api.deps import Reader, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    PositiveMoneyIn,
    StrictModel,
    problem_responses,
)
from treasury.db.paging import sequence_page

router = APIRouter(prefix="/v1/pools", tags=["pools"], responses=COMMON_PROBLEMS)


class RestoredLineIn(StrictModel):
    """A member's gross receipt or payment carried by the flow."""

    entity_id: str
    direction: Literal["receipt", "payment"]
    amount: PositiveMoneyIn
    bop_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")


class RestoredRecordsIn(StrictModel):
    """The restored (还原) lines of one actual flow through the master; they net to it."""

    transfer_id: str
    lines: list[RestoredLineIn] = Field(min_length=1, max_length=1000)


class RestoredLineOut(BaseModel):
    """A restored line as stored."""

    entity_id: str
    direction: str
    amount: MoneyOut
    bop_code: str | None


class RestorationOut(BaseModel):
    """The restored records of one flow."""

    pool_id: str
    transfer_id: str
    lines: list[RestoredLineOut]
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, found: restoration.Restoration) -> RestorationOut:
        """Render one flow's restored records."""
        return cls(
            pool_id=found.pool_id,
            transfer_id=found.transfer_id,
            lines=[
                RestoredLineOut(
                    entity_id=line.entity_id,
                    direction=line.direction,
                    amount=MoneyOut.of(line.amount),
                    bop_code=line.bop_code,
                )
                for line in found.lines
            ],
            created_by=found.created_by,
            created_at=found.created_at,
        )


class RestorationList(ItemPage[RestorationOut]):
    """A page of every flow's restored records (one flow's when named), oldest first."""


@router.post(
    "/{pool_id}/restored-records",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def record_restored(
    pool_id: str, body: RestoredRecordsIn, principal: Writer, uow_factory: UowFactoryDep
) -> RestorationOut:
    """Record the restored lines of a centralised current-account flow, once (a second → 409)."""
    found = restoration.record(
        uow_factory(),
        tenant_id=tenant_of(principal),
        actor=principal.name,
        pool_id=pool_id,
        transfer_id=body.transfer_id,
        lines=[
            restoration.RestoredLine(
                line.entity_id, line.direction, line.amount.to_money(), line.bop_code
            )
            for line in body.lines
        ],
    )
    return RestorationOut.of(found)


@router.get("/{pool_id}/restored-records", response_model=RestorationList, responses=CSV_RESPONSE)
def list_restored(
    pool_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    transfer_id: str | None = None,
) -> Response:
    """The pool's restored records by flow (of one flow with `transfer_id`), oldest first."""
    found = restoration.restorations(
        uow_factory(), tenant_id=tenant_of(principal), pool_id=pool_id, transfer_id=transfer_id
    )
    page = sequence_page(found, key=lambda r: (r.created_at, r.transfer_id), page=query.page)
    return respond(query, page, RestorationOut.of, RestorationList)
