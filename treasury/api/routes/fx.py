"""FX pricing: `POST /v1/fx/price` on an inline flat market or a stored snapshot (stateless)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from hedging.instruments import instrument_from_document
from hedging.model import FlatMarket, Greeks, Instrument, PriceResult
from hedging.service import markets as service
from treasury.api.deps import Reader, UowFactoryDep, tenant_of
from treasury.api.wire import (
    COMMON_PROBLEMS,
    CurrencyCode,
    DecimalString,
    MoneyOut,
    PositiveMoneyIn,
    StrictModel,
)
from treasury.bounds import MAX_VOLATILITY, check_volatility
from treasury.errors import ValidationFailed

router = APIRouter(prefix="/v1/fx", tags=["fx pricing"], responses=COMMON_PROBLEMS)

Pair = Annotated[str, Field(pattern=r"^[A-Z]{6}$", examples=["USDCNY"])]
Side = Literal["buy", "sell"]


class ForwardIn(StrictModel):
    """An outright forward on `notional` of the base currency at `strike`."""

    type: Literal["forward"]
    pair: Pair
    direction: Side
    notional: PositiveMoneyIn
    strike: DecimalString
    delivery_date: date
    settlement: Literal["gross", "net"] | None = Field(
        default=None,
        description="gross: both currencies delivered through the entity's bank accounts; net: "
        "the difference in CNY. Booked without it: gross for an onshore entity with an account "
        "in the base currency, else net",
    )


class NdfIn(StrictModel):
    """A non-deliverable forward, cash-settled in `settlement_currency` after `fixing_date`."""

    type: Literal["ndf"]
    pair: Pair
    direction: Side
    notional: PositiveMoneyIn
    strike: DecimalString
    delivery_date: date
    fixing_date: date
    settlement_currency: CurrencyCode


class OptionIn(StrictModel):
    """A vanilla option on `notional` of the base currency."""

    type: Literal["option"]
    pair: Pair
    option_type: Literal["call", "put"]
    direction: Side
    notional: PositiveMoneyIn
    strike: DecimalString
    expiry_date: date
    delivery_date: date | None = None
    style: Literal["european", "american"] = "european"
    settlement: Literal["gross", "net"] | None = Field(
        default=None,
        description="exercised in the money, gross delivers the base at the strike through the "
        "entity's bank accounts, net pays the intrinsic value in CNY; booked without it as a "
        "forward is (a combination's legs settle alike)",
    )


class SwapIn(StrictModel):
    """An FX swap: the near leg in `direction`, the far leg the other way."""

    type: Literal["swap"]
    pair: Pair
    direction: Side
    notional: PositiveMoneyIn
    near_date: date
    near_rate: DecimalString
    far_date: date
    far_rate: DecimalString
    settlement: Literal["gross", "net"] | None = Field(
        default=None,
        description="gross: both legs delivered through the entity's bank accounts at their "
        "rates; net: each leg's difference in CNY. Booked without it as a forward is",
    )


class KnockOutIn(StrictModel):
    """A European knock-out option (continuously monitored); the rebate is paid at the hit."""

    type: Literal["knock_out"]
    pair: Pair
    option_type: Literal["call", "put"]
    direction: Side
    notional: PositiveMoneyIn
    strike: DecimalString
    expiry_date: date
    barrier_type: Literal["up_out", "down_out"]
    barrier: DecimalString
    rebate: DecimalString | None = Field(default=None, description="quote currency per unit")


class CombinationLegIn(OptionIn):
    """One option of a combination (`type` may be left out)."""

    type: Literal["option"] = "option"


class CombinationIn(StrictModel):
    """Two options handled as a whole (regulation §7): one bought and one sold, a call and a put,
    the same pair and expiry — a collar, a risk reversal, a participating forward (sold notional
    smaller; booked as a hedge only with equal notionals)."""

    type: Literal["combination"]
    legs: list[CombinationLegIn] = Field(min_length=2, max_length=2)


AnyInstrumentIn = ForwardIn | NdfIn | OptionIn | SwapIn | KnockOutIn | CombinationIn
InstrumentIn = Annotated[AnyInstrumentIn, Field(discriminator="type")]


def _document(body: StrictModel) -> dict[str, Any]:
    document: dict[str, Any] = body.model_dump(mode="json")
    notional = getattr(body, "notional", None)
    if notional is not None:
        document["notional"] = {"amount": notional.amount, "currency": notional.currency}
    return document


def to_instrument(body: AnyInstrumentIn) -> Instrument:
    """The domain instrument (checked: currencies, dates, positive rates, combination rules)."""
    document = _document(body)
    if isinstance(body, CombinationIn):
        document["legs"] = [_document(leg) for leg in body.legs]
    return instrument_from_document(document)


class FlatMarketIn(StrictModel):
    """Continuously compounded zero rates (Actual/365 Fixed), no spot lag."""

    spot: DecimalString
    domestic_rate: DecimalString = Field(description="the quote currency's rate")
    foreign_rate: DecimalString = Field(description="the base currency's rate")
    volatility: DecimalString | None = Field(
        default=None,
        description="needed for options (without it an option is 422 MARKET_DATA_MISSING); "
        f"in (0, {MAX_VOLATILITY}]",
    )

    @field_validator("volatility")
    @classmethod
    def _positive_volatility(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        try:
            return check_volatility(value, "volatility")
        except ValidationFailed as error:  # a field error, like every other of the body
            raise ValueError(error.detail) from error


class SnapshotMarketIn(StrictModel):
    """A stored snapshot of a date."""

    snapshot: date


class PriceIn(StrictModel):
    """What to price, where and when."""

    as_of: date
    market: FlatMarketIn | SnapshotMarketIn
    instrument: InstrumentIn
    solve: Literal["zero_cost_strike"] | None = Field(
        default=None,
        description="for a combination: move the sold leg's strike until the whole costs "
        "nothing (shown in breakdown.zero_cost_strike)",
    )


_GREEK_DOCS = {
    "delta": "∂NPV/∂spot, in units of the base currency: the quote-currency value gained per 1.00 "
    "rise of spot (USDCNY: CNY per 1.00 CNY rise, i.e. a USD amount)",
    "gamma": "∂delta/∂spot: base-currency delta gained per 1.00 rise of spot",
    "vega": "∂NPV/∂σ in the quote currency per 1.00 (100 volatility points) rise of volatility; "
    "divide by 100 for one vol point",
    "theta": "∂NPV/∂t in the quote currency per year of time passing; divide by 365 for a day",
    "rho_domestic": "∂NPV/∂r in the quote currency per 1.00 (100 %) rise of the quote currency's "
    "rate; divide by 10,000 for a basis point",
    "rho_foreign": "∂NPV/∂r in the quote currency per 1.00 (100 %) rise of the base currency's "
    "rate; divide by 10,000 for a basis point",
}


class GreeksOut(BaseModel):
    """Whole-position sensitivities (a combination: of both legs together), as decimal strings;
    `units` states each one's unit for this position's pair."""

    delta: str = Field(description=_GREEK_DOCS["delta"])
    gamma: str = Field(description=_GREEK_DOCS["gamma"])
    vega: str = Field(description=_GREEK_DOCS["vega"])
    theta: str = Field(description=_GREEK_DOCS["theta"])
    rho_domestic: str = Field(description=_GREEK_DOCS["rho_domestic"])
    rho_foreign: str = Field(description=_GREEK_DOCS["rho_foreign"])
    units: dict[str, str] = Field(
        description="each Greek's unit for this pair, e.g. vega: 'CNY per 1.00 (100 vol points) "
        "rise of volatility'"
    )

    @classmethod
    def of(cls, greeks: Greeks | None, pair: str) -> GreeksOut | None:
        """Render Greeks with their units for `pair` (value in the quote currency)."""
        if greeks is None:
            return None
        return cls(
            delta=str(greeks.delta),
            gamma=str(greeks.gamma),
            vega=str(greeks.vega),
            theta=str(greeks.theta),
            rho_domestic=str(greeks.rho_domestic),
            rho_foreign=str(greeks.rho_foreign),
            units=greek_units(pair),
        )


def greek_units(pair: str) -> dict[str, str]:
    """What each Greek of a `pair` position measures (the value is in the quote currency)."""
    base, quote = pair[:3], pair[3:]
    return {
        "delta": f"{base}: {quote} of value per 1.00 {quote} rise of {pair} spot",
        "gamma": f"{base} of delta per 1.00 {quote} rise of {pair} spot",
        "vega": f"{quote} per 1.00 (100 vol points) rise of volatility",
        "theta": f"{quote} per year of time passing",
        "rho_domestic": f"{quote} per 1.00 (100%) rise of the {quote} rate",
        "rho_foreign": f"{quote} per 1.00 (100%) rise of the {base} rate",
    }


class PriceOut(BaseModel):
    """NPV (whole position, holder's sign, quote currency), forward rate, Greeks, breakdown."""

    as_of: date
    npv: MoneyOut
    npv_exact: str
    forward_rate: str
    greeks: GreeksOut | None
    breakdown: dict[str, str]

    @classmethod
    def of(cls, as_of: date, result: PriceResult, pair: str) -> PriceOut:
        """Render a price."""
        return cls(
            as_of=as_of,
            npv=MoneyOut.of(result.npv),
            npv_exact=str(result.npv_exact),
            forward_rate=str(result.forward_rate),
            greeks=GreeksOut.of(result.greeks, pair),
            breakdown=result.breakdown,
        )


@router.post("/price")
def price(body: PriceIn, principal: Reader, uow_factory: UowFactoryDep) -> PriceOut:
    """Price a forward, NDF, swap, option or option combination; an expired instrument is 422
    INSTRUMENT_EXPIRED."""
    market: FlatMarket | service.SnapshotRequest
    if isinstance(body.market, FlatMarketIn):
        market = FlatMarket(
            spot=body.market.spot,
            domestic_rate=body.market.domestic_rate,
            foreign_rate=body.market.foreign_rate,
            volatility=body.market.volatility,
        )
    else:
        market = service.SnapshotRequest(body.market.snapshot)
    instrument = to_instrument(body.instrument)
    result = service.price(
        uow_factory(),
        tenant_id=tenant_of(principal),
        instrument=instrument,
        market=market,
        as_of=body.as_of,
        zero_cost=body.solve == "zero_cost_strike",
    )
    return PriceOut.of(body.as_of, result, instrument.pair.code)
