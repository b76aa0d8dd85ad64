"""When a payment can leave, settle and be credited, and on which value date.

Sessions are read in their own IANA time zone (never a fixed offset), so New York's and Berlin's
daylight-saving changes move the windows as they do in life. Business days come from the
precomputed `BusinessCalendars` tables: a set lookup, no QuantLib object per quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from treasury.calendars import BusinessCalendars
from treasury.settlement.model import Rail, RoutingSettings, WeekendWindow


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """An IANA zone (cached: quotes ask for the same few many times)."""
    return ZoneInfo(name)


def at(day: date, moment: time, tz: str) -> datetime:
    """The aware instant of a local wall-clock time on a day."""
    return datetime.combine(day, moment, tzinfo=zone(tz))


@dataclass(frozen=True)
class Send:
    """When a rail can take the payment, on which business date, and what moved it."""

    send_at: datetime
    business_date: date
    notes: tuple[str, ...]


def closed_reason(calendars: BusinessCalendars, codes: Sequence[str], day: date) -> str:
    """'2026-10-01 holiday (CN_IB)' or '2026-02-15 weekend' for a closed day."""
    shut = [code for code in codes if not calendars.is_business_day(code, day)]
    kind = "weekend" if day.weekday() >= 5 else "holiday"
    return f"{day.isoformat()} {kind} ({', '.join(shut)})"


# (rail, calendars, holiday-service dates, day) → open day and window. Rails and the calendars
# are immutable, so a window once worked out holds; quotes on the same days share them.
_WINDOWS: dict[tuple[Any, ...], tuple[bool, tuple[datetime, datetime] | None]] = {}
_WINDOWS_MAX = 50_000


def is_open_day(
    rail: Rail, calendars: BusinessCalendars, settings: RoutingSettings, day: date
) -> bool:
    """A business date of the rail's session (or a CIPS holiday-service date it opted into)."""
    return _day(rail, calendars, settings, day)[0]


def window(
    rail: Rail, calendars: BusinessCalendars, settings: RoutingSettings, day: date
) -> tuple[datetime, datetime] | None:
    """The instants the rail and the house bank both take payments for business date `day`."""
    return _day(rail, calendars, settings, day)[1]


def _day(
    rail: Rail, calendars: BusinessCalendars, settings: RoutingSettings, day: date
) -> tuple[bool, tuple[datetime, datetime] | None]:
    key = (rail, calendars, settings.holiday_service_dates, day)
    found = _WINDOWS.get(key)
    if found is None:
        is_open = _is_open_day(rail, calendars, settings, day)
        found = (is_open, _window(rail, calendars, settings, day) if is_open else None)
        if len(_WINDOWS) >= _WINDOWS_MAX:
            _WINDOWS.clear()
        _WINDOWS[key] = found
    return found


def _is_open_day(
    rail: Rail, calendars: BusinessCalendars, settings: RoutingSettings, day: date
) -> bool:
    if calendars.is_business_day(rail.session.calendars, day):
        return True
    return rail.holiday_service and day in settings.holiday_service_dates


def _window(
    rail: Rail, calendars: BusinessCalendars, settings: RoutingSettings, day: date
) -> tuple[datetime, datetime] | None:
    session = rail.session
    opening = session.open
    if session.open_after_holiday is not None and not is_open_day(
        rail, calendars, settings, day - timedelta(days=1)
    ):
        opening = session.open_after_holiday
    opens = at(day + timedelta(days=session.open_day_offset), opening, session.tz)
    closes = at(day, session.close, session.tz)
    if rail.bank_open is not None:
        opens = max(opens, at(day, rail.bank_open, rail.bank_tz))
    if rail.bank_cutoff is not None:
        closes = min(closes, at(day, rail.bank_cutoff, rail.bank_tz))
    return (opens, closes) if opens < closes else None


def first_send(
    rail: Rail, calendars: BusinessCalendars, settings: RoutingSettings, earliest: datetime
) -> Send | None:
    """The first instant ≥ `earliest` inside an open window, or None within the search horizon.

    Raises:
        CalendarNotLoaded: a business date to decide lies past the loaded calendars.
    """
    local = earliest.astimezone(zone(rail.session.tz)).date()
    notes: list[str] = []
    day = local + timedelta(days=rail.session.open_day_offset)
    for _ in range(settings.max_search_days):
        if not is_open_day(rail, calendars, settings, day):
            if day >= local:
                shut = closed_reason(calendars, rail.session.calendars, day)
                notes.append(f"no {rail.id} session: {shut}")
            day += timedelta(days=1)
            continue
        span = window(rail, calendars, settings, day)
        if span is not None and earliest < span[1]:
            send_at = max(earliest, span[0])
            notes.extend(_send_notes(rail, calendars, day, earliest, span))
            return Send(send_at, day, tuple(notes))
        if span is not None and day >= local:
            notes.append(
                f"{day.isoformat()}: submitted after the window closed at "
                f"{span[1].astimezone(zone(rail.bank_tz)).strftime('%H:%M')} "
                f"({'bank cut-off' if rail.bank_cutoff else 'session close'}); rolled over"
            )
        day += timedelta(days=1)
    return None


def _send_notes(
    rail: Rail,
    calendars: BusinessCalendars,
    day: date,
    earliest: datetime,
    span: tuple[datetime, datetime],
) -> list[str]:
    notes = []
    if day.weekday() >= 5:
        notes.append(
            f"{day.isoformat()} is a {day.strftime('%A')} but a working day of "
            f"{'/'.join(rail.session.calendars)} (adjusted working weekend, 调休)"
        )
    if day in _holiday_service_days(rail, calendars, day):
        notes.append(f"{day.isoformat()}: CIPS holiday service date (the bank opted in)")
    if earliest < span[0]:
        opened = span[0].astimezone(zone(rail.bank_tz)).strftime("%Y-%m-%d %H:%M")
        notes.append(f"waits for the window to open at {opened} ({rail.bank_tz})")
    return notes


def _holiday_service_days(rail: Rail, calendars: BusinessCalendars, day: date) -> set[date]:
    if rail.holiday_service and not calendars.is_business_day(rail.session.calendars, day):
        return {day}
    return set()


def settle_and_credit(
    rail: Rail, settings: RoutingSettings, send_at: datetime
) -> tuple[datetime, datetime]:
    """Settlement after each leg's latency (and the hand-off between legs), then the credit."""
    minutes = sum(leg.latency_min for leg in rail.legs)
    minutes += settings.leg_handoff_min * (len(rail.legs) - 1)
    settle_at = send_at + timedelta(minutes=minutes)
    return settle_at, settle_at + timedelta(minutes=rail.credit_latency_min)


def credit_value_date(
    calendars: BusinessCalendars,
    codes: Sequence[str],
    credit_at: datetime,
    *,
    tz: str,
    cutoff: time,
    weekend: WeekendWindow | None = None,
) -> tuple[date, list[str]]:
    """The beneficiary's local date at `credit_at`, rolled past its cut-off and closed days."""
    local = credit_at.astimezone(zone(tz))
    day = local.date()
    notes = [f"credited {local.strftime('%Y-%m-%d %H:%M %Z')} ({tz})"]
    if local.time() >= cutoff:
        notes.append(f"after the {cutoff.strftime('%H:%M')} local credit cut-off: next day")
        day += timedelta(days=1)
    while not calendars.is_business_day(codes, day):
        if weekend is not None and _weekend_credit(calendars, weekend, day, credit_at):
            notes.append(f"{day.isoformat()}: mainland working weekend window (RMB CHATS)")
            return day, notes
        notes.append(f"value rolled: {closed_reason(calendars, codes, day)}")
        day += timedelta(days=1)
    return day, notes


def _weekend_credit(
    calendars: BusinessCalendars, weekend: WeekendWindow, day: date, credit_at: datetime
) -> bool:
    if day.weekday() < 5 or not calendars.is_business_day("CN_IB", day):
        return False
    opens, closes = at(day, weekend.open, weekend.tz), at(day, weekend.close, weekend.tz)
    return credit_at < closes if credit_at >= opens else True


def currency_value_date(
    calendars: BusinessCalendars, codes: Sequence[str], business_date: date
) -> tuple[date, list[str]]:
    """FX: the first day ≥ the instruction date that is a business day of every calendar given
    (the currency's, and the beneficiary bank's country's)."""
    day = business_date
    notes = []
    while not calendars.is_business_day(codes, day):
        notes.append(f"value rolled: {closed_reason(calendars, codes, day)}")
        day += timedelta(days=1)
    return day, notes


def cfets_spot_date(calendars: BusinessCalendars, currency: str, code: str, trade: date) -> date:
    """CFETS spot (T+2) for a currency against CNY.

    A day counts when China and the currency's country are both open — except that for USD/CNY
    a US holiday on T+1 does not move the date (only a CN holiday does); a holiday on T+2 in any
    leg rolls it forward.
    """
    joint = ("CN_IB", code)
    first_leg: Sequence[str] = ("CN_IB",) if currency == "USD" else joint
    t1 = calendars.next_business_day(first_leg, trade + timedelta(days=1))
    return calendars.next_business_day(joint, t1 + timedelta(days=1))


def inbound_credit_date(
    calendars: BusinessCalendars, nostro_value_date: date
) -> tuple[date, list[str]]:
    """An inbound FX payment: credited onshore on the first CN_IB business day ≥ its value."""
    day = nostro_value_date
    notes = []
    while not calendars.is_business_day("CN_IB", day):
        notes.append(f"holiday gap: {closed_reason(calendars, ['CN_IB'], day)}")
        day += timedelta(days=1)
    return day, notes
