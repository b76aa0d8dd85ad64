"""A market as QuantLib sees it: an inline flat market (continuous zero rates, Actual/365 Fixed, no
spot lag) or a stored snapshot (spot lag by the CFETS rule, deposit curves with their day counts,
swap points that imply the quote currency's curve, and an ATM / 25Δ RR / 25Δ BF smile)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import QuantLib as ql

from hedging.dates import ValueDates
from hedging.model import (
    CurvePoint,
    FlatMarket,
    MarketSnapshot,
    Pair,
    VolPoint,
)
from hedging.pricing.quantlib import A365, ql_date
from treasury.calendars import year_fraction
from treasury.errors import MarketDataMissing, ValidationFailed


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
            self.domestic.discount(ql_date(day)) / self.domestic.discount(ql_date(self.pay_date))
        )

    def df_foreign(self, day: date) -> float:
        """Discount factor of the base currency from the pay date to `day`."""
        return float(
            self.foreign.discount(ql_date(day)) / self.foreign.discount(ql_date(self.pay_date))
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
    today = ql_date(as_of)
    domestic = ql.FlatForward(today, float(market.domestic_rate), A365, ql.Continuous)
    foreign = ql.FlatForward(today, float(market.foreign_rate), A365, ql.Continuous)
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
        return lambda _expiry, _strike: inline_volatility(market)
    sigma = float(market.volatility)
    return lambda _expiry, _strike: sigma


def inline_volatility(market: FlatMarket) -> float:
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


def market_for_pair(
    market: FlatMarket | MarketSnapshot, pair: Pair, as_of: date, dates: ValueDates | None
) -> PairMarket:
    """The pair's market from an inline flat market or a snapshot (which needs value dates)."""
    if isinstance(market, FlatMarket):
        return flat_market(market, as_of)
    if dates is None:
        raise ValueError("a snapshot needs value dates")
    return snapshot_market(market, pair, dates)


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
    df_pay = float(short.discount(ql_date(pay)))
    base_pay = float(base_curve.discount(ql_date(pay)))
    nodes = {snapshot.as_of: 1.0, pay: df_pay} if pay > snapshot.as_of else {snapshot.as_of: 1.0}
    for point in snapshot.swap_points[pair.code]:
        end = dates.pillar_date(pair, pay, point.tenor)
        outright = spot + float(point.points)
        if outright <= 0:
            raise ValidationFailed(f"swap points {point.points} make a negative outright")
        base_df = float(base_curve.discount(ql_date(end))) / base_pay
        nodes[end] = df_pay * base_df * spot / outright
    return _discount_curve(nodes)


def _discount_curve(nodes: dict[date, float]) -> ql.YieldTermStructure:
    ordered = sorted(nodes.items())
    curve = ql.DiscountCurve([ql_date(d) for d, _ in ordered], [df for _, df in ordered], A365)
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
