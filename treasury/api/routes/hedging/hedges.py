"""Hedges: booking under real demand (with an option's premium), listing, reading, early
close-out, paying a rejected premium again, and booking a dealing bank's expected credit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, Field

from hedging.instruments import instrument_to_document
from hedging.service import book, premiums, receipts
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.routes.fx import InstrumentIn, to_instrument
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    NonNegativeMoneyIn,
    StrictModel,
    money_out,
    problem_responses,
)
from treasury.db.paging import sequence_page
from treasury.settings import Settings

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


Day = date  # a field named `date` hides the type inside a model's body


class PremiumIn(StrictModel):
    """The premium agreed with the dealing bank for an option or a combination."""

    amount: NonNegativeMoneyIn = Field(
        description="in the pair's base currency or CNY; 0 for a zero-cost combination"
    )
    direction: Literal["pay", "receive"] = Field(
        default="pay",
        description="pay (a bought option, or a combination whose bought leg is worth more) or "
        "receive (a combination whose sold leg is worth more)",
    )
    date: Day | None = Field(
        default=None, description="the premium date (default: the trade's spot date)"
    )


class HedgeIn(StrictModel):
    """A hedge deal against an exposure of the same entity."""

    entity_id: str
    exposure_id: str
    trade_date: date
    instrument: InstrumentIn
    designation: Literal["cash_flow", "none"] = "none"
    settlement_account_id: str | None = Field(
        default=None, description="the entity's CNY account for net settlement (default: first)"
    )
    delivery_account_id: str | None = Field(
        default=None,
        description="a gross deal's account in the base currency (default: the first)",
    )
    counterparty_id: str | None = Field(
        default=None,
        description="the dealing bank, as a counterparty: a net settlement the entity owes is "
        "paid to it by a transfer of the payment pipeline (without one, the bank debits the "
        "settlement account directly)",
    )
    premium: PremiumIn | None = Field(
        default=None,
        description="an option's premium (a combination's net premium): paid to the dealing "
        "bank by a transfer of the payment pipeline on its date, from the entity's account in "
        "its currency",
    )


class PremiumOut(BaseModel):
    """A hedge's premium and its payment."""

    amount: MoneyOut
    direction: str
    date: Day
    account_id: str | None
    transfer_id: str | None
    status: str = Field(
        description="none (zero), booked, held (waiting for the officers), rejected (pay it "
        "again: POST /v1/hedges/{id}/premium), expected or received (a premium received)"
    )
    recognised_on: Day | None = Field(
        description="the revaluation that took it into the deal's value (null until then)"
    )

    @classmethod
    def of(cls, premium: premiums.Premium) -> PremiumOut:
        """Render a premium."""
        return cls(
            amount=MoneyOut.of(premium.amount),
            direction=premium.direction,
            date=premium.on,
            account_id=premium.account_id,
            transfer_id=premium.transfer_id,
            status=premium.status,
            recognised_on=premium.recognised_on,
        )


class NearLegOut(BaseModel):
    """A swap's near leg: its transfer and where it stands (booked, held for the officers,
    rejected by them), or a gain expected from the dealing bank (no transfer; expected, then
    received)."""

    transfer_id: str | None
    status: str


class DeliveryOut(BaseModel):
    """How a gross deal settled: its transfer, where it stands, the base it delivered."""

    transfer_id: str | None
    status: str
    delivered: MoneyOut | None
    expected: MoneyOut | None = Field(
        default=None,
        description="a net gain the dealing bank owes (status expected, then received)",
    )
    expected_on: Day | None = Field(default=None, description="the date it fell due")


class HedgeOut(BaseModel):
    """A hedge as stored."""

    id: str
    entity_id: str
    exposure_id: str
    trade_date: date
    instrument: dict[str, Any]
    designation: str
    locked_rate: str | None
    status: str
    closed_date: date | None
    change_of_underlying_ref: str | None
    settlement_account_id: str
    delivery_account_id: str | None = None
    counterparty_id: str | None = None
    delivery: DeliveryOut | None = Field(
        default=None,
        description="a gross deal's settlement transfer: held (waiting for the officers), "
        "delivered, rejected (the hedge is then undelivered) or lapsed (out of the money)",
    )
    premium: PremiumOut | None = None
    near_leg: NearLegOut | None = Field(
        default=None,
        description="a swap's near leg: its transfer and where it stands (booked, held, "
        "rejected), or a gain expected from the dealing bank (expected, received; no transfer)",
    )

    @classmethod
    def of(cls, hedge: book.Hedge) -> HedgeOut:
        """Render a hedge."""
        return cls(
            id=hedge.id,
            entity_id=hedge.entity_id,
            exposure_id=hedge.exposure_id,
            trade_date=hedge.trade_date,
            instrument=hedge.instrument,
            designation=hedge.designation,
            locked_rate=None if hedge.locked_rate is None else str(hedge.locked_rate),
            status=hedge.status,
            closed_date=hedge.closed_date,
            change_of_underlying_ref=hedge.change_of_underlying_ref,
            settlement_account_id=hedge.settlement_account_id,
            delivery_account_id=hedge.delivery_account_id,
            counterparty_id=hedge.counterparty_id,
            premium=None if hedge.premium is None else PremiumOut.of(hedge.premium),
            near_leg=None
            if hedge.near_leg is None
            else NearLegOut(transfer_id=hedge.near_leg.transfer_id, status=hedge.near_leg.status),
            delivery=None
            if hedge.delivery is None
            else DeliveryOut(
                transfer_id=hedge.delivery.transfer_id,
                status=hedge.delivery.status,
                delivered=None
                if hedge.delivery.delivered is None
                else MoneyOut.of(hedge.delivery.delivered),
                expected=money_out(hedge.delivery.expected),
                expected_on=hedge.delivery.expected_on,
            ),
        )


class HedgeList(ItemPage[HedgeOut]):
    """A page of hedges, by trade date and id."""


def keyed(
    key: str | None, document: dict[str, Any], settings: Settings
) -> book.IdempotentRequest | None:
    """The request under its optional Idempotency-Key (None: sent without one)."""
    if key is None:
        return None
    return book.IdempotentRequest(
        key=key, request_document=document, wait_seconds=settings.idempotency_wait_seconds
    )


@router.post("/v1/hedges", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def create_hedge(
    body: HedgeIn,
    response: Response,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional: a replay returns the hedge booked first and writes nothing",
        ),
    ] = None,
) -> HedgeOut:
    """Book a hedge; beyond the exposure's unhedged amount → 422 REAL_DEMAND_EXCEEDED."""
    instrument = to_instrument(body.instrument)
    idempotency = keyed(idempotency_key, body.model_dump(mode="json"), settings)
    hedge, replayed = book.create_hedge(
        uow_factory(),
        tenant_id=tenant_of(principal),
        request=book.HedgeRequest(
            entity_id=body.entity_id,
            exposure_id=body.exposure_id,
            trade_date=body.trade_date,
            instrument=instrument_to_document(instrument),
            designation=body.designation,
            settlement_account_id=body.settlement_account_id,
            delivery_account_id=body.delivery_account_id,
            counterparty_id=body.counterparty_id,
            premium=None
            if body.premium is None
            else premiums.PremiumRequest(
                body.premium.amount.to_money(), body.premium.direction, body.premium.date
            ),
        ),
        actor=principal.name,
        idempotency=idempotency,
        principal=principal,
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return HedgeOut.of(hedge)


@router.get("/v1/hedges", response_model=HedgeList, responses=CSV_RESPONSE)
def list_hedges(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    status_filter: Annotated[
        Literal["live", "closed", "matured"] | None, Query(alias="status")
    ] = None,
    exposure_id: str | None = None,
    entity_id: str | None = None,
) -> Response:
    """The tenant's hedges by trade date, optionally by status, exposure or entity."""
    found = [
        hedge
        for hedge in book.list_hedges(
            uow_factory(),
            tenant_id=tenant_of(principal),
            status=status_filter,
            exposure_id=exposure_id,
        )
        if entity_id is None or hedge.entity_id == entity_id
    ]
    page = sequence_page(found, key=lambda h: (h.trade_date, h.id), page=query.page)
    return respond(query, page, HedgeOut.of, HedgeList)


@router.get("/v1/hedges/{hedge_id}")
def get_hedge(hedge_id: str, principal: Reader, uow_factory: UowFactoryDep) -> HedgeOut:
    """One hedge."""
    return HedgeOut.of(
        book.get_hedge(uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id)
    )


class CloseIn(StrictModel):
    """An early close-out: the underlying changed, and this document shows it."""

    date: date
    change_of_underlying_ref: str | None = Field(default=None, max_length=200)


@router.post("/v1/hedges/{hedge_id}/close", responses=problem_responses(409))
def close_hedge(
    hedge_id: str,
    body: CloseIn,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional: a replay returns the closed hedge and writes nothing",
        ),
    ] = None,
) -> HedgeOut:
    """Close a hedge early; without a change-of-underlying reference → 422."""
    idempotency = keyed(
        idempotency_key, {"hedge_id": hedge_id, **body.model_dump(mode="json")}, settings
    )
    hedge = book.close_hedge(
        uow_factory(),
        tenant_id=tenant_of(principal),
        hedge_id=hedge_id,
        on=body.date,
        change_of_underlying_ref=body.change_of_underlying_ref,
        actor=principal.name,
        idempotency=idempotency,
    )
    return HedgeOut.of(hedge)


@router.post("/v1/hedges/{hedge_id}/premium", responses=problem_responses(409))
def pay_premium_again(
    hedge_id: str,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional: a replay returns the hedge and writes nothing",
        ),
    ] = None,
) -> HedgeOut:
    """Pay a rejected premium again (say once the account is funded): a new transfer of the
    payment pipeline, whose outcome is the hedge's `premium.status`; a premium that is not
    rejected → 409."""
    idempotency = keyed(idempotency_key, {"hedge_id": hedge_id}, settings)
    premiums.reinstruct(
        uow_factory(), principal=principal, hedge_id=hedge_id, idempotency=idempotency
    )
    return HedgeOut.of(
        book.get_hedge(uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id)
    )


class ReceiptIn(StrictModel):
    """The dealing bank's credit of an expected receipt, as the bank statement shows it."""

    value_date: Day | None = Field(
        default=None, description="the credit's value date (default: the date it fell due)"
    )
    bank_ref: str | None = Field(default=None, max_length=35, description="the bank's reference")
    statement_line_id: str | None = Field(
        default=None,
        max_length=36,
        description="the bank statement's credit, when a camt.053 brought it first (it sits in "
        "suspense): taken out of suspense instead of debiting the settlement account again; "
        "its value date and reference are the receipt's",
    )


@router.post("/v1/hedges/{hedge_id}/receipt", responses=problem_responses(409))
def receive_from_dealing_bank(
    hedge_id: str,
    body: ReceiptIn,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional: a replay returns the hedge and writes nothing",
        ),
    ] = None,
) -> HedgeOut:
    """Book the dealing bank's credit of a net gain expected from it (`delivery.status`
    expected → received): the settlement account debited, the incoming payments cleared;
    nothing expected → 409."""
    idempotency = keyed(
        idempotency_key, {"hedge_id": hedge_id, **body.model_dump(mode="json")}, settings
    )
    receipts.receive(
        uow_factory(),
        principal=principal,
        hedge_id=hedge_id,
        value_date=body.value_date,
        bank_ref=body.bank_ref,
        idempotency=idempotency,
        statement_line_id=body.statement_line_id,
    )
    return HedgeOut.of(
        book.get_hedge(uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id)
    )
