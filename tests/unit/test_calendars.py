"""Business-day calendars: settlement.md §5 vectors, coverage refusal, overrides, day counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from treasury.calendars import (
    BusinessCalendars,
    CalendarOverride,
    default_calendars,
    seed_overrides,
    year_fraction,
)
from treasury.errors import CalendarNotLoaded, ValidationFailed

BARE = BusinessCalendars()  # QuantLib's tables only


@pytest.mark.parametrize(
    ("code", "day", "business"),
    [
        ("CN_IB", date(2026, 2, 14), True),  # Saturday make-up working day (调休)
        ("CN_IB", date(2026, 2, 16), False),  # Spring Festival
        ("CN_IB", date(2026, 10, 10), True),  # Saturday make-up working day
        ("CN_IB", date(2024, 2, 9), True),  # interbank open, exchange shut
        ("CN_SSE", date(2024, 2, 9), False),
        ("CN_SSE", date(2026, 2, 14), False),  # the exchange never opens on Saturdays
        ("US_FED", date(2026, 2, 16), False),  # Presidents' Day
        ("TARGET", date(2026, 4, 6), False),  # Easter Monday
    ],
)
def test_settlement_md_vectors(code: str, day: date, business: bool) -> None:
    assert BARE.is_business_day(code, day) is business


def test_joint_calendar_needs_every_calendar_open() -> None:
    # A CN working Saturday is not a CNY/USD settlement day.
    assert not BARE.is_business_day(["CN_IB", "US_FED"], date(2026, 2, 14))
    assert BARE.next_business_day(["CN_IB", "US_FED"], date(2026, 2, 14)) == date(2026, 2, 24)


def test_year_past_quantlib_data_is_refused_without_override() -> None:
    # settlement.md E10: a CNY value date of 2027-03-01 with QL 1.44 and no override.
    with pytest.raises(CalendarNotLoaded) as raised:
        BARE.is_business_day("CN_IB", date(2027, 3, 1))
    assert raised.value.code == "CALENDAR_NOT_LOADED"
    assert BARE.covered_until("CN_IB") == 2026


def test_seed_overrides_cover_2027_and_mark_cn_expected() -> None:
    calendars = default_calendars()
    assert calendars.covered_until("CN_IB") == 2027
    assert not calendars.is_business_day("CN_IB", date(2027, 2, 8))
    assert calendars.is_expected("CN_IB", date(2027, 3, 1))
    assert not calendars.is_expected("HK", date(2027, 3, 1))
    # HK 2027: QuantLib misses the lunar holidays; the gazetted list fills them.
    assert BARE.covered_until("HK") == 2026
    assert not calendars.is_business_day("HK", date(2027, 2, 9))
    assert not calendars.is_business_day("HK", date(2027, 12, 27))
    warnings = calendars.warnings(["CN_IB", "HK"], [date(2027, 3, 1)])
    assert len(warnings) == 1
    assert warnings[0].startswith("CN_IB 2027")
    with pytest.raises(CalendarNotLoaded):
        calendars.is_business_day("CN_IB", date(2028, 1, 3))


def test_override_working_day_and_holiday_apply_inside_quantlib_years() -> None:
    override = CalendarOverride(
        calendar="CN_IB",
        year=2026,
        holidays=frozenset({date(2026, 12, 31)}),
        working_days=frozenset({date(2026, 12, 27)}),
        status="official",
        source="test notice",
    )
    calendars = BusinessCalendars([override])
    assert not calendars.is_business_day("CN_IB", date(2026, 12, 31))
    assert calendars.is_business_day("CN_IB", date(2026, 12, 27))
    assert BARE.is_business_day("CN_IB", date(2026, 12, 31))  # others untouched


def test_a_gap_year_does_not_extend_coverage() -> None:
    override = CalendarOverride(
        calendar="HK",
        year=2028,
        holidays=frozenset(),
        working_days=frozenset(),
        status="official",
        source="x",
    )
    assert BusinessCalendars([override]).covered_until("HK") == 2026


@pytest.mark.parametrize(
    "kwargs",
    [
        {"calendar": "MARS"},
        {"status": "rumoured"},
        {"source": " "},
        {"holidays": frozenset({date(2025, 1, 1)})},
        {"holidays": frozenset({date(2027, 1, 4)}), "working_days": frozenset({date(2027, 1, 4)})},
    ],
)
def test_bad_overrides_are_refused(kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {
        "calendar": "HK",
        "year": 2027,
        "holidays": frozenset(),
        "working_days": frozenset(),
        "status": "official",
        "source": "notice",
    }
    values.update(kwargs)
    with pytest.raises(ValidationFailed):
        CalendarOverride(**values)  # type: ignore[arg-type]


def test_advance_counts_joint_business_days() -> None:
    # Fri 2026-09-18 + 2 CN_IB days: Sun 09-20 is a make-up working day.
    assert BARE.advance("CN_IB", date(2026, 9, 18), 2) == date(2026, 9, 21)
    assert BARE.advance("CN_IB", date(2026, 9, 18), 0) == date(2026, 9, 18)
    assert BARE.business_days_between("CN_IB", date(2026, 9, 18), date(2026, 9, 22)) == 3


def test_seed_file_parses() -> None:
    codes = {(o.calendar, o.year) for o in seed_overrides()}
    assert {("CN_IB", 2027), ("HK", 2027), ("US_FED", 2027), ("TARGET", 2027)} <= codes


@pytest.mark.parametrize(
    ("convention", "expected"),
    [("ACT/360", Decimal(181) / Decimal(360)), ("ACT/365F", Decimal(181) / Decimal(365))],
)
def test_year_fraction_is_exact(convention: str, expected: Decimal) -> None:
    assert year_fraction(convention, date(2026, 1, 1), date(2026, 7, 1)) == expected


def test_unknown_day_count_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        year_fraction("30/360", date(2026, 1, 1), date(2026, 7, 1))
