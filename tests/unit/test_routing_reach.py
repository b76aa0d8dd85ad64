"""Issue 10's rails: generic ones for every sending bank, offshore origins, local RTGS.

Each case on the seeded reference data (house and generic rails), with its calendars and
cut-offs: a Hong Kong holiday that is a mainland working day, a US holiday for USD, CHATS hours,
an inbound payment over a mainland holiday (settlement.md E8).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.unit.test_routing_examples import (
    CALENDARS,
    NO_OVERRIDES,
    beijing,
    candidate,
    payment,
    reference,
)
from treasury.settlement import routing
from treasury.settlement.model import DecisionStatus, Route, RouteDecision, RouteRequest

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
RATES = {"USD": Decimal("7.10"), "EUR": Decimal("7.70"), "HKD": Decimal("0.912")}


def hong_kong(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HONG_KONG)


def offshore(
    amount: str, currency: str, debtor: str, creditor: str, submitted: datetime
) -> RouteRequest:
    """A payment between two non-residents' accounts (no border crossed by residency)."""
    return payment(
        amount,
        currency,
        creditor,
        submitted,
        debtor_bank_bic=debtor,
        debtor_resident=False,
        creditor_resident=creditor[4:6] == "CN",
    )


def decide(request: RouteRequest) -> RouteDecision:
    return routing.decide(request, reference(rates=RATES), CALENDARS)


def chosen(decision: RouteDecision) -> Route:
    assert decision.status is DecisionStatus.ROUTED, decision.candidates
    assert decision.chosen is not None
    return decision.chosen


def test_a_house_banks_own_rail_outranks_the_generic_one() -> None:
    decision = decide(payment("5000000.00", "CNY", "DEUTDEFF", beijing(2026, 3, 10, 10, 0)))

    assert chosen(decision).rail_id == "CIPS_A"
    assert candidate(decision, "CIPS_ANY").excluded_reason == "HOUSE_RAIL_PREFERRED"


def test_another_onshore_bank_pays_abroad_over_generic_cips_with_default_fees() -> None:
    request = payment(
        "5000000.00", "CNY", "DEUTDEFF", beijing(2026, 3, 10, 10, 0), debtor_bank_bic="ICBKCNBJ"
    )

    route = chosen(decide(request))

    assert route.rail_id == "CIPS_ANY"
    assert route.value_date == date(2026, 3, 10)
    assert "generic CIPS defaults [X]" in route.explanation
    assert candidate(decide(request), "CIPS_A").excluded_reason == "NOT_HOUSE_BANK"


def test_hsbc_hong_kong_sends_cnh_into_the_mainland_through_its_cips_dp() -> None:
    request = offshore("1000000.00", "CNY", "HSBCHKHH", "ICBKCNBJ", hong_kong(2026, 3, 10, 10, 0))

    route = chosen(decide(request))

    assert route.rail_id == "CIPS_ANY"
    assert route.value_date == date(2026, 3, 10)


def test_a_hong_kong_bank_outside_cips_goes_through_the_clearing_bank() -> None:
    request = offshore("1000000.00", "CNY", "DSBAHKHH", "ICBKCNBJ", hong_kong(2026, 3, 10, 10, 0))

    decision = decide(request)

    assert candidate(decision, "CIPS_ANY").excluded_reason == "DEBTOR_NOT_CIPS"
    assert chosen(decision).rail_id == "CLR_HK_IN"
    assert chosen(decision).value_date == date(2026, 3, 10)


def test_a_hong_kong_holiday_that_is_a_mainland_working_day() -> None:
    # Tue 2026-04-07: Ching Ming observed in Hong Kong, a working day on the mainland.
    local = offshore("1000.00", "HKD", "BKCHHKHH", "HSBCHKHH", hong_kong(2026, 4, 7, 10, 0))
    outbound = payment(
        "1000000.00", "CNY", "HSBCHKHH", beijing(2026, 4, 7, 10, 0), debtor_bank_bic="ICBKCNBJ"
    )

    chats = chosen(decide(local))
    cips = chosen(decide(outbound))

    assert chats.rail_id == "CHATS_HKD"
    assert chats.send_at == hong_kong(2026, 4, 8, 8, 30)
    assert chats.value_date == date(2026, 4, 8)
    assert cips.rail_id == "CIPS_ANY"
    assert cips.send_at == beijing(2026, 4, 7, 10, 0)  # the mainland sends that day
    assert cips.value_date == date(2026, 4, 8)  # Hong Kong credits the next


def test_a_us_holiday_moves_usd_over_swift_but_not_usd_chats_in_hong_kong() -> None:
    # Thu 2026-11-26: Thanksgiving, Fedwire shut; Hong Kong and Singapore open.
    swift = offshore("1000.00", "USD", "BKCHHKHH", "DBSSSGSG", hong_kong(2026, 11, 26, 10, 0))
    chats = offshore("1000.00", "USD", "BKCHHKHH", "HSBCHKHH", hong_kong(2026, 11, 26, 10, 0))

    by_swift = chosen(decide(swift))
    by_chats = chosen(decide(chats))

    assert by_swift.rail_id == "SWIFT_ANY"
    assert by_swift.send_at == hong_kong(2026, 11, 26, 10, 0)
    assert by_swift.value_date == date(2026, 11, 27)
    assert "US_FED" in by_swift.explanation
    assert by_chats.rail_id == "CHATS_USD"
    assert by_chats.value_date == date(2026, 11, 26)


@pytest.mark.parametrize(
    ("currency", "submitted", "send_at"),
    [
        ("HKD", hong_kong(2026, 3, 10, 16, 59), hong_kong(2026, 3, 10, 16, 59)),
        ("HKD", hong_kong(2026, 3, 10, 17, 1), hong_kong(2026, 3, 11, 8, 30)),  # after cut-off
        ("USD", hong_kong(2026, 3, 10, 8, 45), hong_kong(2026, 3, 10, 9, 0)),  # USD opens 09:00
        ("CNY", hong_kong(2026, 3, 10, 17, 20), hong_kong(2026, 3, 10, 17, 20)),  # RMB CHATS
        ("CNY", hong_kong(2026, 3, 10, 17, 31), hong_kong(2026, 3, 11, 8, 30)),
    ],
)
def test_chats_hours(currency: str, submitted: datetime, send_at: datetime) -> None:
    request = offshore("1000.00", currency, "BKCHHKHH", "HSBCHKHH", submitted)

    route = chosen(decide(request))

    assert route.rail_id == {"HKD": "CHATS_HKD", "USD": "CHATS_USD", "CNY": "CHATS_RMB"}[currency]
    assert route.send_at == send_at


def test_an_inbound_usd_payment_is_credited_on_the_next_mainland_business_day() -> None:
    # Fri 2026-10-02: Singapore and the Fed are open; the mainland is on its National Day break.
    request = offshore("1000000.00", "USD", "DBSSSGSG", "BKCHCNBJ", beijing(2026, 10, 2, 10, 0))

    route = chosen(decide(request))

    assert route.rail_id == "SWIFT_ANY"
    assert route.value_date == date(2026, 10, 8)
    assert "value rolled: 2026-10-07 holiday (CN_IB)" in route.explanation
    # 2026-10-08 is six calendar days after Friday: beyond fx.max_forward_calendar_days (5), so
    # DBS holds the instruction to its next working day, Monday, 08:30 Singapore time.
    assert route.send_at == datetime(2026, 10, 5, 8, 30, tzinfo=ZoneInfo("Asia/Singapore"))


def test_a_sender_in_a_country_without_calendars_gets_a_named_reason() -> None:
    request = offshore("1000.00", "USD", "ITAUBRSP", "DBSSSGSG", beijing(2026, 3, 10, 10, 0))

    decision = decide(request)

    assert decision.status is DecisionStatus.REJECT
    assert candidate(decision, "SWIFT_ANY").excluded_reason == "NO_CALENDAR_FOR_COUNTRY"


def test_singapore_dollars_move_between_two_singapore_banks_over_meps() -> None:
    request = offshore("1000.00", "SGD", "DBSSSGSG", "OCBCSGSG", beijing(2026, 3, 10, 10, 0))

    route = chosen(decide(request))

    assert route.rail_id == "MEPS_SGD"
    assert route.value_date == date(2026, 3, 10)


def test_usd_between_two_chinese_banks_goes_over_the_onshore_fx_payment_system() -> None:
    request = payment(
        "1000.00", "USD", "ICBKCNBJ", beijing(2026, 3, 10, 10, 0), debtor_bank_bic="BKCHCNBJ"
    )

    route = chosen(decide(request))

    assert route.rail_id == "CFXPS"
    assert candidate(decide(request), "SWIFT_ANY").excluded_reason == "BENEF_BANK_ONSHORE"


def test_any_onshore_bank_reaches_a_hong_kong_bank_outside_cips_through_the_clearing_bank() -> None:
    # Dah Sing is no CIPS participant but a member of the Hong Kong RMB clearing.
    request = payment(
        "800000.00", "CNY", "DSBAHKHH", beijing(2026, 4, 8, 15, 0), debtor_bank_bic="ICBKCNBJ"
    )

    decision = decide(request)

    assert candidate(decision, "CIPS_ANY").excluded_reason == "BENEF_NOT_CIPS_REACHABLE"
    assert candidate(decision, "CLR_HK").excluded_reason == "NOT_HOUSE_BANK"
    assert chosen(decision).rail_id == "CLR_HK_ANY"
    assert chosen(decision).value_date == date(2026, 4, 8)


def test_a_generic_rail_past_the_loaded_calendars_is_calendar_not_loaded_never_a_guess() -> None:
    request = offshore("1000.00", "HKD", "BKCHHKHH", "HSBCHKHH", hong_kong(2027, 3, 1, 10, 0))

    decision = routing.decide(request, reference(rates=RATES), NO_OVERRIDES)

    assert decision.status is DecisionStatus.REJECT
    assert decision.reasons == ("CALENDAR_NOT_LOADED",)
    assert candidate(decision, "CHATS_HKD").excluded_reason == "CALENDAR_NOT_LOADED"
