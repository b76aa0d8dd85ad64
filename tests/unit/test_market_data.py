"""Snapshots: parsing, swap points implying the quote curve, deposits, and the delta smile."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal

import pytest
import QuantLib as ql

from hedging import pricing
from hedging.dates import ValueDates
from hedging.market_data import documents_from_csv, snapshot_from_document, snapshot_to_document
from hedging.model import Direction, Forward, Pair
from treasury.calendars import default_calendars
from treasury.errors import MarketDataMissing, ValidationFailed
from treasury.money import Money

DATES = ValueDates(default_calendars())
USDCNY = Pair.parse("USDCNY")
DOCUMENT = {
    "as_of": "2026-03-10",
    "spots": {"USDCNY": "7.0850"},
    "curves": {
        "USD": [
            {"tenor": "1M", "rate": "0.0410"},
            {"tenor": "6M", "rate": "0.0400"},
            {"tenor": "1Y", "rate": "0.0390"},
        ],
        "CNY": [{"tenor": "1M", "rate": "0.0160"}, {"tenor": "1Y", "rate": "0.0150"}],
    },
    "swap_points": {
        "USDCNY": [
            {"tenor": "1M", "points": "-0.0160"},
            {"tenor": "6M", "points": "-0.0900"},
            {"tenor": "1Y", "points": "-0.1700"},
        ]
    },
    "vols": {
        "USDCNY": [
            {"tenor": "1M", "atm": "0.045", "rr25": "0.004", "bf25": "0.002"},
            {"tenor": "1Y", "atm": "0.050", "rr25": "0.006", "bf25": "0.003"},
        ]
    },
}


def test_a_document_round_trips_with_default_day_counts() -> None:
    snapshot = snapshot_from_document(DOCUMENT)

    again = snapshot_from_document(snapshot_to_document(snapshot))

    assert again == snapshot
    assert snapshot.curves["USD"][0].day_count == "ACT/360"
    assert snapshot.spots["USDCNY"] == Decimal("7.0850")


@pytest.mark.parametrize("tenor", ["1M", "6M", "1Y"])
def test_swap_points_reproduce_the_outright_at_their_tenors(tenor: str) -> None:
    snapshot = snapshot_from_document(DOCUMENT)
    spot_date = DATES.spot_date(USDCNY, snapshot.as_of)
    delivery = DATES.tenor_date(USDCNY, spot_date, tenor)
    points = {p.tenor: p.points for p in snapshot.swap_points["USDCNY"]}

    result = pricing.price(
        Forward(USDCNY, Direction.BUY, Money.of("1", "USD"), Decimal(7), delivery),
        snapshot,
        snapshot.as_of,
        dates=DATES,
    )

    assert result.forward_rate == Decimal("7.0850") + points[tenor]
    assert result.breakdown["premium_date"] == spot_date.isoformat()


def test_without_swap_points_the_deposits_give_money_market_parity() -> None:
    document = {key: value for key, value in DOCUMENT.items() if key != "swap_points"}
    snapshot = snapshot_from_document(document)
    spot_date = DATES.spot_date(USDCNY, snapshot.as_of)
    delivery = DATES.tenor_date(USDCNY, spot_date, "1Y")
    days = (delivery - spot_date).days

    result = pricing.price(
        Forward(USDCNY, Direction.BUY, Money.of("1", "USD"), Decimal(7), delivery),
        snapshot,
        snapshot.as_of,
        dates=DATES,
    )

    expected = 7.085 * (1 + 0.015 * days / 360) / (1 + 0.039 * days / 360)
    assert float(result.forward_rate) == pytest.approx(expected, rel=1e-10)


def test_the_smile_passes_through_its_delta_pillars() -> None:
    snapshot = snapshot_from_document(DOCUMENT)
    with pricing.QUANTLIB_LOCK:
        market = pricing.snapshot_market(snapshot, USDCNY, DATES)
        expiry = DATES.tenor_date(USDCNY, market.pay_date, "1Y")
        t = market.years(expiry)
        delivery = market.settle_date(expiry)
        df_d, df_f = market.df_domestic(delivery), market.df_foreign(delivery)
        call_vol = 0.050 + 0.003 + 0.003
        call_strike = ql.BlackDeltaCalculator(
            ql.Option.Call, ql.DeltaVolQuote.Spot, market.spot, df_d, df_f, call_vol * math.sqrt(t)
        ).strikeFromDelta(0.25)
        atm_strike = ql.BlackDeltaCalculator(
            ql.Option.Call, ql.DeltaVolQuote.Spot, market.spot, df_d, df_f, 0.050 * math.sqrt(t)
        ).atmStrike(ql.DeltaVolQuote.AtmDeltaNeutral)

        assert market.vol(expiry, call_strike) == pytest.approx(call_vol, abs=1e-12)
        assert market.vol(expiry, atm_strike) == pytest.approx(0.050, abs=1e-12)
        # Beyond the 25-delta call the smile stays flat.
        assert market.vol(expiry, call_strike * 1.1) == pytest.approx(call_vol, abs=1e-12)
        # A spot delta of 0.25 at the 25-delta call strike and its own vol (spot, not
        # premium-adjusted).
        delta = ql.BlackDeltaCalculator(
            ql.Option.Call, ql.DeltaVolQuote.Spot, market.spot, df_d, df_f, call_vol * math.sqrt(t)
        ).deltaFromStrike(call_strike)
        assert delta == pytest.approx(0.25, abs=1e-9)


def test_a_snapshot_without_vols_cannot_price_an_option() -> None:
    from hedging.model import Option, OptionType

    document = {key: value for key, value in DOCUMENT.items() if key != "vols"}
    snapshot = snapshot_from_document(document)
    option = Option(
        USDCNY, OptionType.CALL, Direction.BUY, Money.of("1", "USD"), Decimal(7), date(2026, 9, 10)
    )

    with pytest.raises(MarketDataMissing):
        pricing.price(option, snapshot, snapshot.as_of, dates=DATES)


@pytest.mark.parametrize(
    "change",
    [
        {"spots": {"USDCNY": 7.085}},
        {"spots": {"USDCNY": "-1"}},
        {"curves": {"XXX": [{"tenor": "1M", "rate": "0.01"}]}},
        {"curves": {"USD": [{"tenor": "1M", "rate": "0.01", "day_count": "30/360"}]}},
        {"vols": {"USDCNY": [{"tenor": "1M", "atm": "0", "rr25": "0", "bf25": "0"}]}},
        {"swap_points": {"USDCNY": [{"tenor": "1M", "points": "-0.01"}] * 2}},
        {"as_of": "26/11/2026"},
    ],
)
def test_bad_documents_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        snapshot_from_document({**DOCUMENT, **change})


def test_csv_rows_group_into_one_document_per_date() -> None:
    text = "\n".join(
        [
            "as_of,kind,key,tenor,field,value,day_count",
            "2026-03-10,spot,USDCNY,,,7.0850,",
            "2026-03-10,curve,USD,1M,rate,0.0410,ACT/360",
            "2026-03-10,curve,CNY,1M,rate,0.0160,",
            "2026-03-10,swap_points,USDCNY,1M,points,-0.0160,",
            "2026-03-10,vol,USDCNY,1M,atm,0.045,",
            "2026-03-10,vol,USDCNY,1M,rr25,0.004,",
            "2026-03-10,vol,USDCNY,1M,bf25,0.002,",
        ]
    )

    [document] = documents_from_csv(text)
    snapshot = snapshot_from_document(document)

    assert snapshot.vols["USDCNY"][0].rr25 == Decimal("0.004")
    assert snapshot.swap_points["USDCNY"][0].points == Decimal("-0.0160")
    assert snapshot.curves["USD"][0].day_count == "ACT/360"


@pytest.mark.parametrize(
    ("days", "df_usd", "df_eur", "atm", "rr", "bf", "strikes", "vols"),
    [
        # Castagna & Mercurio (2007), Table 2: EUR/USD 1 July 2005, spot 1.205.
        (
            94,
            0.9902752,
            0.9945049,
            0.0905,
            -0.005,
            0.0013,
            (1.1733, 1.2114, 1.2487),
            (0.0943, 0.0905, 0.0893),
        ),
        (
            367,
            0.9585801,
            0.9785056,
            0.0940,
            -0.0022,
            0.0014,
            (1.1597, 1.2355, 1.3148),
            (0.0965, 0.0940, 0.0943),
        ),
    ],
)
def test_castagna_mercurio_delta_strikes(
    days: int,
    df_usd: float,
    df_eur: float,
    atm: float,
    rr: float,
    bf: float,
    strikes: tuple[float, float, float],
    vols: tuple[float, float, float],
) -> None:
    with pricing.QUANTLIB_LOCK:
        found_strikes, found_vols = pricing.delta_pillars(
            spot=1.205,
            df_domestic=df_usd,
            df_foreign=df_eur,
            years=days / 365,
            atm=atm,
            rr25=rr,
            bf25=bf,
        )

    assert [round(k, 4) for k in found_strikes] == list(strikes)
    assert found_vols == pytest.approx(vols, abs=1e-12)


def test_an_http_feed_behind_the_source_interface() -> None:
    import httpx

    from hedging.market_data import HttpSource

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed/2026-03-10":
            return httpx.Response(200, text=json.dumps(DOCUMENT))
        return httpx.Response(404)

    source = HttpSource("https://md.example/feed", transport=httpx.MockTransport(handler))
    try:
        snapshot = snapshot_from_document(source.fetch(date(2026, 3, 10)))
        with pytest.raises(ValidationFailed):
            source.fetch(date(2026, 3, 11))
    finally:
        source.close()

    assert snapshot.spots["USDCNY"] == Decimal("7.0850")


def test_the_implied_curve_is_what_fx_swap_rate_helpers_bootstrap() -> None:
    # On a date where QuantLib's own spot and tenor dates agree with the CFETS rule, bootstrap
    # the CNY curve from the swap points with `FxSwapRateHelper`s (USD the collateral curve) and
    # compare the outrights at every pillar with the snapshot market's.
    snapshot = snapshot_from_document(DOCUMENT)
    with pricing.QUANTLIB_LOCK, ql.SavedSettings():
        ql.Settings.instance().evaluationDate = ql.Date(10, 3, 2026)
        market = pricing.snapshot_market(snapshot, USDCNY, DATES)
        usd = ql.YieldTermStructureHandle(market.foreign)
        calendar = ql.JointCalendar(
            ql.China(ql.China.IB), ql.UnitedStates(ql.UnitedStates.FederalReserve)
        )
        spot = ql.QuoteHandle(ql.SimpleQuote(7.085))
        helpers = [
            ql.FxSwapRateHelper(
                ql.QuoteHandle(ql.SimpleQuote(float(point.points))),
                spot,
                ql.Period(point.tenor),
                2,
                calendar,
                ql.ModifiedFollowing,
                True,
                True,
                usd,
            )
            for point in snapshot.swap_points["USDCNY"]
        ]
        cny = ql.PiecewiseLogLinearDiscount(ql.Date(10, 3, 2026), helpers, ql.Actual365Fixed())
        for helper in helpers:
            start, end = helper.earliestDate(), helper.latestDate()
            assert start.to_date() == market.pay_date
            bootstrapped = (
                7.085
                * usd.discount(end)
                / usd.discount(start)
                / (cny.discount(end) / cny.discount(start))
            )
            assert market.forward(end.to_date()) == pytest.approx(bootstrapped, rel=1e-12)


def test_a_long_dated_option_is_valued_past_the_holiday_tables() -> None:
    from hedging.model import Option, OptionType

    snapshot = snapshot_from_document(DOCUMENT)
    option = Option(
        USDCNY, OptionType.PUT, Direction.BUY, Money.of("1", "USD"), Decimal(7), date(2028, 6, 30)
    )

    result = pricing.price(option, snapshot, snapshot.as_of, dates=DATES)

    assert result.breakdown["delivery_date"] == "2028-07-04"  # Fri + 2 weekdays (no 2028 table)
    assert result.npv_exact > 0
