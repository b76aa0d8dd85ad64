"""Spot and tenor dates: the CFETS rule's verified examples (fx-pricing.md §2.2) and coverage."""

from __future__ import annotations

from datetime import date

import pytest

from hedging.dates import ValueDates, add_months, parse_tenor
from hedging.model import Pair
from treasury.calendars import BusinessCalendars
from treasury.errors import CalendarNotLoaded, ValidationFailed

DATES = ValueDates(BusinessCalendars())
USDCNY = Pair.parse("USDCNY")


@pytest.mark.parametrize(
    ("trade", "spot"),
    [
        # T+1 is Independence Day: a USD holiday on T+1 does not move USD/CNY spot.
        (date(2025, 7, 3), date(2025, 7, 7)),
        # T+2 is Thanksgiving: rolled to the next day open in both China and the US.
        (date(2025, 11, 25), date(2025, 11, 28)),
        # National Day holiday: counted on China business days (weekends never count).
        (date(2025, 9, 30), date(2025, 10, 10)),
    ],
)
def test_usdcny_spot_follows_the_cfets_rule(trade: date, spot: date) -> None:
    assert DATES.spot_date(USDCNY, trade) == spot


def test_a_holiday_of_the_other_currency_on_t1_adds_a_day_for_eurcny() -> None:
    # Thu 2025-04-17: Good Friday and Easter Monday close TARGET, not China.
    assert DATES.spot_date(USDCNY, date(2025, 4, 17)) == date(2025, 4, 21)
    assert DATES.spot_date(Pair.parse("EURCNY"), date(2025, 4, 17)) == date(2025, 4, 23)


def test_usdcnh_uses_the_configured_calendars() -> None:
    # Wed 2025-10-01: China's National Day, open in Hong Kong and New York on 10-02/10-03.
    assert DATES.spot_date(Pair.parse("USDCNH"), date(2025, 10, 1)) == date(2025, 10, 3)
    with_mainland = ValueDates(BusinessCalendars(), ("HK", "US_FED", "CN_IB"))
    assert with_mainland.spot_date(Pair.parse("USDCNH"), date(2025, 10, 1)) == date(2025, 10, 10)


def test_tenor_dates_roll_modified_following_and_keep_month_ends() -> None:
    # Spot Fri 2025-01-31 is a month end: 1M is the last good day of February.
    assert DATES.tenor_date(USDCNY, date(2025, 1, 31), "1M") == date(2025, 2, 28)
    # 2025-05-31 is a Saturday: modified following rolls back inside May.
    assert DATES.tenor_date(USDCNY, date(2025, 4, 30), "1M") == date(2025, 5, 30)
    assert DATES.tenor_date(USDCNY, date(2025, 7, 7), "1W") == date(2025, 7, 14)
    assert DATES.tenor_date(USDCNY, date(2025, 7, 7), "1Y") == date(2026, 7, 7)


def test_a_date_past_the_holiday_tables_is_refused() -> None:
    with pytest.raises(CalendarNotLoaded):
        DATES.spot_date(USDCNY, date(2030, 6, 3))


@pytest.mark.parametrize("tenor", ["0M", "1Q", "M", "", "12"])
def test_bad_tenors_are_refused(tenor: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_tenor(tenor)


def test_add_months_clips_to_the_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_a_delivery_past_the_tables_is_valued_two_weekdays_on() -> None:
    # Fri 2030-06-07 + 2 weekdays = Tue 2030-06-11; within the tables the CFETS rule applies.
    assert DATES.delivery_date(USDCNY, date(2030, 6, 7)) == date(2030, 6, 11)
    assert DATES.delivery_date(USDCNY, date(2025, 7, 3)) == date(2025, 7, 7)


def test_pillars_past_the_tables_roll_on_weekdays() -> None:
    # 2030-08-31 is a Saturday: modified following stays in August (Fri 2030-08-30).
    assert DATES.pillar_date(USDCNY, date(2030, 7, 31), "1M") == date(2030, 8, 30)
    assert DATES.pillar_date(USDCNY, date(2030, 2, 28), "1M") == date(2030, 3, 28)
    assert DATES.pillar_date(USDCNY, date(2025, 7, 7), "1Y") == date(2026, 7, 7)
