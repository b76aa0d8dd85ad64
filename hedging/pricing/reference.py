"""QuantLib's own engines, everything rebuilt per trade: a check on `trades`, and the
revaluation benchmark's plain per-trade loop."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import QuantLib as ql

from hedging.model import (
    Direction,
    FlatMarket,
    Forward,
    Option,
    OptionType,
)
from hedging.pricing.markets import inline_volatility
from hedging.pricing.quantlib import A365, QUANTLIB_LOCK, decimal_of, ql_date


def reference_forward_npv(forward: Forward, market: FlatMarket, as_of: date) -> Decimal:
    """The same forward through QuantLib's own `FxForward` and `DiscountingFxForwardEngine`
    (QuantLib ≥ 1.43; NPV in the source currency, shown at spot), everything rebuilt: a check on
    `price`, and the benchmark's plain per-trade loop."""
    with QUANTLIB_LOCK:
        today = ql_date(as_of)
        ql.Settings.instance().evaluationDate = today
        base = getattr(ql, f"{forward.pair.ledger_base}Currency")()
        quote = getattr(ql, f"{forward.pair.ledger_quote}Currency")()
        instrument = ql.FxForward(
            float(forward.notional.amount),
            base,
            quote,
            float(forward.strike),
            ql_date(forward.delivery_date),
            forward.direction is Direction.SELL,  # a buyer of the base pays the quote currency
            0,
            ql.NullCalendar(),
        )
        spot = ql.QuoteHandle(ql.SimpleQuote(float(market.spot)))
        instrument.setPricingEngine(
            ql.DiscountingFxForwardEngine(
                ql.YieldTermStructureHandle(
                    ql.FlatForward(today, float(market.foreign_rate), A365, ql.Continuous)
                ),
                ql.YieldTermStructureHandle(
                    ql.FlatForward(today, float(market.domestic_rate), A365, ql.Continuous)
                ),
                spot,
            )
        )
        return decimal_of(instrument.NPV() * float(market.spot))


def reference_european_npv(option: Option, market: FlatMarket, as_of: date) -> Decimal:
    """A European option through `VanillaOption` + `AnalyticEuropeanEngine` on a
    `GarmanKohlagenProcess` (foreign curve first), everything rebuilt: the full QuantLib engine
    that checks `price` (delivery on expiry, inline market)."""
    with QUANTLIB_LOCK:
        today = ql_date(as_of)
        ql.Settings.instance().evaluationDate = today
        process = ql.GarmanKohlagenProcess(
            ql.QuoteHandle(ql.SimpleQuote(float(market.spot))),
            ql.YieldTermStructureHandle(
                ql.FlatForward(today, float(market.foreign_rate), A365, ql.Continuous)
            ),
            ql.YieldTermStructureHandle(
                ql.FlatForward(today, float(market.domestic_rate), A365, ql.Continuous)
            ),
            ql.BlackVolTermStructureHandle(
                ql.BlackConstantVol(today, ql.NullCalendar(), inline_volatility(market), A365)
            ),
        )
        kind = ql.Option.Call if option.option_type is OptionType.CALL else ql.Option.Put
        instrument = ql.VanillaOption(
            ql.PlainVanillaPayoff(kind, float(option.strike)),
            ql.EuropeanExercise(ql_date(option.expiry_date)),
        )
        instrument.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        sign = 1 if option.direction is Direction.BUY else -1
        return decimal_of(sign * float(option.notional.amount) * instrument.NPV())
