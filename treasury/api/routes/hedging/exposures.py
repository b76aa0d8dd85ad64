"""Exposures: documented FX receipts and payments a hedge is booked against."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from hedging.service import book
from treasury.api.deps import Reader, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    PositiveMoneyIn,
    StrictModel,
)
from treasury.db.paging import sequence_page

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


class ExposureIn(StrictModel):
    """An expected receipt or payment of the pair's base currency."""

    entity_id: str
    pair: str = Field(pattern=r"^[A-Z]{6}$", examples=["USDCNY"])
    direction: Literal["receive", "pay"]
    amount: PositiveMoneyIn
    expected_date: date
    description: str = Field(default="", max_length=500)


class ExposureOut(BaseModel):
    """An exposure with what is hedged of it."""

    id: str
    entity_id: str
    pair: str
    direction: str
    amount: MoneyOut
    expected_date: date
    description: str
    hedged: MoneyOut
    unhedged: MoneyOut

    @classmethod
    def of(cls, exposure: book.Exposure) -> ExposureOut:
        """Render an exposure."""
        return cls(
            id=exposure.id,
            entity_id=exposure.entity_id,
            pair=exposure.pair,
            direction=exposure.direction,
            amount=MoneyOut.of(exposure.amount),
            expected_date=exposure.expected_date,
            description=exposure.description,
            hedged=MoneyOut.of(exposure.hedged),
            unhedged=MoneyOut.of(exposure.unhedged),
        )


class ExposureList(ItemPage[ExposureOut]):
    """A page of exposures, by expected date and id."""


@router.post("/v1/exposures", status_code=status.HTTP_201_CREATED)
def create_exposure(body: ExposureIn, principal: Writer, uow_factory: UowFactoryDep) -> ExposureOut:
    """Record a documented exposure (the real demand hedges are measured against)."""
    exposure = book.create_exposure(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=body.entity_id,
        pair=body.pair,
        direction=body.direction,
        amount=body.amount.to_money(),
        expected_date=body.expected_date,
        description=body.description,
        actor=principal.name,
    )
    return ExposureOut.of(exposure)


@router.get("/v1/exposures", response_model=ExposureList, responses=CSV_RESPONSE)
def list_exposures(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    entity_id: str | None = None,
    pair: Annotated[str | None, Query(pattern="^[A-Z]{6}$")] = None,
) -> Response:
    """The tenant's exposures by expected date, optionally of one entity or pair."""
    found = [
        exposure
        for exposure in book.list_exposures(
            uow_factory(), tenant_id=tenant_of(principal), entity_id=entity_id
        )
        if pair is None or exposure.pair == pair
    ]
    page = sequence_page(found, key=lambda e: (e.expected_date, e.id), page=query.page)
    return respond(query, page, ExposureOut.of, ExposureList)


@router.get("/v1/exposures/{exposure_id}")
def get_exposure(exposure_id: str, principal: Reader, uow_factory: UowFactoryDep) -> ExposureOut:
    """One exposure."""
    return ExposureOut.of(
        book.get_exposure(uow_factory(), tenant_id=tenant_of(principal), exposure_id=exposure_id)
    )
