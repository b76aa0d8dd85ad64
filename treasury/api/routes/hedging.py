"""Market data, exposures, hedges, revaluations, effectiveness and the hedge-ratio report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Response, status
from pydantic import BaseModel, Field

from hedging import book, effectiveness, premiums, ratios, receipts, revaluation, service
from hedging.effectiveness import Verdict, verdict_of
from hedging.instruments import instrument_to_document
from hedging.market_data import snapshot_to_document
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, business_today, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.routes import hedge_accounting
from treasury.api.routes.fx import GreeksOut, InstrumentIn, to_instrument
from treasury.api.wire import (
    COMMON_PROBLEMS,
    MoneyOut,
    NonNegativeMoneyIn,
    PositiveMoneyIn,
    StrictModel,
    money_out,
    problem_responses,
)
from treasury.db.paging import sequence_page
from treasury.errors import DateNotReached

router = APIRouter(tags=["market data, exposures, hedges"], responses=COMMON_PROBLEMS)


# -- market data ---------------------------------------------------------------------------------


@router.post(
    "/v1/market-data/snapshots",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def add_snapshot(
    principal: Writer,
    uow_factory: UowFactoryDep,
    document: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "as_of": "2026-11-26",
                    "spots": {"USDCNY": "7.0850"},
                    "curves": {"USD": [{"tenor": "1M", "rate": "0.0410"}]},
                    "swap_points": {"USDCNY": [{"tenor": "1M", "points": "-0.0160"}]},
                    "vols": {
                        "USDCNY": [
                            {"tenor": "1M", "atm": "0.045", "rr25": "0.004", "bf25": "0.002"}
                        ]
                    },
                }
            ]
        ),
    ],
) -> dict[str, Any]:
    """Store a day's spots, deposit curves, swap points and vol quotes (one snapshot per as_of)."""
    snapshot = service.add_snapshot(
        uow_factory(), tenant_id=tenant_of(principal), document=document, actor=principal.name
    )
    return snapshot_to_document(snapshot)


class SnapshotList(ItemPage[date]):
    """A page of the dates with a snapshot, newest first."""


@router.get("/v1/market-data/snapshots", response_model=SnapshotList, responses=CSV_RESPONSE)
def list_snapshots(principal: Reader, uow_factory: UowFactoryDep, query: ListQueryDep) -> Response:
    """The tenant's snapshot dates, newest first (CSV: one `as_of` column)."""
    dates = service.snapshot_dates(uow_factory(), tenant_id=tenant_of(principal))
    page = sequence_page(dates, key=lambda on: (on,), page=query.page, descending=True)
    return respond(query, page, lambda on: on, SnapshotList, scalar_column="as_of")


@router.get("/v1/market-data/snapshots/{as_of}")
def get_snapshot(as_of: date, principal: Reader, uow_factory: UowFactoryDep) -> dict[str, Any]:
    """One snapshot's document."""
    snapshot = service.get_snapshot(uow_factory(), tenant_id=tenant_of(principal), as_of=as_of)
    return snapshot_to_document(snapshot)


# -- exposures -----------------------------------------------------------------------------------


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


# -- hedges --------------------------------------------------------------------------------------


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
    """A swap's near leg held for the officers, or as they decided it."""

    transfer_id: str
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
        description="a swap's near leg the pipeline held: its transfer and where it stands "
        "(held, booked, rejected)",
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
    idempotency = None
    if idempotency_key is not None:
        idempotency = book.IdempotentRequest(
            key=idempotency_key,
            request_document=body.model_dump(mode="json"),
            wait_seconds=settings.idempotency_wait_seconds,
        )
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


class RevaluationIn(StrictModel):
    """The date to revalue."""

    as_of: date


class SetAsideOut(BaseModel):
    """A deal the run could not value or settle (it keeps its last value), and why."""

    hedge_id: str
    reason: str


class MarketDataAgeOut(BaseModel):
    """How old the run's snapshot is, in China business days, against the limit in force."""

    snapshot_as_of: date
    age_business_days: int
    limit_business_days: int
    stale: bool
    policy: str = Field(description="flag (a stale run goes ahead, flagged) or refuse")


class RevaluationOut(BaseModel):
    """A revaluation run: `partial` when deals were set aside, listed in `set_aside` by the run
    that made the decision (a replay shows the status; the audit trail keeps the list)."""

    id: str
    as_of: date
    snapshot_as_of: date
    count: int
    settled: int
    npv_total: MoneyOut
    status: str = Field(description="completed, or partial when deals were set aside")
    replayed: bool
    set_aside: list[SetAsideOut]
    market_data: MarketDataAgeOut | None = None


@router.post(
    "/v1/hedges/revaluations",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def revalue(
    body: RevaluationIn,
    response: Response,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> RevaluationOut:
    """Revalue every live hedge on `as_of` and post the changes; a re-run (200) posts nothing.

    Never a future date: it would settle deals maturing by then at today's market, against the
    bank accounts, and lock out every earlier date.
    """
    uow = uow_factory()
    if body.as_of > business_today(settings, uow):
        raise DateNotReached(f"as_of {body.as_of} is in the future", field="as_of")
    run = revaluation.revalue(uow, tenant_id=tenant_of(principal), as_of=body.as_of)
    if run.replayed:
        response.status_code = status.HTTP_200_OK
    return RevaluationOut(
        id=run.id,
        as_of=run.as_of,
        snapshot_as_of=run.snapshot_as_of,
        count=run.count,
        settled=run.settled,
        npv_total=MoneyOut.of(run.npv_total),
        status=run.status,
        replayed=run.replayed,
        set_aside=[
            SetAsideOut(hedge_id=item.hedge_id, reason=item.reason) for item in run.set_aside
        ],
        market_data=None
        if run.market_data is None
        else MarketDataAgeOut(
            snapshot_as_of=run.snapshot_as_of,
            age_business_days=run.market_data.age_business_days,
            limit_business_days=run.market_data.limit_business_days,
            stale=run.market_data.stale,
            policy=run.market_data.policy,
        ),
    )


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
    idempotency = None
    if idempotency_key is not None:
        idempotency = book.IdempotentRequest(
            key=idempotency_key,
            request_document={"hedge_id": hedge_id, **body.model_dump(mode="json")},
            wait_seconds=settings.idempotency_wait_seconds,
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
    idempotency = None
    if idempotency_key is not None:
        idempotency = book.IdempotentRequest(
            key=idempotency_key,
            request_document={"hedge_id": hedge_id},
            wait_seconds=settings.idempotency_wait_seconds,
        )
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
    idempotency = None
    if idempotency_key is not None:
        idempotency = book.IdempotentRequest(
            key=idempotency_key,
            request_document={"hedge_id": hedge_id, **body.model_dump(mode="json")},
            wait_seconds=settings.idempotency_wait_seconds,
        )
    receipts.receive(
        uow_factory(),
        principal=principal,
        hedge_id=hedge_id,
        value_date=body.value_date,
        bank_ref=body.bank_ref,
        idempotency=idempotency,
    )
    return HedgeOut.of(
        book.get_hedge(uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id)
    )


class ValuationOut(BaseModel):
    """A hedge's value on a date."""

    hedge_id: str
    as_of: date
    snapshot_as_of: date
    npv: MoneyOut
    forward_rate: str
    greeks: GreeksOut | None
    stored_npv: MoneyOut | None


@router.get("/v1/hedges/{hedge_id}/valuation")
def hedge_valuation(
    hedge_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: date | None = None,
) -> ValuationOut:
    """The hedge priced on `as_of` (default today) from the latest snapshot on or before it."""
    uow = uow_factory()
    on = as_of
    if on is None:
        with uow:
            on = business_today(settings, uow)
    found = effectiveness.valuation(
        uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id, as_of=on
    )
    return ValuationOut(
        hedge_id=found.hedge_id,
        as_of=found.as_of,
        snapshot_as_of=found.snapshot_as_of,
        npv=MoneyOut.of(found.npv),
        forward_rate=str(found.forward_rate),
        greeks=GreeksOut.of(found.greeks, found.pair),
        stored_npv=money_out(found.stored_npv),
    )


class HistoryPoint(BaseModel):
    """A stored valuation of the hedge and of its hedged item."""

    as_of: date
    hedge: MoneyOut
    hedged_item: MoneyOut


class DollarOffsetOut(BaseModel):
    """Cumulative dollar offset (effective within 80–125 %); null `effective` with verdict
    `not_enough_observations` until there are two valuations and the item has moved."""

    hedge_change: str
    item_change: str
    ratio: str | None
    effective: bool | None
    verdict: Verdict


class RegressionOut(BaseModel):
    """Regression of period changes (R² ≥ 0.8, slope in [−1.25, −0.8], enough observations)."""

    observations: int
    observations_needed: int
    slope: str | None
    intercept: str | None
    r_squared: str | None
    effective: bool | None = Field(description="null until `observations_needed` are there")
    verdict: Verdict


class EffectivenessOut(BaseModel):
    """Both tests over the stored history."""

    hedge_id: str
    designation: str
    locked_rate: str | None
    history: list[HistoryPoint]
    dollar_offset: DollarOffsetOut
    regression: RegressionOut
    effective: bool | None = Field(description="null: not enough observations yet to judge")
    verdict: Verdict
    detail: str
    detail_zh: str


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get("/v1/hedges/{hedge_id}/effectiveness")
def hedge_effectiveness(
    hedge_id: str, principal: Reader, uow_factory: UowFactoryDep
) -> EffectivenessOut:
    """Dollar offset and regression for a designated (cash-flow) hedge."""
    found = effectiveness.assess(uow_factory(), tenant_id=tenant_of(principal), hedge_id=hedge_id)
    offset, fitted = found.dollar_offset, found.regression
    return EffectivenessOut(
        hedge_id=found.hedge_id,
        designation=found.designation,
        locked_rate=_text(found.locked_rate),
        history=[
            HistoryPoint(as_of=d, hedge=MoneyOut.of(h), hedged_item=MoneyOut.of(i))
            for d, h, i in found.history
        ],
        dollar_offset=DollarOffsetOut(
            hedge_change=str(offset.hedge_change),
            item_change=str(offset.item_change),
            ratio=_text(offset.ratio),
            effective=offset.effective,
            verdict=verdict_of(offset.effective),
        ),
        regression=RegressionOut(
            observations=fitted.observations,
            observations_needed=fitted.observations_needed,
            slope=_text(fitted.slope),
            intercept=_text(fitted.intercept),
            r_squared=_text(fitted.r_squared),
            effective=fitted.effective,
            verdict=verdict_of(fitted.effective),
        ),
        effective=found.effective,
        verdict=verdict_of(found.effective),
        **_effectiveness_detail(found),
    )


def _effectiveness_detail(found: effectiveness.Effectiveness) -> dict[str, str]:
    """What the verdict means, in English and Chinese."""
    fitted = found.regression
    if found.effective is None:
        have, need = fitted.observations, fitted.observations_needed
        return {
            "detail": f"not enough observations yet: {have} of the {need} the regression needs",
            "detail_zh": f"观察值尚不足：回归需要 {need} 个，目前 {have} 个",
        }
    if found.effective:
        return {
            "detail": "effective: dollar offset within 80–125 % and the regression passes",
            "detail_zh": "有效：比率分析在 80%–125% 之内，回归分析通过",
        }
    return {
        "detail": "ineffective: the dollar offset or the regression fails its bounds",
        "detail_zh": "无效：比率分析或回归分析超出界限",
    }


# -- the hedge-ratio report ----------------------------------------------------------------------


class RatioBucketOut(BaseModel):
    """One exposure bucket (entity, pair, direction, month) against the entity's policy."""

    entity_id: str
    pair: str
    direction: str
    month: str
    exposure: MoneyOut
    hedged: MoneyOut
    ratio: str
    policy_min: str
    policy_max: str
    within_policy: bool


class RatioReport(ItemPage[RatioBucketOut]):
    """A page of buckets by entity, pair, month and direction: those outside the policy are the
    alerts."""


@router.get("/v1/hedge-ratios", response_model=RatioReport, responses=CSV_RESPONSE)
def hedge_ratios(
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    query: ListQueryDep,
    entity_id: str | None = None,
) -> Response:
    """Actual hedge ratio per exposure bucket against each entity's (min, max) policy."""
    buckets = ratios.report(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        timezone=settings.timezone,
    )
    page = sequence_page(
        buckets, key=lambda b: (b.entity_id, b.pair, b.month, b.direction), page=query.page
    )
    return respond(
        query,
        page,
        lambda b: RatioBucketOut(
            entity_id=b.entity_id,
            pair=b.pair,
            direction=b.direction,
            month=b.month,
            exposure=MoneyOut.of(b.exposure),
            hedged=MoneyOut.of(b.hedged),
            ratio=str(b.ratio),
            policy_min=str(b.policy_min),
            policy_max=str(b.policy_max),
            within_policy=b.within_policy,
        ),
        RatioReport,
    )


router.include_router(hedge_accounting.router)
