"""Business-day calendars and day counts: QuantLib's tables plus our dated overrides.

One of the two places that import QuantLib (the other is the `hedging/pricing` package).
QuantLib's holiday tables stop at a data year (China and Hong Kong: 2026 in QL 1.44); past it,
QuantLib silently treats every weekday but 1 January as a business day. So every calendar here has a
coverage year, and a date past it raises `CALENDAR_NOT_LOADED` unless an override for that year
is loaded. Overrides are applied in Python sets, never through `Calendar.addHoliday`, which
mutates process-global QuantLib state.

Business days are precomputed once per calendar into a set of ordinals, so a query costs a set
lookup and no QuantLib call: routing asks thousands of times per second. Always through
`isBusinessDay`: QuantLib's `China(IB)` counts the adjusted working weekends (调休) as business
days but still says Saturday `isWeekend`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import QuantLib as ql

from treasury.errors import CalendarNotLoaded, ValidationFailed

# QuantLib factories by our calendar code.
_FACTORIES: dict[str, Callable[[], ql.Calendar]] = {
    "CN_IB": lambda: ql.China(ql.China.IB),
    "CN_SSE": lambda: ql.China(ql.China.SSE),
    "HK": lambda: ql.HongKong(ql.HongKong.HKEx),
    "US_FED": lambda: ql.UnitedStates(ql.UnitedStates.FederalReserve),
    "TARGET": lambda: ql.TARGET(),
    "UK": lambda: ql.UnitedKingdom(ql.UnitedKingdom.Settlement),
    "SG": lambda: ql.Singapore(ql.Singapore.SGX),
    "JP": lambda: ql.Japan(),
}
CALENDAR_CODES = frozenset(_FACTORIES)

# The last year of each calendar's hand-written table in QuantLib 1.44 (lunar, political holidays);
# rule-based calendars (Fed, TARGET, UK, Japan) are trusted to this horizon. `calendar.cn.max_year`
# (a reference-data parameter) replaces the China entries when the caller passes it.
QUANTLIB_DATA_MAX_YEAR: Mapping[str, int] = {
    "CN_IB": 2026,
    "CN_SSE": 2026,
    "HK": 2026,
    "SG": 2026,
    "US_FED": 2099,
    "TARGET": 2099,
    "UK": 2099,
    "JP": 2099,
}
FIRST_YEAR = 2000

# Which calendar settles which currency (settlement.md §5, "Which calendar for which leg").
CURRENCY_CALENDAR: Mapping[str, str] = {
    "CNY": "CN_IB",
    "CNH": "HK",
    "HKD": "HK",
    "USD": "US_FED",
    "EUR": "TARGET",
    "GBP": "UK",
    "SGD": "SG",
    "JPY": "JP",
}

OVERRIDE_STATUSES = frozenset({"official", "expected"})
SEED_FILE = Path(__file__).resolve().parent / "refdata" / "seed" / "calendar_overrides.json"


@dataclass(frozen=True)
class CalendarOverride:
    """One calendar's year as a published notice states it (or as we expect it to)."""

    calendar: str
    year: int
    holidays: frozenset[date]
    working_days: frozenset[date]
    status: str  # official | expected
    source: str

    def __post_init__(self) -> None:
        if self.calendar not in CALENDAR_CODES:
            raise ValidationFailed(f"unknown calendar {self.calendar!r}", field="calendar")
        if self.status not in OVERRIDE_STATUSES:
            raise ValidationFailed(f"unknown override status {self.status!r}", field="status")
        if not self.source.strip():
            raise ValidationFailed("a calendar override needs its source", field="source")
        stray = [d for d in self.holidays | self.working_days if d.year != self.year]
        if stray:
            raise ValidationFailed(f"dates outside {self.year}: {sorted(stray)}", field="year")
        both = self.holidays & self.working_days
        if both:
            raise ValidationFailed(f"holiday and working day: {sorted(both)}", field="holidays")


@dataclass
class _Table:
    covered_until: int
    business_days: frozenset[int]
    expected_years: frozenset[int] = field(default_factory=frozenset)


class BusinessCalendars:
    """Business-day questions over the calendars, with coverage checks. Immutable once built."""

    def __init__(
        self,
        overrides: Iterable[CalendarOverride] = (),
        *,
        data_max_year: Mapping[str, int] | None = None,
    ) -> None:
        self._data_max_year = {**QUANTLIB_DATA_MAX_YEAR, **(data_max_year or {})}
        self._overrides: dict[str, dict[int, CalendarOverride]] = {}
        for override in overrides:
            self._overrides.setdefault(override.calendar, {})[override.year] = override
        self._tables: dict[str, _Table] = {}
        self._lock = threading.Lock()

    # -- coverage ---------------------------------------------------------------------------------

    def covered_until(self, code: str) -> int:
        """The last year this calendar knows, from QuantLib's data or a contiguous override."""
        return self._table(code).covered_until

    def assert_covered(self, code: str, day: date) -> None:
        """Raise CALENDAR_NOT_LOADED when `day` lies past the calendar's known years."""
        table = self._table(code)
        if day.year > table.covered_until or day.year < FIRST_YEAR:
            raise CalendarNotLoaded(
                f"calendar {code} has no holiday data for {day.year} "
                f"(loaded {FIRST_YEAR}-{table.covered_until}); load an override for that year",
                calendar=code,
                year=day.year,
            )

    def is_expected(self, code: str, day: date) -> bool:
        """True when `day`'s year comes from an expected, not yet official, override."""
        return day.year in self._table(code).expected_years

    def warnings(self, codes: Sequence[str], days: Iterable[date]) -> list[str]:
        """One line per calendar whose unofficial (expected) data decided one of `days`."""
        found: list[str] = []
        for code in codes:
            for year in sorted({d.year for d in days if self.is_expected(code, d)}):
                source = self._overrides[code][year].source
                found.append(f"{code} {year} holidays are expected, not yet official: {source}")
        return found

    # -- business days ----------------------------------------------------------------------------

    def is_business_day(self, codes: str | Sequence[str], day: date) -> bool:
        """True when `day` is a business day in every one of `codes` (a joint calendar)."""
        for code in _codes(codes):
            self.assert_covered(code, day)
            if day.toordinal() not in self._table(code).business_days:
                return False
        return True

    def next_business_day(self, codes: str | Sequence[str], day: date) -> date:
        """`day` itself when it is a joint business day, else the first one after it."""
        current = day
        while not self.is_business_day(codes, current):
            current += timedelta(days=1)
        return current

    def advance(self, codes: str | Sequence[str], day: date, business_days: int) -> date:
        """The date `business_days` joint business days after `day` (0 → `day` rolled forward)."""
        if business_days < 0:
            raise ValueError("advance takes a non-negative number of business days")
        current = self.next_business_day(codes, day)
        for _ in range(business_days):
            current = self.next_business_day(codes, current + timedelta(days=1))
        return current

    def business_days_between(self, codes: str | Sequence[str], start: date, end: date) -> int:
        """How many joint business days lie in [start, end)."""
        count = 0
        current = start
        while current < end:
            count += self.is_business_day(codes, current)
            current += timedelta(days=1)
        return count

    # -- building ---------------------------------------------------------------------------------

    def _table(self, code: str) -> _Table:
        found = self._tables.get(code)
        if found is not None:
            return found
        if code not in CALENDAR_CODES:
            raise ValidationFailed(f"unknown calendar {code!r}", field="calendar")
        with self._lock:
            found = self._tables.get(code)
            if found is None:
                found = self._build(code)
                self._tables[code] = found
        return found

    def _build(self, code: str) -> _Table:
        data_max = self._data_max_year[code]
        overrides = self._overrides.get(code, {})
        covered_until = data_max
        while covered_until + 1 in overrides:  # only contiguous years extend coverage
            covered_until += 1
        calendar = _FACTORIES[code]()
        business: set[int] = set()
        day = date(FIRST_YEAR, 1, 1)
        last = date(min(covered_until, 2099), 12, 31)
        while day <= last:
            if _business_day_before_overrides(calendar, day, from_quantlib=day.year <= data_max):
                business.add(day.toordinal())
            day += timedelta(days=1)
        for override in overrides.values():
            business.difference_update(d.toordinal() for d in override.holidays)
            business.update(d.toordinal() for d in override.working_days)
        expected = frozenset(year for year, o in overrides.items() if o.status == "expected")
        return _Table(covered_until, frozenset(business), expected)


def _business_day_before_overrides(
    calendar: ql.Calendar, day: date, *, from_quantlib: bool
) -> bool:
    if from_quantlib:
        return bool(calendar.isBusinessDay(ql.Date(day.day, day.month, day.year)))
    return day.weekday() < 5  # a year QuantLib does not know: weekdays, then the override


def _codes(codes: str | Sequence[str]) -> Sequence[str]:
    return (codes,) if isinstance(codes, str) else codes


def currency_calendar(currency: str) -> str:
    """The calendar code that settles `currency`."""
    try:
        return CURRENCY_CALENDAR[currency]
    except KeyError:
        raise ValidationFailed(f"no settlement calendar for {currency}", field="currency") from None


# -- overrides from data --------------------------------------------------------------------------


def overrides_from_document(document: Mapping[str, Any]) -> list[CalendarOverride]:
    """Overrides from the `calendar_overrides.json` shape: {"calendars": {code: {year: {...}}}}."""
    found: list[CalendarOverride] = []
    for code, years in document.get("calendars", {}).items():
        for year, entry in years.items():
            found.append(
                CalendarOverride(
                    calendar=code,
                    year=int(year),
                    holidays=frozenset(date.fromisoformat(d) for d in entry.get("holidays", [])),
                    working_days=frozenset(
                        date.fromisoformat(d) for d in entry.get("working_days", [])
                    ),
                    status=str(entry.get("status", "official")),
                    source=str(entry.get("source", "")),
                )
            )
    return found


def seed_overrides() -> list[CalendarOverride]:
    """The overrides shipped with the code (`domain/calendar_overrides.json`)."""
    return overrides_from_document(json.loads(SEED_FILE.read_text(encoding="utf-8")))


_default: BusinessCalendars | None = None


def default_calendars() -> BusinessCalendars:
    """Calendars with the shipped overrides, built once per process (callers without refdata)."""
    global _default
    if _default is None:
        _default = BusinessCalendars(seed_overrides())
    return _default


# -- day counts ----------------------------------------------------------------------------------

_DAY_COUNTERS: dict[str, tuple[ql.DayCounter, int]] = {
    "ACT/360": (ql.Actual360(), 360),
    "ACT/365F": (ql.Actual365Fixed(), 365),
}
DAY_COUNT_CONVENTIONS = frozenset(_DAY_COUNTERS)


def day_count_days(convention: str, start: date, end: date) -> int:
    """Days between `start` and `end` under the convention, counted by QuantLib."""
    counter = _day_counter(convention)[0]
    return int(counter.dayCount(_ql_date(start), _ql_date(end)))


def year_fraction(convention: str, start: date, end: date) -> Decimal:
    """The year fraction as an exact Decimal: QuantLib's day count over the convention's basis."""
    basis = _day_counter(convention)[1]
    return Decimal(day_count_days(convention, start, end)) / Decimal(basis)


def _day_counter(convention: str) -> tuple[ql.DayCounter, int]:
    try:
        return _DAY_COUNTERS[convention]
    except KeyError:
        raise ValidationFailed(
            f"unknown day count {convention!r}; use one of {sorted(_DAY_COUNTERS)}",
            field="day_count",
        ) from None


def _ql_date(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)
