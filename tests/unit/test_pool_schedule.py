"""Which business dates a pool's daily job runs: missed dates one by one, in order."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pooling.service.jobs import due_dates
from treasury.calendars import default_calendars

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def test_missed_dates_are_caught_up_one_by_one_skipping_the_weekend() -> None:
    found = due_dates(
        calendars=default_calendars(),
        last_run=date(2026, 11, 20),
        created_on=date(2026, 1, 1),
        now_local=at(26, 16),
        schedule="15:00",
    )
    assert found == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]


def test_today_is_due_only_after_the_schedule_time() -> None:
    found = due_dates(
        calendars=default_calendars(),
        last_run=date(2026, 11, 24),
        created_on=date(2026, 1, 1),
        now_local=at(26, 14),
        schedule="15:00",
    )
    assert found == [date(2026, 11, 25)]


def test_the_national_day_holidays_are_not_business_days() -> None:
    found = due_dates(
        calendars=default_calendars(),
        last_run=date(2026, 9, 30),
        created_on=date(2026, 1, 1),
        now_local=at(9, 16, month=10),
        schedule="15:00",
    )
    assert date(2026, 10, 1) not in found
    assert date(2026, 10, 7) not in found
    assert found[-1] == date(2026, 10, 9)
    assert all(default_calendars().is_business_day("CN_IB", day) for day in found)


def test_a_new_pool_starts_on_its_creation_date() -> None:
    found = due_dates(
        calendars=default_calendars(),
        last_run=None,
        created_on=date(2026, 11, 26),
        now_local=at(26, 16),
        schedule="15:00",
    )
    assert found == [date(2026, 11, 26)]
