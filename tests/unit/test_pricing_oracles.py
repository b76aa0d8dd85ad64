"""Pricing against published numbers and identities (fx-pricing.md §3), not numbers it printed once.

- Haug, *The Complete Guide to Option Pricing Formulas*: the Garman-Kohlhagen example and the
  Greeks examples (the values QuantLib's own test-suite checks, tolerance 1e-4).
- Hull, *Options, Futures, and Other Derivatives*, Example 5.6: AUD/USD forward by interest parity.
- Put-call parity and an independent closed form (math.erf) agreeing with QuantLib to ~1e-12.
- QuantLib's own `FxForward` and `AnalyticEuropeanEngine` for the same trades.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest

from hedging import pricing
from hedging.model import (
    Direction,
    ExerciseStyle,
    FlatMarket,
    Forward,
    KnockOut,
    Ndf,
    Option,
    OptionType,
    Pair,
    Swap,
    reserve_cost,
)
from treasury.errors import InstrumentExpired
from treasury.money import Money

D = Decimal
USDCNY = Pair.parse("USDCNY")
AS_OF = date(2025, 11, 26)
ONE_YEAR = date(2026, 11, 26)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def gk_closed_form(
    kind: str, s: float, k: float, t: float, rd: float, rf: float, sigma: float
) -> float:
    """Garman-Kohlhagen written out, independent of QuantLib."""

    def n(x: float) -> float:
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    d1 = (math.log(s / k) + (rd - rf + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if kind == "call":
        return s * math.exp(-rf * t) * n(d1) - k * math.exp(-rd * t) * n(d2)
    return k * math.exp(-rd * t) * n(-d2) - s * math.exp(-rf * t) * n(-d1)


def test_haug_garman_kohlhagen_example() -> None:
    # Haug: S=1.56, K=1.60, T=0.5, rd=6 %, rf=8 %, σ=12 % → call 0.0291 (0.029099253).
    value = pricing.vanilla_fx_option(
        option_type=OptionType.CALL,
        spot=D("1.56"),
        strike=D("1.60"),
        years=D("0.5"),
        domestic_rate=D("0.06"),
        foreign_rate=D("0.08"),
        volatility=D("0.12"),
    )["value"]

    assert value.quantize(D("0.0001")) == D("0.0291")
    assert abs(value - D("0.029099253")) < D("1e-9")


# (greek, type, strike, spot, foreign (q), domestic (r), years, vol, Haug's value)
HAUG_GREEKS = [
    ("delta", OptionType.CALL, "100", "105", "0.10", "0.10", "0.5", "0.36", "0.5946"),
    ("delta", OptionType.PUT, "100", "105", "0.10", "0.10", "0.5", "0.36", "-0.3566"),
    ("gamma", OptionType.CALL, "60", "55", "0.00", "0.10", "0.75", "0.30", "0.0278"),
    ("gamma", OptionType.PUT, "60", "55", "0.00", "0.10", "0.75", "0.30", "0.0278"),
    ("vega", OptionType.CALL, "60", "55", "0.00", "0.10", "0.75", "0.30", "18.9358"),
    ("vega", OptionType.PUT, "60", "55", "0.00", "0.10", "0.75", "0.30", "18.9358"),
    ("theta", OptionType.PUT, "405", "430", "0.05", "0.07", str(1 / 12), "0.20", "-31.1924"),
    ("rho_domestic", OptionType.CALL, "75", "72", "0.00", "0.09", "1", "0.19", "38.7325"),
    ("rho_foreign", OptionType.PUT, "490", "500", "0.05", "0.08", "0.25", "0.15", "42.2254"),
]


@pytest.mark.parametrize(
    ("greek", "kind", "strike", "spot", "q", "r", "years", "vol", "expected"), HAUG_GREEKS
)
def test_haug_greeks(
    greek: str,
    kind: OptionType,
    strike: str,
    spot: str,
    q: str,
    r: str,
    years: str,
    vol: str,
    expected: str,
) -> None:
    values = pricing.vanilla_fx_option(
        option_type=kind,
        spot=D(spot),
        strike=D(strike),
        years=D(years),
        domestic_rate=D(r),
        foreign_rate=D(q),
        volatility=D(vol),
    )

    assert abs(values[greek] - D(expected)) < D("1e-4")


def test_hull_interest_parity_forward() -> None:
    # Hull, Example 5.6: AUD/USD spot 0.6200, 2-year rates USD 7 %, AUD 5 % → forward 0.6453.
    market = FlatMarket(D("0.6200"), D("0.07"), D("0.05"), D("0"))
    deal = Forward(
        Pair.parse("AUDUSD"), Direction.BUY, Money.of("1", "AUD"), D("0.6453"), date(2027, 1, 1)
    )

    result = pricing.price(deal, market, date(2025, 1, 1))

    assert result.forward_rate.quantize(D("0.0001")) == D("0.6453")
    assert float(result.forward_rate) == pytest.approx(0.62 * math.exp(0.04), rel=1e-10)


def test_a_forward_agrees_with_quantlibs_fx_forward() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0"))
    deal = Forward(USDCNY, Direction.BUY, usd("1000000"), D("7.00"), ONE_YEAR)

    result = pricing.price(deal, market, AS_OF)
    reference = pricing.reference_forward_npv(deal, market, AS_OF)

    # 7.18·e^(0.015 − 0.043) = 6.98175 (fx-pricing.md §5.7; its §0 says 6.9828, a slip).
    assert result.forward_rate.quantize(D("0.0001")) == D("6.9817")
    assert abs(result.npv_exact - reference) <= abs(reference) * D("1e-12")
    assert result.npv == Money.of(str(result.npv_exact.quantize(D("0.01"))), "CNY")
    short = pricing.price(
        Forward(USDCNY, Direction.SELL, usd("1000000"), D("7.00"), ONE_YEAR), market, AS_OF
    )
    assert short.npv_exact == -result.npv_exact


@pytest.mark.parametrize(
    ("spot", "strike", "days", "rd", "rf", "vol"),
    [
        ("7.18", "7.00", 365, "0.015", "0.043", "0.05"),
        ("7.18", "7.40", 91, "0.015", "0.043", "0.08"),
        ("1.10", "1.05", 730, "0.035", "0.02", "0.11"),
        ("150.0", "155.0", 30, "0.001", "0.05", "0.12"),
    ],
)
def test_europeans_agree_with_a_closed_form_and_quantlibs_engine(
    spot: str, strike: str, days: int, rd: str, rf: str, vol: str
) -> None:
    market = FlatMarket(D(spot), D(rd), D(rf), D(vol))
    expiry = AS_OF + timedelta(days=days)
    t = days / 365
    for kind in (OptionType.CALL, OptionType.PUT):
        option = Option(USDCNY, kind, Direction.BUY, usd("1"), D(strike), expiry)
        ours = float(pricing.price(option, market, AS_OF).npv_exact)
        independent = gk_closed_form(
            kind.value, float(spot), float(strike), t, float(rd), float(rf), float(vol)
        )
        engine = float(pricing.reference_european_npv(option, market, AS_OF))
        assert ours == pytest.approx(independent, rel=1e-12, abs=1e-14)
        assert ours == pytest.approx(engine, rel=1e-12, abs=1e-14)


def test_put_call_parity() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0.06"))
    strike = D("7.05")
    call = Option(USDCNY, OptionType.CALL, Direction.BUY, usd("1000000"), strike, ONE_YEAR)
    put = Option(USDCNY, OptionType.PUT, Direction.BUY, usd("1000000"), strike, ONE_YEAR)

    difference = (
        pricing.price(call, market, AS_OF).npv_exact - pricing.price(put, market, AS_OF).npv_exact
    )

    parity = 1_000_000 * (7.18 * math.exp(-0.043) - 7.05 * math.exp(-0.015))
    assert float(difference) == pytest.approx(parity, rel=1e-12)


def test_greeks_of_the_position_match_finite_differences() -> None:
    base = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0.06"))
    option = Option(USDCNY, OptionType.PUT, Direction.SELL, usd("2000000"), D("7.10"), ONE_YEAR)
    greeks = pricing.price(option, base, AS_OF).greeks
    assert greeks is not None

    def npv(**changes: str) -> float:
        assert base.volatility is not None
        fields: dict[str, Decimal] = {
            "spot": base.spot,
            "domestic_rate": base.domestic_rate,
            "foreign_rate": base.foreign_rate,
            "volatility": base.volatility,
        }
        fields.update({name: fields[name] + D(bump) for name, bump in changes.items()})
        return float(pricing.price(option, FlatMarket(**fields), AS_OF).npv_exact)

    h = "0.0001"
    assert float(greeks.delta) == pytest.approx((npv(spot=h) - npv(spot="-" + h)) / 2e-4, rel=1e-6)
    assert float(greeks.vega) == pytest.approx(
        (npv(volatility=h) - npv(volatility="-" + h)) / 2e-4, rel=1e-6
    )
    assert float(greeks.rho_domestic) == pytest.approx(
        (npv(domestic_rate=h) - npv(domestic_rate="-" + h)) / 2e-4, rel=1e-6
    )
    assert float(greeks.rho_foreign) == pytest.approx(
        (npv(foreign_rate=h) - npv(foreign_rate="-" + h)) / 2e-4, rel=1e-6
    )
    gamma = (npv(spot="0.001") - 2 * npv() + npv(spot="-0.001")) / 1e-6
    assert float(greeks.gamma) == pytest.approx(gamma, rel=1e-4)
    later = pricing.price(option, base, AS_OF + timedelta(days=1)).npv_exact
    assert float(greeks.theta) / 365 == pytest.approx(float(later) - npv(), rel=2e-2)


def test_american_usd_call_is_worth_more_than_european() -> None:
    # fx-pricing.md §2.8: USD/CNY 7.18, CNY 1.5 %, USD 4.3 %, σ 5 %, 1Y, K 7.00:
    # American 0.18720 (QdFp, checked there against a 16,000-step tree) vs European 0.12855.
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0.05"))
    european = Option(USDCNY, OptionType.CALL, Direction.BUY, usd("1"), D("7.00"), ONE_YEAR)
    american = Option(
        USDCNY,
        OptionType.CALL,
        Direction.BUY,
        usd("1"),
        D("7.00"),
        ONE_YEAR,
        style=ExerciseStyle.AMERICAN,
    )

    european_value = pricing.price(european, market, AS_OF).npv_exact
    priced = pricing.price(american, market, AS_OF)

    assert european_value.quantize(D("0.00001")) == D("0.12855")
    assert priced.npv_exact.quantize(D("0.00001")) == D("0.18720")
    assert priced.greeks is not None
    assert D("0") < priced.greeks.delta < D("1")


def test_an_ndf_is_the_forward_difference_in_its_settlement_currency() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0"))
    common = (USDCNY, Direction.BUY, usd("1000000"), D("7.00"), ONE_YEAR, ONE_YEAR)
    forward = pricing.price(Forward(*common[:5]), market, AS_OF)

    in_cny = pricing.price(Ndf(*common, "CNY"), market, AS_OF)
    in_usd = pricing.price(Ndf(*common, "USD"), market, AS_OF)

    assert in_cny.npv_exact == forward.npv_exact
    # Paid in USD: N·(F − K)/F at delivery, discounted in USD and shown at spot — which is
    # N·(F − K)·DF_CNY again, since S·DF_USD/F = DF_CNY (fixing on the delivery date).
    assert float(in_usd.npv_exact) == pytest.approx(float(in_cny.npv_exact), rel=1e-12)
    assert in_usd.breakdown["settlement_currency"] == "USD"


def test_a_swap_is_its_two_legs() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0"))
    near, far = date(2026, 2, 26), ONE_YEAR
    swap = Swap(USDCNY, Direction.BUY, usd("1000000"), near, D("7.10"), far, D("6.98"))

    legs = (
        pricing.price(
            Forward(USDCNY, Direction.BUY, usd("1000000"), D("7.10"), near), market, AS_OF
        ).npv_exact
        + pricing.price(
            Forward(USDCNY, Direction.SELL, usd("1000000"), D("6.98"), far), market, AS_OF
        ).npv_exact
    )

    assert abs(pricing.price(swap, market, AS_OF).npv_exact - legs) < D("1e-6")


def test_an_expired_instrument_is_refused() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0.05"))
    deal = Forward(USDCNY, Direction.BUY, usd("1"), D("7"), AS_OF)

    with pytest.raises(InstrumentExpired):
        pricing.price(deal, market, AS_OF)


def test_the_reserve_cost_follows_the_inferred_convention() -> None:
    cost = reserve_cost(
        forward_rate=D("7.0"),
        reserve_ratio=D("0.20"),
        cny_rate=D("0.015"),
        years=D("2"),
        notional=D("1000000"),
        quote_currency="CNY",
    )

    # 7.0 × 0.20 × 0.015 × min(2, 1) = 0.021 per USD.
    assert cost.rate_adjustment == D("0.021")
    assert cost.client_rate == D("7.021")
    assert cost.cost == Money.of("21000.00", "CNY")


def test_a_book_priced_at_once_agrees_with_trade_by_trade() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0.05"))
    trades = []
    for index in range(300):
        expiry = AS_OF + timedelta(days=7 + 3 * index)
        strike = D("6.8") + D(index % 80) / 100
        instrument: Forward | Option
        if index % 3:
            instrument = Forward(USDCNY, Direction.SELL, usd("1000"), strike, expiry)
        else:
            kind = OptionType.CALL if index % 2 else OptionType.PUT
            instrument = Option(USDCNY, kind, Direction.BUY, usd("1000"), strike, expiry)
        trades.append(pricing.BookTrade(str(index), instrument))

    book = pricing.price_book(trades, market, AS_OF, sample_every=7)

    assert book.sample_size == len(range(0, 300, 7))
    for trade, value in zip(trades, book.npv, strict=True):
        alone = pricing.price(trade.resolved(), market, AS_OF).npv_exact
        assert abs(value - alone) <= max(abs(alone) * D("1e-10"), D("1e-9"))


# Haug (2007), Table 4-13: S = 100, T = 0.5, r = 8 %, b = 4 % (q = 4 %), rebate 3.
@pytest.mark.parametrize(
    ("barrier_type", "kind", "strike", "barrier", "vol", "expected"),
    [
        ("down_out", OptionType.CALL, "90", "95", "0.25", "9.0246"),
        ("down_out", OptionType.CALL, "100", "95", "0.25", "6.7924"),
        ("up_out", OptionType.CALL, "90", "105", "0.25", "2.6789"),
        ("down_out", OptionType.CALL, "90", "95", "0.30", "8.8334"),
    ],
)
def test_haug_knock_out_values(
    barrier_type: str, kind: OptionType, strike: str, barrier: str, vol: str, expected: str
) -> None:
    option = KnockOut(
        USDCNY,
        kind,
        Direction.BUY,
        usd("1"),
        D(strike),
        date(2026, 6, 30),
        barrier_type,
        D(barrier),
        D("3"),
    )

    value = pricing.knock_out_fx_option(
        option=option,
        spot=D("100"),
        days=180,
        domestic_rate=D("0.08"),
        foreign_rate=D("0.04"),
        volatility=D(vol),
    )

    assert abs(value - D(expected)) < D("1e-4")


def test_a_knock_out_is_cheaper_than_its_vanilla_and_dies_at_the_barrier() -> None:
    market = FlatMarket(D("7.18"), D("0.015"), D("0.043"), D("0.05"))
    vanilla = Option(USDCNY, OptionType.CALL, Direction.BUY, usd("1000000"), D("7.10"), ONE_YEAR)
    alive = KnockOut(
        USDCNY,
        OptionType.CALL,
        Direction.BUY,
        usd("1000000"),
        D("7.10"),
        ONE_YEAR,
        "up_out",
        D("7.60"),
        D("0"),
    )
    dead = KnockOut(
        USDCNY,
        OptionType.CALL,
        Direction.BUY,
        usd("1000000"),
        D("7.10"),
        ONE_YEAR,
        "up_out",
        D("7.15"),
        D("0.01"),
    )

    knock_out = pricing.price(alive, market, AS_OF)
    knocked = pricing.price(dead, market, AS_OF)

    assert D(0) < knock_out.npv_exact < pricing.price(vanilla, market, AS_OF).npv_exact
    assert knock_out.greeks is not None
    assert knocked.npv == Money.of("10000.00", "CNY")  # the rebate, paid at the hit
