"""Routing rules beyond the worked examples: time-zone edges, CFETS spot, determinism, checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_routing_examples import (
    CALENDARS,
    beijing,
    candidate,
    payment,
    reference,
    routed,
)
from treasury.errors import ValidationFailed
from treasury.money import Money
from treasury.settlement import routing, timing
from treasury.settlement.model import DecisionStatus, RouteRequest
from treasury.settlement.reference import participant_from_document, rail_from_document


def rail_document(**fields: Any) -> dict[str, Any]:
    """A rail whose customer window is defined in another zone than Beijing's."""
    document: dict[str, Any] = {
        "id": "ZONE_TEST",
        "type": "SWIFT",
        "scope": "cross_border",
        "house_bank_bic": "HBKACNSH",
        "currencies": ["EUR"],
        "corridors": [{"from_ctry": "CN", "to_ctry": "*"}],
        "value_rule": "currency",
        "session": {
            "tz": "Europe/Berlin",
            "calendars": ["TARGET"],
            "open": "07:00",
            "close": "17:00",
        },
        "legs": [{"name": "T2", "latency_min": 5}],
        "fee": {"ccy": "EUR", "bps": "1"},
        "policy_rank": 1,
    }
    document.update(fields)
    return document


def zone_reference(**fields: Any) -> Any:
    """The seeded reference with only the test rail."""
    return replace(reference(), rails=(rail_from_document(rail_document(**fields)),))


@pytest.mark.parametrize(
    ("submitted", "expected_send"),
    [
        # Fri 27 Mar 2026, CET (UTC+1): 23:30 Beijing is 16:30 Berlin, inside T2's window.
        (beijing(2026, 3, 27, 23, 30), beijing(2026, 3, 27, 23, 30)),
        # Mon 30 Mar 2026, CEST (UTC+2) since Sunday: 23:30 Beijing is 17:30 Berlin, closed;
        # the next window opens 07:00 Berlin on Tuesday = 13:00 Beijing.
        (beijing(2026, 3, 30, 23, 30), beijing(2026, 3, 31, 13, 0)),
    ],
)
def test_a_berlin_window_follows_central_european_summer_time(
    submitted: datetime, expected_send: datetime
) -> None:
    decision = routing.decide(
        payment("1000.00", "EUR", "BNPAFRPP", submitted), zone_reference(), CALENDARS
    )

    assert routed(decision).send_at == expected_send


@pytest.mark.parametrize(
    ("submitted", "expected_send"),
    [
        # Tue 3 Nov 2026, 06:30 Beijing = Mon 2 Nov 17:30 EST: before Fedwire's 18:00 close.
        (beijing(2026, 11, 3, 6, 30), beijing(2026, 11, 3, 6, 30)),
        # Tue 27 Oct 2026, 06:30 Beijing = Mon 26 Oct 18:30 EDT: closed; the window for Tue 27
        # opens 21:00 ET on Mon 26 = 09:00 Beijing.
        (beijing(2026, 10, 27, 6, 30), beijing(2026, 10, 27, 9, 0)),
    ],
)
def test_a_new_york_window_follows_eastern_daylight_time(
    submitted: datetime, expected_send: datetime
) -> None:
    fedwire = {
        "tz": "America/New_York",
        "calendars": ["US_FED"],
        "open": "21:00",
        "open_day_offset": -1,
        "close": "18:00",
    }
    usd = zone_reference(currencies=["USD"], session=fedwire, fee={"ccy": "USD"})

    decision = routing.decide(payment("1000.00", "USD", "CHASUS33", submitted), usd, CALENDARS)

    assert routed(decision).send_at == expected_send


def test_the_beneficiary_credit_date_is_read_in_its_own_zone() -> None:
    # CIPS to New York: credited 10:35 Beijing on Tue 10 Mar 2026 = Mon 9 Mar 22:35 EDT, after
    # the 17:00 local credit cut-off, so the value date is the next Fed business day, Tue 10.
    decision = routing.decide(
        payment("1000.00", "CNY", "CHASUS33", beijing(2026, 3, 10, 10, 0)), reference(), CALENDARS
    )

    cips = candidate(decision, "CIPS_A")
    assert cips.value_date == date(2026, 3, 10)
    assert any("2026-03-09 22:35 EDT" in note for note in cips.notes)


@pytest.mark.parametrize(
    ("currency", "code", "trade", "spot"),
    [
        # USD/CNY: T+1 of Fri 16 Jan 2026 is Mon 19 Jan, Martin Luther King Day (Fed shut, CN
        # open). CFETS does not move the date for a USD holiday on T+1: spot Tue 20 Jan (a
        # joint count would give Wed 21 Jan).
        ("USD", "US_FED", date(2026, 1, 16), date(2026, 1, 20)),
        # The same for Thanksgiving, Thu 26 Nov 2026: trade Wed 25 → spot Fri 27 Nov.
        ("USD", "US_FED", date(2026, 11, 25), date(2026, 11, 27)),
        # EUR/CNY: Good Friday 3 Apr 2026 (TARGET shut) is T+1 of Thu 2 Apr: it adds a day,
        # and Mon 6 Apr is shut in both: spot Wed 8 Apr.
        ("EUR", "TARGET", date(2026, 4, 2), date(2026, 4, 8)),
        # A CN holiday on T+1 moves USD/CNY: Wed 30 Sep 2026 → T+1 Thu 8 Oct, spot Fri 9 Oct.
        ("USD", "US_FED", date(2026, 9, 30), date(2026, 10, 9)),
    ],
)
def test_cfets_spot_dates(currency: str, code: str, trade: date, spot: date) -> None:
    assert timing.cfets_spot_date(CALENDARS, currency, code, trade) == spot


def test_a_usd_holiday_on_t_plus_2_rolls_usd_cny_spot() -> None:
    # Thu 15 Jan 2026: T+1 Fri 16 Jan, T+2 Mon 19 Jan is MLK Day: Tue 20 Jan.
    assert timing.cfets_spot_date(CALENDARS, "USD", "US_FED", date(2026, 1, 15)) == date(
        2026, 1, 20
    )


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 200),
    bic=st.sampled_from(["DEUTDEFF", "DSBAHKHH", "HSBCHKHH", "DBSSSGSG", "COBADEFF"]),
    amount=st.integers(min_value=1, max_value=10**9),
)
def test_the_same_inputs_give_the_same_decision(minutes: int, bic: str, amount: int) -> None:
    submitted = datetime(2026, 1, 5, 0, 0, tzinfo=UTC).replace(minute=0) + _minutes(minutes)
    request = payment(f"{amount}.00", "CNY", bic, submitted)
    shuffled = replace(reference(), rails=tuple(reversed(reference().rails)))

    first = routing.decide(request, reference(), CALENDARS)
    second = routing.decide(request, shuffled, CALENDARS)

    assert first.to_document() == second.to_document()
    if first.status is DecisionStatus.ROUTED:
        chosen = routed(first)
        assert chosen.send_at >= submitted
        assert chosen.value_date >= chosen.send_at.astimezone(timing.zone("Asia/Shanghai")).date()


def _minutes(count: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=count)


def test_equal_candidates_break_the_tie_on_the_rail_id() -> None:
    twin = {
        "fee": {"ccy": "CNY", "bps": "10", "min": "50", "max": "1000", "cable": "150"},
        "policy_rank": 2,
        "legs": [{"name": "one leg", "latency_min": 5}],
    }
    tied = reference(rails={"CLR_DE": twin, "CIPS_A": {**twin, "holiday_service": False}})

    decision = routing.decide(
        payment("5000000.00", "CNY", "DEUTDEFF", beijing(2026, 3, 10, 10, 0)), tied, CALENDARS
    )

    chosen = routed(decision)
    assert chosen.rail_id == "CIPS_A"  # same value date, rank and cost: "CIPS_A" < "CLR_DE"
    assert "beat CLR_DE on rail_id" in chosen.explanation


def test_domestic_payments_take_hvps_above_the_beps_limit_and_beps_below() -> None:
    small = routing.decide(
        payment("20000.00", "CNY", "ICBKCNBJ", beijing(2026, 3, 10, 10, 0)), reference(), CALENDARS
    )
    large = routing.decide(
        payment("60000.00", "CNY", "ICBKCNBJ", beijing(2026, 3, 10, 10, 0)), reference(), CALENDARS
    )

    assert routed(small).rail_id == "HVPS"  # policy rank 1 wins while both are open
    assert candidate(small, "BEPS").eligible
    assert candidate(large, "BEPS").excluded_reason == "HVPS_REQUIRED"
    assert candidate(large, "CIPS_A").excluded_reason == "BENEF_BANK_ONSHORE"


def test_nra_to_resident_at_one_bank_goes_over_hvps_not_book() -> None:
    request = RouteRequest(
        amount=Money.of("1000.00", "CNY"),
        debtor_bank_bic="HBKACNSH",
        debtor_resident=False,
        creditor_bank_bic="HBKACNSH",
        creditor_country="CN",
        creditor_resident=True,
        submitted_at=beijing(2026, 3, 10, 10, 0),
        internal=True,
    )

    decision = routing.decide(request, reference(), CALENDARS)

    assert candidate(decision, "BOOK").excluded_reason == "RESIDENCY_DIFFERS"
    assert candidate(decision, "BEPS").excluded_reason == "HVPS_REQUIRED"
    assert routed(decision).rail_id == "HVPS"


def test_a_rail_past_its_validity_is_ignored() -> None:
    expired = reference(rails={"CIPS_A": {"valid_to": "2026-03-09"}})

    decision = routing.decide(
        payment("5000000.00", "CNY", "DEUTDEFF", beijing(2026, 3, 10, 10, 0)), expired, CALENDARS
    )

    assert candidate(decision, "CIPS_A").excluded_reason == "RAIL_EXPIRED"
    # Without the house bank's own CIPS tariff in force, the generic CIPS rail carries it.
    assert routed(decision).rail_id == "CIPS_ANY"
    assert "generic CIPS defaults" in routed(decision).explanation


def test_debt_charges_add_the_intermediary_fee() -> None:
    request = payment("300000.00", "USD", "CHASUS33", beijing(2026, 3, 10, 10, 0))

    shared = candidate(routing.decide(request, reference(), CALENDARS), "SWIFT_USD")
    ours = candidate(
        routing.decide(replace(request, charge_bearer="DEBT"), reference(), CALENDARS), "SWIFT_USD"
    )

    assert shared.fee_estimate == Money.of("450.00", "USD")  # 0.1% = 300, cable 150
    assert ours.fee_estimate == Money.of("475.00", "USD")  # + 25 intermediary
    assert ours.cost_cny == Decimal("3372.50")  # at USDCNY 7.10


def test_without_a_rate_the_cost_is_unknown_and_ranks_last() -> None:
    request = payment("300000.00", "USD", "CHASUS33", beijing(2026, 3, 10, 10, 0))

    decision = routing.decide(request, reference(rates={}), CALENDARS)

    swift = candidate(decision, "SWIFT_USD")
    assert swift.fee_estimate == Money.of("450.00", "USD")
    assert swift.cost_cny is None
    assert routed(decision).rail_id == "SWIFT_USD"


@pytest.mark.parametrize(
    "change",
    [
        {"session": {"tz": "UTC+8", "calendars": ["CN_IB"], "open": "08:30", "close": "17:00"}},
        {"currencies": ["CNH"]},
        {"requires": ["BENEF_SOMEWHERE"]},
        {"fee": {"ccy": "CNY", "bps": 5.5}},
        {"policy_rank": 0},
        {"corridors": []},
        {"id": "lower-case"},
    ],
)
def test_a_malformed_rail_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        rail_from_document(rail_document(**change))


def test_a_participant_needs_a_valid_bic_and_an_indirect_one_its_dp() -> None:
    with pytest.raises(ValidationFailed):
        participant_from_document({"bic": "XX", "name": "B", "country": "HK"})
    with pytest.raises(ValidationFailed):
        participant_from_document(
            {"bic": "HSBCHKHH", "name": "B", "country": "HK", "cips_status": "INDIRECT"}
        )
    with pytest.raises(ValidationFailed):
        participant_from_document(
            {"bic": "HSBCHKHH", "name": "B", "country": "HK", "cnaps_code": "123"}
        )
