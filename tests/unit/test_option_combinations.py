"""Option combinations (regulation §7): priced as the sum of their legs, solved to zero cost.

Oracles, not numbers the code printed once:
- Put-call parity: a bought put and a sold call at the same strike K on the same notional are a
  sold forward at K, so (a) a collar whose put strike is the forward is zero-cost exactly when its
  call strike is the forward too, whatever the smile; (b) a participating forward at 100 %
  participation is worth what QuantLib's own `FxForward` says the sold forward is worth.
- QuantLib's `blackFormula` on the smile's vol at each strike: the zero-cost collar's two premiums
  are equal, and the collar's value is the sum of those two legs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import QuantLib as ql

from hedging import pricing
from hedging.dates import ValueDates
from hedging.instruments import instrument_from_document, instrument_to_document
from hedging.market_data import snapshot_from_document
from hedging.model import (
    Combination,
    Direction,
    FlatMarket,
    Forward,
    Option,
    OptionType,
    Pair,
)
from tests.unit.test_market_data import DOCUMENT
from treasury.calendars import default_calendars
from treasury.errors import OptionCombinationInvalid
from treasury.money import Money

D = Decimal
DATES = ValueDates(default_calendars())
USDCNY = Pair.parse("USDCNY")
SNAPSHOT = snapshot_from_document(DOCUMENT)
AS_OF = SNAPSHOT.as_of
EXPIRY = date(2026, 9, 10)
NOTIONAL = Money.of("1000000.00", "USD")


def leg(kind: OptionType, side: Direction, strike: Decimal, notional: Money = NOTIONAL) -> Option:
    return Option(USDCNY, kind, side, notional, strike, EXPIRY)


def collar(put_strike: Decimal, call_strike: Decimal) -> Combination:
    """An exporter's collar: buy a USD put, sell a USD call."""
    return Combination(
        (
            leg(OptionType.PUT, Direction.BUY, put_strike),
            leg(OptionType.CALL, Direction.SELL, call_strike),
        )
    )


def smile_market() -> tuple[pricing.PairMarket, date, float, float, float]:
    """The snapshot's market, the collar's delivery, forward, discount factor and vol years."""
    with pricing.QUANTLIB_LOCK:
        ql.Settings.instance().evaluationDate = ql.Date.from_date(AS_OF)
        market = pricing.snapshot_market(SNAPSHOT, USDCNY, DATES)
        delivery = market.settle_date(EXPIRY)
        return (
            market,
            delivery,
            market.forward(delivery),
            market.df_domestic(delivery),
            market.years(EXPIRY),
        )


def black(market: pricing.PairMarket, kind: int, strike: float) -> float:
    """QuantLib's Black formula on the smile's vol at `strike`, per unit of base."""
    _, _, forward, discount, years = smile_market()
    sigma = market.vol(EXPIRY, strike)
    return float(ql.blackFormula(kind, strike, forward, sigma * math.sqrt(years), discount))


def test_a_collar_struck_at_the_forward_is_zero_cost_at_the_forward() -> None:
    _, _, forward, _, _ = smile_market()
    at_forward = D(repr(forward)).quantize(D("1E-10"))

    solved = pricing.zero_cost_combination(
        collar(at_forward, D("7.5")), SNAPSHOT, AS_OF, dates=DATES
    )

    assert solved.sold.strike == pytest.approx(at_forward, abs=D("1E-9"))
    assert solved.bought.strike == at_forward


def test_a_zero_cost_collar_from_the_smile_has_equal_premiums_through_quantlib() -> None:
    market, _, forward, _, _ = smile_market()
    bought = D(repr(forward * 0.99)).quantize(D("1E-4"))  # a put 1 % below the forward

    solved = pricing.zero_cost_combination(collar(bought, D("7.5")), SNAPSHOT, AS_OF, dates=DATES)
    whole = pricing.price(solved, SNAPSHOT, AS_OF, dates=DATES)

    call_strike = float(solved.sold.strike)
    with pricing.QUANTLIB_LOCK:
        put_premium = black(market, ql.Option.Put, float(bought))
        call_premium = black(market, ql.Option.Call, call_strike)
    assert call_strike > forward > float(bought)
    # The smile: the sold call is priced at its own vol, not the put's.
    assert market.vol(EXPIRY, call_strike) != pytest.approx(market.vol(EXPIRY, float(bought)))
    assert put_premium == pytest.approx(call_premium, rel=1e-9)
    legs_through_quantlib = 1_000_000 * (put_premium - call_premium)
    assert float(whole.npv_exact) == pytest.approx(legs_through_quantlib, abs=1e-4)
    assert abs(whole.npv.amount) <= D("0.01")


def test_a_combination_is_the_sum_of_its_legs_greeks_included() -> None:
    combination = collar(D("6.95"), D("7.15"))

    whole = pricing.price(combination, SNAPSHOT, AS_OF, dates=DATES)
    legs = [pricing.price(part, SNAPSHOT, AS_OF, dates=DATES) for part in combination.legs]

    assert whole.npv_exact == legs[0].npv_exact + legs[1].npv_exact
    assert whole.greeks is not None
    for name in ("delta", "gamma", "vega", "theta", "rho_domestic", "rho_foreign"):
        parts = [getattr(part.greeks, name) for part in legs]
        assert getattr(whole.greeks, name) == parts[0] + parts[1]
    assert whole.breakdown["max_delivery"] == "1000000.00"


INLINE = FlatMarket(
    spot=D("7.18"), domestic_rate=D("0.015"), foreign_rate=D("0.043"), volatility=D("0.05")
)
ONE_YEAR_AS_OF, ONE_YEAR = date(2025, 11, 26), date(2026, 11, 26)


def participating(strike: Decimal, sold: Money) -> Combination:
    return Combination(
        (
            Option(USDCNY, OptionType.PUT, Direction.BUY, NOTIONAL, strike, ONE_YEAR),
            Option(USDCNY, OptionType.CALL, Direction.SELL, sold, strike, ONE_YEAR),
        )
    )


def test_a_participating_forward_at_full_participation_is_quantlibs_sold_forward() -> None:
    strike = D("6.90")
    sold_forward = Forward(USDCNY, Direction.SELL, NOTIONAL, strike, ONE_YEAR)

    whole = pricing.price(participating(strike, NOTIONAL), INLINE, ONE_YEAR_AS_OF)

    reference = pricing.reference_forward_npv(sold_forward, INLINE, ONE_YEAR_AS_OF)
    assert whole.npv_exact == pytest.approx(reference, abs=D("1E-6"))


def test_a_zero_cost_participating_forward_sells_the_put_premium_in_calls() -> None:
    # Struck below the forward (7.18·e^(0.015−0.043) ≈ 6.982), the put is cheaper than the call:
    # the exporter sells calls on put/call of the notional and keeps the rest of the upside.
    strike = D("6.90")
    put = pricing.reference_european_npv(
        Option(USDCNY, OptionType.PUT, Direction.BUY, NOTIONAL, strike, ONE_YEAR),
        INLINE,
        ONE_YEAR_AS_OF,
    )
    call = pricing.reference_european_npv(
        Option(USDCNY, OptionType.CALL, Direction.BUY, NOTIONAL, strike, ONE_YEAR),
        INLINE,
        ONE_YEAR_AS_OF,
    )
    ratio = (put / call).quantize(D("1E-8"))
    sold = Money.of((NOTIONAL.amount * ratio).quantize(D("0.01")), "USD")

    whole = pricing.price(participating(strike, sold), INLINE, ONE_YEAR_AS_OF)

    assert D("0") < ratio < D("1")
    assert abs(whole.npv_exact) < D("0.05")
    assert participating(strike, sold).max_delivery == NOTIONAL  # one strike: one exercise


def test_max_delivery_doubles_when_the_call_is_struck_below_the_put() -> None:
    assert collar(D("6.90"), D("7.10")).max_delivery == NOTIONAL
    assert collar(D("7.00"), D("7.00")).max_delivery == NOTIONAL
    assert collar(D("7.10"), D("6.90")).max_delivery == Money.of("2000000.00", "USD")


@pytest.mark.parametrize(
    "change",
    [
        {"direction": "buy"},  # two bought options
        {"option_type": "put"},  # two puts
        {"expiry_date": "2026-10-10"},  # another tenor
        {"notional": {"amount": "1000000.01", "currency": "USD"}},  # sells more than it buys
    ],
)
def test_what_is_not_a_combination_is_refused(change: dict[str, object]) -> None:
    document = instrument_to_document(collar(D("6.95"), D("7.15")))
    document["legs"][1].update(change)

    with pytest.raises(OptionCombinationInvalid):
        instrument_from_document(document)


def test_a_combination_round_trips_as_a_document() -> None:
    combination = collar(D("6.95"), D("7.15"))

    assert instrument_from_document(instrument_to_document(combination)) == combination
    assert replace(combination).legs == combination.legs
