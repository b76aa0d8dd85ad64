"""QuantLib pricing of FX forwards, NDFs, swaps and options, one trade or a whole book.

The only module of `hedging` that imports QuantLib, and the only place where floats exist: values
come in as Decimal and leave as Decimal. QuantLib's evaluation date is process-global and its
objects are not thread-safe, so every use runs under `QUANTLIB_LOCK` with the date set per call.

Markets: an inline flat market (continuous zero rates, Actual/365 Fixed, no spot lag) or a stored
snapshot (spot lag by the CFETS rule, deposit curves with their day counts, swap points that imply
the quote currency's curve, and an ATM / 25Δ RR / 25Δ BF smile). Values are quoted at the premium
date: `as_of` inline, the spot date of `as_of` with a snapshot.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import QuantLib as ql

from hedging.dates import ValueDates
from hedging.instruments import instrument_from_document
from hedging.model import (
    Combination,
    CurvePoint,
    Direction,
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
    Pair,
    PriceResult,
    Swap,
    VolPoint,
)
from treasury.calendars import year_fraction
from treasury.errors import InstrumentExpired, MarketDataMissing, ValidationFailed
from treasury.money import Currency, Money, round_money

QUANTLIB_LOCK = threading.RLock()
_A365 = ql.Actual365Fixed()
_DAY_COUNTERS = {"ACT/360": ql.Actual360(), "ACT/365F": ql.Actual365Fixed()}
FORWARD_PLACES = Decimal("1E-10")
_SCALE = {0: 1.0, 2: 100.0, 3: 1000.0, 4: 10000.0}
QUANTLIB_FIRST_YEAR, QUANTLIB_LAST_YEAR = 1901, 2199


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _qdate(day: date) -> ql.Date:
    if not QUANTLIB_FIRST_YEAR <= day.year <= QUANTLIB_LAST_YEAR:
        raise ValidationFailed(
            f"{day} lies outside the dates QuantLib handles "
            f"({QUANTLIB_FIRST_YEAR}-{QUANTLIB_LAST_YEAR})"
        )
    return ql.Date(day.day, day.month, day.year)


# -- a market, as QuantLib sees it ---------------------------------------------------------------


@dataclass
class PairMarket:
    """What values one pair on one date: curves, the spot for its value date, vols."""

    as_of: date
    pay_date: date  # the premium / spot date; NPVs are values on this date
    spot: float  # for delivery on `pay_date`
    domestic: ql.YieldTermStructure  # the quote currency's, reference `as_of`
    foreign: ql.YieldTermStructure  # the base currency's
    vol: Callable[[date, float], float]  # (expiry, strike) → Black vol
    settle_date: Callable[[date], date]  # a fixing or expiry date → its delivery date

    def df_domestic(self, day: date) -> float:
        """Discount factor of the quote currency from the pay date to `day`."""
        return float(
            self.domestic.discount(_qdate(day)) / self.domestic.discount(_qdate(self.pay_date))
        )

    def df_foreign(self, day: date) -> float:
        """Discount factor of the base currency from the pay date to `day`."""
        return float(
            self.foreign.discount(_qdate(day)) / self.foreign.discount(_qdate(self.pay_date))
        )

    def forward(self, day: date) -> float:
        """The outright for delivery on `day` (covered interest parity)."""
        return self.spot * self.df_foreign(day) / self.df_domestic(day)

    def years(self, day: date) -> float:
        """Actual/365 Fixed from `as_of`: the option's vol time."""
        return (day - self.as_of).days / 365.0

    def pay_years(self, day: date) -> float:
        """Actual/365 Fixed from the pay date: the rate time."""
        return (day - self.pay_date).days / 365.0


def flat_market(market: FlatMarket, as_of: date) -> PairMarket:
    """The inline flat market: continuous zero rates, Actual/365 Fixed, no spot lag."""
    today = _qdate(as_of)
    domestic = ql.FlatForward(today, float(market.domestic_rate), _A365, ql.Continuous)
    foreign = ql.FlatForward(today, float(market.foreign_rate), _A365, ql.Continuous)
    domestic.enableExtrapolation()
    foreign.enableExtrapolation()
    return PairMarket(
        as_of=as_of,
        pay_date=as_of,
        spot=float(market.spot),
        domestic=domestic,
        foreign=foreign,
        vol=_flat_vol(market),
        settle_date=lambda day: day,
    )


def _flat_vol(market: FlatMarket) -> Callable[[date, float], float]:
    if market.volatility is None:
        return lambda _expiry, _strike: _inline_volatility(market)
    sigma = float(market.volatility)
    return lambda _expiry, _strike: sigma


def _inline_volatility(market: FlatMarket) -> float:
    """The inline market's volatility. An option on a market without one is refused: priced as
    if it were 0, it would show the intrinsic value with a delta to match (issue #11, 10a)."""
    if market.volatility is None:
        raise MarketDataMissing(
            "the inline market has no volatility: an option needs one", field="volatility"
        )
    return float(market.volatility)


def snapshot_market(snapshot: MarketSnapshot, pair: Pair, dates: ValueDates) -> PairMarket:
    """A pair's market from a stored snapshot (curves, swap points, smile)."""
    as_of = snapshot.as_of
    spot_text = snapshot.spots.get(pair.code)
    if spot_text is None:
        raise MarketDataMissing(f"the snapshot of {as_of} has no {pair.code} spot", field="spots")
    pay = dates.spot_date(pair, as_of)
    spot = float(spot_text)
    base_curve = _deposit_curve(snapshot, pair.base, pair, pay, dates)
    points = snapshot.swap_points.get(pair.code)
    if points:
        quote_curve = _implied_curve(snapshot, pair, pay, spot, base_curve, dates)
    else:
        quote_curve = _deposit_curve(snapshot, pair.quote, pair, pay, dates)
    market = PairMarket(
        as_of=as_of,
        pay_date=pay,
        spot=spot,
        domestic=quote_curve,
        foreign=base_curve,
        vol=lambda _expiry, _strike: math.nan,
        settle_date=lambda day: dates.delivery_date(pair, day),
    )
    quotes = snapshot.vols.get(pair.code, ())
    if quotes:
        smile = _Smile(market, pair, quotes, dates)
        market.vol = smile.vol
    else:
        market.vol = _missing_vol(pair, as_of)
    return market


def _missing_vol(pair: Pair, as_of: date) -> Callable[[date, float], float]:
    def vol(_expiry: date, _strike: float) -> float:
        raise MarketDataMissing(f"the snapshot of {as_of} has no {pair.code} vols", field="vols")

    return vol


def _curve_points(snapshot: MarketSnapshot, currency: str) -> tuple[CurvePoint, ...]:
    points = snapshot.curves.get(currency)
    if not points:
        raise MarketDataMissing(
            f"the snapshot of {snapshot.as_of} has no {currency} curve", field="curves"
        )
    return points


def _deposit_curve(
    snapshot: MarketSnapshot, currency: str, pair: Pair, pay: date, dates: ValueDates
) -> ql.YieldTermStructure:
    """Deposits from the spot date: DF(spot→T) = 1 / (1 + r·τ); the first one also spans
    as_of → spot. A log-linear discount curve through the pillars."""
    points = _curve_points(snapshot, currency)
    pillars = [(dates.pillar_date(pair, pay, p.tenor), p) for p in points]
    pillars.sort(key=lambda item: item[0])
    first = pillars[0][1]
    df_pay = 1.0 / (1.0 + float(first.rate) * _tau(first.day_count, snapshot.as_of, pay))
    nodes = {snapshot.as_of: 1.0, pay: df_pay} if pay > snapshot.as_of else {snapshot.as_of: 1.0}
    for end, point in pillars:
        nodes[end] = df_pay / (1.0 + float(point.rate) * _tau(point.day_count, pay, end))
    return _discount_curve(nodes)


def _implied_curve(
    snapshot: MarketSnapshot,
    pair: Pair,
    pay: date,
    spot: float,
    base_curve: ql.YieldTermStructure,
    dates: ValueDates,
) -> ql.YieldTermStructure:
    """The quote currency's curve implied by swap points: F(T) = S + points, and covered
    interest parity DF_quote(spot→T) = DF_base(spot→T) · S / F(T) — what `FxSwapRateHelper`s
    bootstrap to, pillar by pillar. Before the spot date it follows the quote deposits if any."""
    if snapshot.curves.get(pair.quote):
        short = _deposit_curve(snapshot, pair.quote, pair, pay, dates)
    else:
        short = base_curve
    df_pay = float(short.discount(_qdate(pay)))
    base_pay = float(base_curve.discount(_qdate(pay)))
    nodes = {snapshot.as_of: 1.0, pay: df_pay} if pay > snapshot.as_of else {snapshot.as_of: 1.0}
    for point in snapshot.swap_points[pair.code]:
        end = dates.pillar_date(pair, pay, point.tenor)
        outright = spot + float(point.points)
        if outright <= 0:
            raise ValidationFailed(f"swap points {point.points} make a negative outright")
        base_df = float(base_curve.discount(_qdate(end))) / base_pay
        nodes[end] = df_pay * base_df * spot / outright
    return _discount_curve(nodes)


def _discount_curve(nodes: dict[date, float]) -> ql.YieldTermStructure:
    ordered = sorted(nodes.items())
    curve = ql.DiscountCurve([_qdate(d) for d, _ in ordered], [df for _, df in ordered], _A365)
    curve.enableExtrapolation()
    return curve


def _tau(day_count: str, start: date, end: date) -> float:
    return float(year_fraction(day_count, start, end))


class _Smile:
    """ATM (delta-neutral straddle), 25Δ RR and BF per tenor → a smile at any expiry.

    At an expiry the quotes are interpolated in time (ATM in total variance, RR and BF linearly,
    flat outside the pillars); σ25 = ATM + BF ± RR/2; pillar strikes from spot (not premium-
    adjusted) deltas with `BlackDeltaCalculator`; between them a quadratic in log-moneyness, flat
    beyond the 25Δ strikes.
    """

    def __init__(
        self, market: PairMarket, pair: Pair, quotes: tuple[VolPoint, ...], dates: ValueDates
    ) -> None:
        self._market = market
        pillars = [
            (market.years(dates.pillar_date(pair, market.pay_date, q.tenor)), q) for q in quotes
        ]
        pillars.sort(key=lambda item: item[0])
        self._times = [t for t, _ in pillars]
        self._atm = [float(q.atm) for _, q in pillars]
        self._rr = [float(q.rr25) for _, q in pillars]
        self._bf = [float(q.bf25) for _, q in pillars]
        self._cache: dict[date, tuple[list[float], list[float]]] = {}
        self._forwards: dict[date, float] = {}

    def quotes_at(self, t: float) -> tuple[float, float, float]:
        """(ATM, RR, BF) at time t."""
        times = self._times
        if t <= times[0]:
            return self._atm[0], self._rr[0], self._bf[0]
        if t >= times[-1]:
            return self._atm[-1], self._rr[-1], self._bf[-1]
        i = next(k for k in range(1, len(times)) if times[k] >= t)
        t0, t1 = times[i - 1], times[i]
        w = (t - t0) / (t1 - t0)
        variance = (1 - w) * self._atm[i - 1] ** 2 * t0 + w * self._atm[i] ** 2 * t1
        rr = self._rr[i - 1] + w * (self._rr[i] - self._rr[i - 1])
        bf = self._bf[i - 1] + w * (self._bf[i] - self._bf[i - 1])
        return math.sqrt(variance / t), rr, bf

    def pillars(self, expiry: date) -> tuple[list[float], list[float]]:
        """log-moneyness and vols of the 25Δ put, ATM and 25Δ call at `expiry`."""
        found = self._cache.get(expiry)
        if found is not None:
            return found
        market = self._market
        t = max(market.years(expiry), 1.0 / 365.0)
        atm, rr, bf = self.quotes_at(t)
        delivery = market.settle_date(expiry)
        df_d, df_f = market.df_domestic(delivery), market.df_foreign(delivery)
        forward = market.spot * df_f / df_d
        strikes, vols = delta_pillars(
            spot=market.spot, df_domestic=df_d, df_foreign=df_f, years=t, atm=atm, rr25=rr, bf25=bf
        )
        found = ([math.log(k / forward) for k in strikes], list(vols))
        self._cache[expiry] = found
        return found

    def vol(self, expiry: date, strike: float) -> float:
        """The Black vol at (expiry, strike)."""
        xs, vols = self.pillars(expiry)
        forward = self._forwards.get(expiry)
        if forward is None:
            forward = self._market.forward(self._market.settle_date(expiry))
            self._forwards[expiry] = forward
        x = min(max(math.log(strike / forward), xs[0]), xs[2])
        return _quadratic(xs, vols, x)


def delta_pillars(
    *,
    spot: float,
    df_domestic: float,
    df_foreign: float,
    years: float,
    atm: float,
    rr25: float,
    bf25: float,
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Strikes and vols of the 25Δ put, the ATM delta-neutral straddle and the 25Δ call, from
    spot (not premium-adjusted) deltas: σ25 = ATM + BF ± RR/2 (smile-strangle convention)."""
    call_vol, put_vol = atm + bf25 + rr25 / 2, atm + bf25 - rr25 / 2
    sqrt_t = math.sqrt(years)
    convention = ql.DeltaVolQuote.Spot
    atm_strike = ql.BlackDeltaCalculator(
        ql.Option.Call, convention, spot, df_domestic, df_foreign, atm * sqrt_t
    ).atmStrike(ql.DeltaVolQuote.AtmDeltaNeutral)
    try:
        call_strike = ql.BlackDeltaCalculator(
            ql.Option.Call, convention, spot, df_domestic, df_foreign, call_vol * sqrt_t
        ).strikeFromDelta(0.25)
        put_strike = ql.BlackDeltaCalculator(
            ql.Option.Put, convention, spot, df_domestic, df_foreign, put_vol * sqrt_t
        ).strikeFromDelta(-0.25)
    except RuntimeError as error:  # a spot delta reaches at most the base's discount factor
        raise ValidationFailed(
            f"no 25-delta strike exists {years:.1f} years out (base discount factor "
            f"{df_foreign:.4f}): the smile cannot value an option this long"
        ) from error
    return (put_strike, atm_strike, call_strike), (put_vol, atm, call_vol)


def _quadratic(xs: list[float], ys: list[float], x: float) -> float:
    total = 0.0
    for i in range(3):
        term = ys[i]
        for j in range(3):
            if j != i:
                term *= (x - xs[j]) / (xs[i] - xs[j])
        total += term
    return total


# -- one trade ---------------------------------------------------------------------------------


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
    return {name: _dec(getattr(result, name)) for name in OptionValue.__dataclass_fields__}


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
        ql.Settings.instance().evaluationDate = _qdate(as_of)
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
            delta=_dec(notional * unit.delta),
            gamma=_dec(notional * unit.gamma),
            vega=_dec(notional * unit.vega),
            theta=_dec(notional * unit.theta),
            rho_domestic=_dec(notional * unit.rho_domestic),
            rho_foreign=_dec(notional * unit.rho_foreign),
        )
        if isinstance(instrument, Option):
            breakdown["delivery_date"] = _option_delivery(instrument, market).isoformat()
    exact = _dec(npv)
    return PriceResult(
        npv=round_money(exact, quote),
        npv_exact=exact,
        forward_rate=_dec(forward).quantize(FORWARD_PLACES),
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
        ql.Settings.instance().evaluationDate = _qdate(as_of)
        built = _pair_market(market, combination.pair, as_of, dates)
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
    df_d0 = float(market.domestic.discount(_qdate(expiry)))
    df_f0 = float(market.foreign.discount(_qdate(expiry)))
    rd, rf = -math.log(df_d0) / t, -math.log(df_f0) / t
    pay_df_d = float(market.domestic.discount(_qdate(market.pay_date)))
    pay_df_f = float(market.foreign.discount(_qdate(market.pay_date)))
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
        ql.Settings.instance().evaluationDate = _qdate(market.as_of)
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
    today = _qdate(as_of)
    ql.Settings.instance().evaluationDate = today
    process = _flat_process(today, spot=spot, rd=rd, rf=rf, vol=vol, day_count=_A365)
    kind = ql.Option.Call if option.option_type is OptionType.CALL else ql.Option.Put
    instrument = ql.VanillaOption(
        ql.PlainVanillaPayoff(kind, float(option.strike)),
        ql.AmericanExercise(today, _qdate(option.expiry_date)),
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
        return _barrier_npv(option, as_of, _A365, **inputs)

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
    today = _qdate(as_of)
    ql.Settings.instance().evaluationDate = today
    process = _flat_process(today, spot=spot, rd=rd, rf=rf, vol=vol, day_count=day_count)
    kind = ql.Option.Call if option.option_type is OptionType.CALL else ql.Option.Put
    instrument = ql.BarrierOption(
        _BARRIERS[option.barrier_type],
        float(option.barrier),
        float(option.rebate),
        ql.PlainVanillaPayoff(kind, float(option.strike)),
        ql.EuropeanExercise(_qdate(option.expiry_date)),
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
    return _dec(value)


def reference_forward_npv(forward: Forward, market: FlatMarket, as_of: date) -> Decimal:
    """The same forward through QuantLib's own `FxForward` and `DiscountingFxForwardEngine`
    (QuantLib ≥ 1.43; NPV in the source currency, shown at spot), everything rebuilt: a check on
    `price`, and the benchmark's plain per-trade loop."""
    with QUANTLIB_LOCK:
        today = _qdate(as_of)
        ql.Settings.instance().evaluationDate = today
        base = getattr(ql, f"{forward.pair.ledger_base}Currency")()
        quote = getattr(ql, f"{forward.pair.ledger_quote}Currency")()
        instrument = ql.FxForward(
            float(forward.notional.amount),
            base,
            quote,
            float(forward.strike),
            _qdate(forward.delivery_date),
            forward.direction is Direction.SELL,  # a buyer of the base pays the quote currency
            0,
            ql.NullCalendar(),
        )
        spot = ql.QuoteHandle(ql.SimpleQuote(float(market.spot)))
        instrument.setPricingEngine(
            ql.DiscountingFxForwardEngine(
                ql.YieldTermStructureHandle(
                    ql.FlatForward(today, float(market.foreign_rate), _A365, ql.Continuous)
                ),
                ql.YieldTermStructureHandle(
                    ql.FlatForward(today, float(market.domestic_rate), _A365, ql.Continuous)
                ),
                spot,
            )
        )
        return _dec(instrument.NPV() * float(market.spot))


def reference_european_npv(option: Option, market: FlatMarket, as_of: date) -> Decimal:
    """A European option through `VanillaOption` + `AnalyticEuropeanEngine` on a
    `GarmanKohlagenProcess` (foreign curve first), everything rebuilt: the full QuantLib engine
    that checks `price` (delivery on expiry, inline market)."""
    with QUANTLIB_LOCK:
        today = _qdate(as_of)
        ql.Settings.instance().evaluationDate = today
        process = ql.GarmanKohlagenProcess(
            ql.QuoteHandle(ql.SimpleQuote(float(market.spot))),
            ql.YieldTermStructureHandle(
                ql.FlatForward(today, float(market.foreign_rate), _A365, ql.Continuous)
            ),
            ql.YieldTermStructureHandle(
                ql.FlatForward(today, float(market.domestic_rate), _A365, ql.Continuous)
            ),
            ql.BlackVolTermStructureHandle(
                ql.BlackConstantVol(today, ql.NullCalendar(), _inline_volatility(market), _A365)
            ),
        )
        kind = ql.Option.Call if option.option_type is OptionType.CALL else ql.Option.Put
        instrument = ql.VanillaOption(
            ql.PlainVanillaPayoff(kind, float(option.strike)),
            ql.EuropeanExercise(_qdate(option.expiry_date)),
        )
        instrument.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        sign = 1 if option.direction is Direction.BUY else -1
        return _dec(sign * float(option.notional.amount) * instrument.NPV())


# -- a whole book ------------------------------------------------------------------------------


class VanillaColumns(NamedTuple):
    """A forward (`option_type` None) or a European option delivering at expiry, as columns (a
    named tuple: one per hedge in a revaluation)."""

    pair: str
    last: date
    direction: str
    notional_minor: int
    currency: str
    strike: Decimal
    option_type: str | None

    def instrument(self) -> Forward | Option:
        """The instrument these columns describe."""
        pair, side = Pair.parse(self.pair), Direction(self.direction)
        notional = Money.from_minor(self.notional_minor, self.currency)
        if self.option_type is None:
            return Forward(pair, side, notional, self.strike, self.last)
        return Option(pair, OptionType(self.option_type), side, notional, self.strike, self.last)


@dataclass(frozen=True)
class BookTrade:
    """A trade of a book: its id and instrument, its stored document, or its columns."""

    id: str
    instrument: Instrument | None = None
    document: dict[str, Any] | None = None
    columns: VanillaColumns | None = None

    def resolved(self) -> Instrument:
        """The instrument, built from the document or columns when not given."""
        if self.instrument is not None:
            return self.instrument
        if self.columns is not None:
            return self.columns.instrument()
        assert self.document is not None
        return instrument_from_document(self.document)


@dataclass(frozen=True)
class BookValues:
    """NPVs (quote currency, exact) and forward rates of a book, in the order given."""

    npv: list[Decimal]
    forward_rate: list[float]
    sample_size: int
    sample_max_difference: Decimal


@dataclass
class _Vanilla:
    """Forwards and European options of one pair as columns."""

    rows: list[int] = field(default_factory=list)  # a combination's row twice, legs in turn
    second: list[bool] = field(default_factory=list)  # a combination's second leg
    is_option: list[bool] = field(default_factory=list)
    notional: list[float] = field(default_factory=list)  # signed: the holder's side
    strike: list[float] = field(default_factory=list)
    last: list[date] = field(default_factory=list)  # delivery of a forward, expiry of an option
    call: list[bool] = field(default_factory=list)


Leg = tuple[bool, float, float, bool]  # is an option, signed notional, strike, is a call


def _columns(trade: BookTrade) -> tuple[str, date, list[Leg] | None]:
    """(pair, last date, vanilla legs or None) without building the instrument if possible: a
    forward or European option is one leg, a combination of two European options two."""
    given = trade.columns
    if given is not None:
        sign = 1.0 if given.direction == "buy" else -1.0
        notional = sign * given.notional_minor / _SCALE[Currency.of(given.currency).minor_units]
        is_option = given.option_type is not None
        call = given.option_type == "call"
        return given.pair, given.last, [(is_option, notional, float(given.strike), call)]
    document = trade.document
    if document is not None:
        kind = document["type"]
        if kind == "forward":
            sign = 1.0 if document["direction"] == "buy" else -1.0
            last = date.fromisoformat(document["delivery_date"])
            notional = sign * float(document["notional"]["amount"])
            return document["pair"], last, [(False, notional, float(document["strike"]), False)]
        parts = document["legs"] if kind == "combination" else [document]
        legs = [_document_option(part) for part in parts]
        if all(legs) and len({part["expiry_date"] for part in parts}) == 1:
            last = date.fromisoformat(parts[0]["expiry_date"])
            return parts[0]["pair"], last, [leg for leg in legs if leg is not None]
    instrument = trade.resolved()
    return instrument.pair.code, instrument.last_date, _legs(instrument)


def _document_option(document: dict[str, Any]) -> Leg | None:
    """A European option delivering at expiry, from its document (else None)."""
    if (
        document.get("type", "option") != "option"
        or document.get("style", "european") != "european"
        or document.get("delivery_date")
    ):
        return None
    sign = 1.0 if document["direction"] == "buy" else -1.0
    notional = sign * float(document["notional"]["amount"])
    return (True, notional, float(document["strike"]), document["option_type"] == "call")


def _legs(instrument: Instrument) -> list[Leg] | None:
    if isinstance(instrument, Combination):
        legs = [_legs(leg) for leg in instrument.legs]
        return None if None in legs else [leg[0] for leg in legs if leg is not None]
    notional = instrument.direction.sign * float(instrument.notional.amount)
    if isinstance(instrument, Forward):
        return [(False, notional, float(instrument.strike), False)]
    if (
        isinstance(instrument, Option)
        and instrument.style is ExerciseStyle.EUROPEAN
        and instrument.delivery_date is None
    ):
        call = instrument.option_type is OptionType.CALL
        return [(True, notional, float(instrument.strike), call)]
    return None


def price_book(
    trades: list[BookTrade],
    market: FlatMarket | MarketSnapshot,
    as_of: date,
    *,
    dates: ValueDates | None = None,
    sample_every: int | None = 100,
) -> BookValues:
    """Value a book pair by pair: QuantLib gives discount factors at the unique dates and vols at
    the unique (expiry, strike); numpy does covered interest parity and Black on all forwards and
    European options at once; other trades go one by one through `price_on`. Every
    `sample_every`-th trade (None: no sample) is re-priced alone through the full QuantLib
    engine (QuantLib's own `FxForward` / `AnalyticEuropeanEngine` on the inline market) and must
    agree within 1e-10 relative or 1e-6 of notional.

    Raises:
        InstrumentExpired: a trade whose last date is not after `as_of`.
        MarketDataMissing: the market lacks what a trade needs.
        RuntimeError: the sample check failed (a pricing defect, never silently ignored).
    """
    npv: list[Decimal] = [Decimal(0)] * len(trades)
    forwards: list[float] = [0.0] * len(trades)
    vanilla, others = _group(trades, as_of)
    checked, worst = 0, Decimal(0)
    with QUANTLIB_LOCK:
        ql.Settings.instance().evaluationDate = _qdate(as_of)
        for pair_code in sorted(set(vanilla) | set(others)):
            pair_market = _pair_market(market, Pair.parse(pair_code), as_of, dates)
            priced = vanilla.get(pair_code)
            if priced is not None:
                values, outrights = _vectorised(priced, pair_market)
                previous = 0.0
                for row, value, outright, second in zip(
                    priced.rows, values.tolist(), outrights.tolist(), priced.second, strict=True
                ):
                    if second:  # a combination's legs follow each other: the whole is their sum
                        value += previous
                    previous = value
                    npv[row] = Decimal(repr(value))
                    forwards[row] = outright
            for row in others.get(pair_code, []):
                result = price_on(trades[row].resolved(), pair_market, with_greeks=False)
                npv[row] = result.npv_exact
                forwards[row] = float(result.forward_rate)
            rows = [*dict.fromkeys(priced.rows if priced else []), *others.get(pair_code, [])]
            sampled = [] if sample_every is None else sorted(rows)[:: max(sample_every, 1)]
            for row in sampled:
                instrument = trades[row].resolved()
                reference = _full_engine(instrument, market, pair_market, as_of)
                worst = max(worst, _agree(trades[row].id, instrument, reference, npv[row]))
                checked += 1
    return BookValues(npv, forwards, checked, worst)


def _group(
    trades: list[BookTrade], as_of: date
) -> tuple[dict[str, _Vanilla], dict[str, list[int]]]:
    """Per pair: the vanilla legs as columns, and the rows of the other trades."""
    vanilla: dict[str, _Vanilla] = {}
    others: dict[str, list[int]] = {}
    for index, trade in enumerate(trades):
        pair, last, legs = _columns(trade)
        if last <= as_of:
            raise InstrumentExpired(f"trade {trade.id} ended on {last}")
        if legs is None:
            others.setdefault(pair, []).append(index)
            continue
        group = vanilla.setdefault(pair, _Vanilla())
        for number, (is_option, notional, strike, call) in enumerate(legs):
            group.rows.append(index)
            group.second.append(number > 0)
            group.last.append(last)
            group.is_option.append(is_option)
            group.notional.append(notional)
            group.strike.append(strike)
            group.call.append(call)
    return vanilla, others


def _pair_market(
    market: FlatMarket | MarketSnapshot, pair: Pair, as_of: date, dates: ValueDates | None
) -> PairMarket:
    if isinstance(market, FlatMarket):
        return flat_market(market, as_of)
    if dates is None:
        raise ValueError("a snapshot needs value dates")
    return snapshot_market(market, pair, dates)


def _agree(trade_id: str, instrument: Instrument, reference: Decimal, value: Decimal) -> Decimal:
    difference = abs(reference - value)
    notional = instrument.notional.amount
    if difference > max(abs(reference) * Decimal("1E-10"), notional * Decimal("1E-6")):
        raise RuntimeError(
            f"book pricing disagrees with QuantLib on trade {trade_id}: {value} against {reference}"
        )
    return difference


def _vectorised(group: _Vanilla, market: PairMarket) -> tuple[Any, Any]:
    """Forwards and European options of one pair, priced together."""
    settle: dict[date, date] = {}
    deliveries = []
    for last, is_option in zip(group.last, group.is_option, strict=True):
        if is_option:
            if last not in settle:
                settle[last] = market.settle_date(last)
            deliveries.append(settle[last])
        else:
            deliveries.append(last)
    unique_dates = set(deliveries)
    df_d = {d: market.df_domestic(d) for d in unique_dates}
    df_f = {d: market.df_foreign(d) for d in unique_dates}
    disc = np.array([df_d[d] for d in deliveries])
    forward = market.spot * np.array([df_f[d] for d in deliveries]) / disc
    strike = np.array(group.strike)
    values = (forward - strike) * disc  # the forwards
    options = [k for k, is_option in enumerate(group.is_option) if is_option]
    if options:
        vols: dict[tuple[date, float], float] = {}
        years: dict[date, float] = {}
        sigma, time, omega = [], [], []
        for k in options:
            key = (group.last[k], group.strike[k])
            if key not in vols:
                vols[key] = market.vol(*key)
            if key[0] not in years:
                years[key[0]] = market.years(key[0])
            sigma.append(vols[key])
            time.append(years[key[0]])
            omega.append(1.0 if group.call[k] else -1.0)
        rows = np.array(options)
        values[rows] = _black_numpy(
            forward[rows],
            strike[rows],
            np.array(sigma),
            np.array(time),
            disc[rows],
            np.array(omega),
        )
    return np.array(group.notional) * values, forward


def _black_numpy(forward: Any, strike: Any, sigma: Any, years: Any, disc: Any, omega: Any) -> Any:
    std = sigma * np.sqrt(np.maximum(years, 0.0))
    safe = np.where(std > 0, std, 1.0)
    d1 = (np.log(forward / strike) + 0.5 * safe * safe) / safe
    d2 = d1 - safe
    cdf = np.frompyfunc(lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), 1, 1)
    priced = (
        disc
        * omega
        * (forward * cdf(omega * d1).astype(float) - strike * cdf(omega * d2).astype(float))
    )
    intrinsic = disc * np.maximum(omega * (forward - strike), 0.0)
    return np.where(std > 0, priced, intrinsic)


def _full_engine(
    instrument: Instrument, market: FlatMarket | MarketSnapshot, built: PairMarket, as_of: date
) -> Decimal:
    """The trade alone through QuantLib's engines (inline market) or `price_on` on the market;
    a combination leg by leg."""
    if isinstance(instrument, Combination):
        return sum((_full_engine(leg, market, built, as_of) for leg in instrument.legs), Decimal(0))
    if isinstance(market, FlatMarket):
        if isinstance(instrument, Forward):
            return reference_forward_npv(instrument, market, as_of)
        if (
            isinstance(instrument, Option)
            and instrument.style is ExerciseStyle.EUROPEAN
            and instrument.delivery_date in (None, instrument.expiry_date)
        ):
            return reference_european_npv(instrument, market, as_of)
    return price_on(instrument, built, with_greeks=False).npv_exact
