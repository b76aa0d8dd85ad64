"""One trade priced: forwards, NDFs, swaps, vanilla, American and knock-out options, and the
combinations of two options (the zero-cost strike solved to premium 0). Values are quoted at the
premium date: `as_of` inline, the spot date of `as_of` with a snapshot."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import QuantLib as ql

from hedging.dates import ValueDates
from hedging.model import (
    Combination,
    ExerciseStyle,
    FlatMarket,
    Forward,
    Greeks,
    Instrument,
    KnockOut,
    MarketSnapshot,
    Ndf,
    Option,
    OptionType,
    PriceResult,
    Swap,
)
from hedging.pricing.markets import PairMarket, flat_market, market_for_pair, snapshot_market
from hedging.pricing.quantlib import A365, FORWARD_PLACES, QUANTLIB_LOCK, decimal_of, ql_date
from treasury.errors import InstrumentExpired, ValidationFailed
from treasury.money import round_money


@dataclass(frozen=True)
class OptionValue:
    """A unit option's value and Greeks (per unit of base notional), in floats, internal."""

    value: float
    forward: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho_domestic: float
    rho_foreign: float


def black_option(
    *,
    option_type: OptionType,
    spot: float,
    strike: float,
    forward: float,
    volatility: float,
    vol_years: float,
    discount: float,
    rate_years: float,
) -> OptionValue:
    """A European FX option paid `rate_years` after the premium date, expiring after `vol_years`.

    value = DF_d · Black(F, K, σ√t_e); delta = ∂/∂S with F ∝ S; rhos shift the continuous zero
    rate between premium and delivery; theta is the flat-rate time decay (per year).
    """
    kind = ql.Option.Call if option_type is OptionType.CALL else ql.Option.Put
    std_dev = volatility * math.sqrt(vol_years)
    calculator = ql.BlackCalculator(ql.PlainVanillaPayoff(kind, strike), forward, std_dev, discount)
    value = calculator.value()
    delta_forward = calculator.deltaForward()
    gamma_forward = calculator.gammaForward()
    vega = calculator.vega(vol_years)
    ratio = forward / spot
    if rate_years > 0:
        rd = -math.log(discount) / rate_years
        rf = rd - math.log(ratio) / rate_years
    else:
        rd = rf = 0.0
    decay = vega * volatility / (2 * vol_years) if vol_years > 0 else 0.0
    return OptionValue(
        value=value,
        forward=forward,
        delta=delta_forward * ratio,
        gamma=gamma_forward * ratio * ratio,
        vega=vega,
        theta=rd * value - (rd - rf) * forward * delta_forward - decay,
        rho_domestic=rate_years * (delta_forward * forward - value),
        rho_foreign=-rate_years * forward * delta_forward,
    )


def vanilla_fx_option(
    *,
    option_type: OptionType,
    spot: Decimal,
    strike: Decimal,
    years: Decimal,
    domestic_rate: Decimal,
    foreign_rate: Decimal,
    volatility: Decimal,
) -> dict[str, Decimal]:
    """Garman-Kohlhagen on one unit of base currency, for a time in years (Decimal in and out)."""
    t = float(years)
    rd, rf = float(domestic_rate), float(foreign_rate)
    s = float(spot)
    with QUANTLIB_LOCK:
        result = black_option(
            option_type=option_type,
            spot=s,
            strike=float(strike),
            forward=s * math.exp((rd - rf) * t),
            volatility=float(volatility),
            vol_years=t,
            discount=math.exp(-rd * t),
            rate_years=t,
        )
    return {name: decimal_of(getattr(result, name)) for name in OptionValue.__dataclass_fields__}


def price(
    instrument: Instrument,
    market: FlatMarket | MarketSnapshot,
    as_of: date,
    *,
    dates: ValueDates | None = None,
) -> PriceResult:
    """NPV (quote currency, whole position, holder's sign), forward rate and Greeks of a trade.

    Raises:
        InstrumentExpired: its last date is on or before `as_of`.
        MarketDataMissing: the snapshot lacks a spot, curve or vol it needs.
    """
    if instrument.last_date <= as_of:
        raise InstrumentExpired(
            f"the instrument's last date {instrument.last_date} is not after {as_of}"
        )
    if not isinstance(market, FlatMarket) and dates is None:
        raise ValueError("a snapshot needs value dates")
    with QUANTLIB_LOCK:
        ql.Settings.instance().evaluationDate = ql_date(as_of)
        try:
            if isinstance(market, FlatMarket):
                pair_market = flat_market(market, as_of)
            else:
                assert dates is not None
                pair_market = snapshot_market(market, instrument.pair, dates)
            return price_on(instrument, pair_market)
        except (RuntimeError, ArithmeticError, ValueError) as error:  # QuantLib, overflow, log(0)
            raise ValidationFailed(
                f"this market gives the instrument no finite price ({error})"
            ) from error


def price_on(
    instrument: Instrument, market: PairMarket, *, with_greeks: bool = True
) -> PriceResult:
    """Price on a built market (the caller holds `QUANTLIB_LOCK`)."""
    if isinstance(instrument, Combination):
        return _combination(instrument, market, with_greeks=with_greeks)
    notional = float(instrument.notional.amount) * instrument.direction.sign
    quote = instrument.pair.ledger_quote
    greeks: Greeks | None = None
    breakdown: dict[str, str] = {"premium_date": market.pay_date.isoformat()}
    if isinstance(instrument, Forward | Ndf):
        _rate_terms(market, instrument.delivery_date, breakdown)
    if isinstance(instrument, Forward):
        forward = market.forward(instrument.delivery_date)
        df = market.df_domestic(instrument.delivery_date)
        npv = notional * (forward - float(instrument.strike)) * df
    elif isinstance(instrument, Ndf):
        npv, forward = _ndf(instrument, market, notional, breakdown)
    elif isinstance(instrument, Swap):
        npv, forward = _swap(instrument, market, notional)
    else:
        if isinstance(instrument, KnockOut):
            unit = _knock_out(instrument, market, with_greeks=with_greeks)
        else:
            unit = _option(instrument, market, with_greeks=with_greeks)
        npv, forward = notional * unit.value, unit.forward
        greeks = Greeks(
            delta=decimal_of(notional * unit.delta),
            gamma=decimal_of(notional * unit.gamma),
            vega=decimal_of(notional * unit.vega),
            theta=decimal_of(notional * unit.theta),
            rho_domestic=decimal_of(notional * unit.rho_domestic),
            rho_foreign=decimal_of(notional * unit.rho_foreign),
        )
        if isinstance(instrument, Option):
            breakdown["delivery_date"] = _option_delivery(instrument, market).isoformat()
    exact = decimal_of(npv)
    return PriceResult(
        npv=round_money(exact, quote),
        npv_exact=exact,
        forward_rate=decimal_of(forward).quantize(FORWARD_PLACES),
        greeks=greeks,
        breakdown=breakdown,
    )


def _combination(
    combination: Combination, market: PairMarket, *, with_greeks: bool = True
) -> PriceResult:
    """The legs priced apart on one market and added: the NPV and the Greeks of the whole."""
    legs = [price_on(leg, market, with_greeks=with_greeks) for leg in combination.legs]
    exact = sum((leg.npv_exact for leg in legs), Decimal(0))
    breakdown = dict(legs[0].breakdown)
    for name, leg, result in zip(("first", "second"), combination.legs, legs, strict=True):
        breakdown[f"{name}_leg_npv"] = str(result.npv_exact)
        breakdown[f"{name}_leg"] = f"{leg.direction.value} {leg.option_type.value} {leg.strike}"
    breakdown["max_delivery"] = combination.max_delivery.to_wire()
    greeks = None
    if legs[0].greeks is not None and legs[1].greeks is not None:
        first, second = legs[0].greeks, legs[1].greeks
        greeks = Greeks(
            **{
                name: getattr(first, name) + getattr(second, name)
                for name in Greeks.__dataclass_fields__
            }
        )
    return PriceResult(
        npv=round_money(exact, combination.pair.ledger_quote),
        npv_exact=exact,
        forward_rate=legs[0].forward_rate,
        greeks=greeks,
        breakdown=breakdown,
    )


def zero_cost_combination(
    combination: Combination,
    market: FlatMarket | MarketSnapshot,
    as_of: date,
    *,
    dates: ValueDates | None = None,
) -> Combination:
    """The combination with its sold leg's strike moved until the whole costs nothing (QuantLib's
    Brent solver over the smile: each trial strike reads its own vol), to 1E-10.

    Raises:
        ValidationFailed: no strike within a quarter to four times the forward gives premium 0.
    """
    sold = combination.sold
    with QUANTLIB_LOCK:
        ql.Settings.instance().evaluationDate = ql_date(as_of)
        built = market_for_pair(market, combination.pair, as_of, dates)
        bought = float(price_on(combination.bought, built, with_greeks=False).npv_exact)

        def premium(strike: float) -> float:
            leg = replace(sold, strike=Decimal(repr(strike)))
            return bought + float(price_on(leg, built, with_greeks=False).npv_exact)

        forward = built.forward(_option_delivery(sold, built))
        try:
            solved = ql.Brent().solve(premium, 1e-12, forward, forward / 4, forward * 4)
        except RuntimeError as error:
            raise ValidationFailed(
                f"no strike of the sold leg makes this combination cost nothing ({error})",
                field="legs",
            ) from error
    strike = Decimal(repr(solved)).quantize(FORWARD_PLACES)
    legs = tuple(replace(leg, strike=strike) if leg is sold else leg for leg in combination.legs)
    return Combination((legs[0], legs[1]))


def _rate_terms(market: PairMarket, delivery: date, breakdown: dict[str, str]) -> None:
    """The time to delivery and the quote currency's continuous zero rate over it."""
    years = market.pay_years(delivery)
    zero = -math.log(market.df_domestic(delivery)) / years if years > 0 else 0.0
    breakdown["rate_years"] = repr(market.years(delivery))
    breakdown["domestic_zero_rate"] = repr(zero)


def _ndf(
    ndf: Ndf, market: PairMarket, notional: float, breakdown: dict[str, str]
) -> tuple[float, float]:
    fixing_forward = market.forward(market.settle_date(ndf.fixing_date))
    difference = notional * (fixing_forward - float(ndf.strike))
    settlement = "CNY" if ndf.settlement_currency == "CNH" else ndf.settlement_currency
    breakdown["settlement_currency"] = settlement
    if settlement == ndf.pair.ledger_quote:
        return difference * market.df_domestic(ndf.delivery_date), fixing_forward
    # Paid in the base currency: N·(F − K)/F at delivery, valued in base, shown at spot.
    in_base = difference / fixing_forward * market.df_foreign(ndf.delivery_date)
    breakdown["npv_settlement_currency"] = repr(in_base)
    return in_base * market.spot, fixing_forward


def _swap(swap: Swap, market: PairMarket, notional: float) -> tuple[float, float]:
    far_forward = market.forward(swap.far_date)
    far = -notional * (far_forward - float(swap.far_rate)) * market.df_domestic(swap.far_date)
    near = 0.0
    if swap.near_date > market.as_of:  # on its date the revaluation settles the near leg
        near_forward = market.forward(swap.near_date)
        near = (
            notional * (near_forward - float(swap.near_rate)) * market.df_domestic(swap.near_date)
        )
    return near + far, far_forward


def _option_delivery(option: Option, market: PairMarket) -> date:
    return option.delivery_date or market.settle_date(option.expiry_date)


def _option(option: Option, market: PairMarket, *, with_greeks: bool = True) -> OptionValue:
    delivery = _option_delivery(option, market)
    strike = float(option.strike)
    forward = market.forward(delivery)
    sigma = market.vol(option.expiry_date, strike)
    if option.style is ExerciseStyle.AMERICAN:
        return _american(option, market, sigma, with_greeks=with_greeks)
    return black_option(
        option_type=option.option_type,
        spot=market.spot,
        strike=strike,
        forward=forward,
        volatility=sigma,
        vol_years=market.years(option.expiry_date),
        discount=market.df_domestic(delivery),
        rate_years=market.pay_years(delivery),
    )


Engine = Callable[..., float]  # (as_of, *, spot, rd, rf, vol) → value per unit on as_of


def _american(
    option: Option, market: PairMarket, sigma: float, *, with_greeks: bool = True
) -> OptionValue:
    """QdFp on the flat-equivalent market to expiry (delivery on exercise), Greeks by bumping."""

    def engine(as_of: date, **inputs: float) -> float:
        return _qdfp(option, as_of, **inputs)

    payoff = 1.0 if option.option_type is OptionType.CALL else -1.0
    return _flat_engine_value(
        engine,
        option.expiry_date,
        market,
        sigma,
        intrinsic=lambda spot: max(payoff * (spot - float(option.strike)), 0.0),
        with_greeks=with_greeks,
    )


def _flat_engine_value(
    engine: Engine,
    expiry: date,
    market: PairMarket,
    sigma: float,
    *,
    intrinsic: Callable[[float], float],
    with_greeks: bool,
) -> OptionValue:
    """Run a QuantLib engine on the flat-equivalent market to `expiry` (zero rates, the spot for
    immediate delivery, one vol); carry the value to the premium date; Greeks by bumping."""
    t = market.years(expiry)
    df_d0 = float(market.domestic.discount(ql_date(expiry)))
    df_f0 = float(market.foreign.discount(ql_date(expiry)))
    rd, rf = -math.log(df_d0) / t, -math.log(df_f0) / t
    pay_df_d = float(market.domestic.discount(ql_date(market.pay_date)))
    pay_df_f = float(market.foreign.discount(ql_date(market.pay_date)))
    spot0 = market.spot * pay_df_f / pay_df_d
    inputs = {"spot": spot0, "rd": rd, "rf": rf, "vol": sigma}

    def value(**changes: float) -> float:
        return engine(market.as_of, **{**inputs, **changes}) / pay_df_d

    base = value()
    forward = spot0 * df_f0 / df_d0
    if not with_greeks:
        return OptionValue(base, forward, *(math.nan,) * 6)
    h, step = spot0 * 1e-3, 1e-4
    up, down = value(spot=spot0 + h), value(spot=spot0 - h)
    if (expiry - market.as_of).days <= 1:
        later = intrinsic(spot0) / pay_df_d
    else:
        later = engine(market.as_of + timedelta(days=1), **inputs) / pay_df_d
        ql.Settings.instance().evaluationDate = ql_date(market.as_of)
    return OptionValue(
        value=base,
        forward=forward,
        delta=(up - down) / (2 * h) * pay_df_f / pay_df_d,
        gamma=(up - 2 * base + down) / (h * h) * (pay_df_f / pay_df_d) ** 2,
        vega=(value(vol=sigma + step) - value(vol=sigma - step)) / (2 * step),
        theta=(later - base) * 365.0,
        rho_domestic=(value(rd=rd + step) - value(rd=rd - step)) / (2 * step),
        rho_foreign=(value(rf=rf + step) - value(rf=rf - step)) / (2 * step),
    )


def _flat_process(
    today: ql.Date, *, spot: float, rd: float, rf: float, vol: float, day_count: ql.DayCounter
) -> ql.GarmanKohlagenProcess:
    """Garman-Kohlhagen on flat curves: the foreign (base) curve first, then the domestic."""
    return ql.GarmanKohlagenProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rf, day_count, ql.Continuous)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rd, day_count, ql.Continuous)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), vol, day_count)
        ),
    )


def _qdfp(option: Option, as_of: date, *, spot: float, rd: float, rf: float, vol: float) -> float:
    today = ql_date(as_of)
    ql.Settings.instance().evaluationDate = today
    process = _flat_process(today, spot=spot, rd=rd, rf=rf, vol=vol, day_count=A365)
    kind = ql.Option.Call if option.option_type is OptionType.CALL else ql.Option.Put
    instrument = ql.VanillaOption(
        ql.PlainVanillaPayoff(kind, float(option.strike)),
        ql.AmericanExercise(today, ql_date(option.expiry_date)),
    )
    instrument.setPricingEngine(ql.QdFpAmericanEngine(process))
    return float(instrument.NPV())


_BARRIERS = {"up_out": ql.Barrier.UpOut, "down_out": ql.Barrier.DownOut}


def _knock_out(option: KnockOut, market: PairMarket, *, with_greeks: bool = True) -> OptionValue:
    """A continuously monitored knock-out (Reiner-Rubinstein/Haug, `AnalyticBarrierEngine`) on
    the flat-equivalent market, the vol at the strike; the rebate is paid at the hit. A spot
    already through the barrier is a knocked-out deal worth its rebate."""
    sigma = market.vol(option.expiry_date, float(option.strike))
    touched = (option.barrier_type == "up_out" and market.spot >= float(option.barrier)) or (
        option.barrier_type == "down_out" and market.spot <= float(option.barrier)
    )
    if touched:
        forward = market.forward(market.settle_date(option.expiry_date))
        return OptionValue(float(option.rebate), forward, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def engine(as_of: date, **inputs: float) -> float:
        return _barrier_npv(option, as_of, A365, **inputs)

    payoff = 1.0 if option.option_type is OptionType.CALL else -1.0
    return _flat_engine_value(
        engine,
        option.expiry_date,
        market,
        sigma,
        intrinsic=lambda spot: max(payoff * (spot - float(option.strike)), 0.0),
        with_greeks=with_greeks,
    )


def _barrier_npv(
    option: KnockOut,
    as_of: date,
    day_count: ql.DayCounter,
    *,
    spot: float,
    rd: float,
    rf: float,
    vol: float,
) -> float:
    today = ql_date(as_of)
    ql.Settings.instance().evaluationDate = today
    process = _flat_process(today, spot=spot, rd=rd, rf=rf, vol=vol, day_count=day_count)
    kind = ql.Option.Call if option.option_type is OptionType.CALL else ql.Option.Put
    instrument = ql.BarrierOption(
        _BARRIERS[option.barrier_type],
        float(option.barrier),
        float(option.rebate),
        ql.PlainVanillaPayoff(kind, float(option.strike)),
        ql.EuropeanExercise(ql_date(option.expiry_date)),
    )
    instrument.setPricingEngine(ql.AnalyticBarrierEngine(process))
    return float(instrument.NPV())


def knock_out_fx_option(
    *,
    option: KnockOut,
    spot: Decimal,
    days: int,
    domestic_rate: Decimal,
    foreign_rate: Decimal,
    volatility: Decimal,
) -> Decimal:
    """A unit knock-out for a time of `days`/360 years (Actual/360, so that published examples
    with T = 0.5 are exact): Decimal in, Decimal out."""
    start = option.expiry_date - timedelta(days=days)
    with QUANTLIB_LOCK:
        value = _barrier_npv(
            option,
            start,
            ql.Actual360(),
            spot=float(spot),
            rd=float(domestic_rate),
            rf=float(foreign_rate),
            vol=float(volatility),
        )
    return decimal_of(value)
