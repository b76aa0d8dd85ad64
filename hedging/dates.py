"""Value dates: the CFETS spot rule, tenor dates, and the calendars each pair settles on.

Business days come from `treasury.calendars` (coverage checked: a date past the loaded holiday
tables raises CALENDAR_NOT_LOADED). Settlement never falls on a weekend, even on China's make-up
working Saturdays and Sundays (调休), which China.IB counts as business days.

CFETS rule (fx-pricing.md §2.2): USD/CNY spot is T+2 China days, a USD holiday on T+1 does not
move it, and the date rolls forward to a day open in both China and the US. For other CNY pairs a
holiday of the other currency on T+1 adds a day. USD/CNH is T+2 on a configurable calendar set
(default Hong Kong and New York).
"""

from __future__ import annotations

import calendar as gregorian
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hedging.model import Pair
from treasury.calendars import BusinessCalendars, currency_calendar
from treasury.errors import CalendarNotLoaded, ValidationFailed

DEFAULT_CNH_CALENDARS = ("HK", "US_FED")
_TENOR = re.compile(r"^([0-9]{1,3})([DWMY])$")
SPOT_LAG = 2


@dataclass(frozen=True)
class PairCalendars:
    """How one pair settles: the calendars counted to spot, and those a value date must be open."""

    count: tuple[str, ...]  # calendars whose business days count towards T+2
    settle: tuple[str, ...]  # calendars a value date must be open in


def pair_calendars(
    pair: Pair, cnh_calendars: Sequence[str] = DEFAULT_CNH_CALENDARS
) -> PairCalendars:
    """The counting and settlement calendars of a pair."""
    legs = (pair.base, pair.quote)
    if "CNH" in legs:
        chosen = tuple(cnh_calendars)
        return PairCalendars(count=chosen, settle=chosen)
    if "CNY" in legs:
        other = pair.base if pair.quote == "CNY" else pair.quote
        other_calendar = currency_calendar(other)
        count: tuple[str, ...] = ("CN_IB",) if other == "USD" else ("CN_IB", other_calendar)
        return PairCalendars(count=count, settle=("CN_IB", other_calendar))
    codes = tuple(dict.fromkeys(currency_calendar(c) for c in legs))
    count = tuple(code for code in codes if code != "US_FED") or codes
    return PairCalendars(count=count, settle=tuple(dict.fromkeys((*codes, "US_FED"))))


class ValueDates:
    """Spot and tenor dates of pairs on a set of business calendars."""

    def __init__(
        self, calendars: BusinessCalendars, cnh_calendars: Sequence[str] = DEFAULT_CNH_CALENDARS
    ) -> None:
        self._calendars = calendars
        self._cnh = tuple(cnh_calendars)
        self._spot_dates: dict[tuple[str, date], date] = {}

    def is_good_day(self, codes: Sequence[str], day: date) -> bool:
        """A weekday open in every calendar of `codes`."""
        return day.weekday() < 5 and self._calendars.is_business_day(codes, day)

    def roll_forward(self, codes: Sequence[str], day: date) -> date:
        """`day` or the first good day after it."""
        current = day
        while not self.is_good_day(codes, current):
            current += timedelta(days=1)
        return current

    def roll_modified_following(self, codes: Sequence[str], day: date) -> date:
        """Following, unless that leaves the month: then the preceding good day."""
        forward = self.roll_forward(codes, day)
        if forward.month == day.month:
            return forward
        current = day
        while not self.is_good_day(codes, current):
            current -= timedelta(days=1)
        return current

    def spot_date(self, pair: Pair, trade_date: date) -> date:
        """The spot value date of a trade on `trade_date`."""
        key = (pair.code, trade_date)
        found = self._spot_dates.get(key)
        if found is None:
            found = self._spot_date(pair, trade_date)
            self._spot_dates[key] = found
        return found

    def _spot_date(self, pair: Pair, trade_date: date) -> date:
        rules = pair_calendars(pair, self._cnh)
        current = trade_date
        for _ in range(SPOT_LAG):
            current = self.roll_forward(rules.count, current + timedelta(days=1))
        return self.roll_forward(rules.settle, current)

    def delivery_date(self, pair: Pair, day: date) -> date:
        """The spot date of `day` for valuing a deal's delivery: past the loaded holiday tables
        it is two weekdays later (an approximation worth a day's carry at most, so that a
        long-dated deal can still be valued; dealing dates never take this path)."""
        try:
            return self.spot_date(pair, day)
        except CalendarNotLoaded:
            current = day
            for _ in range(SPOT_LAG):
                current += timedelta(days=1)
                while current.weekday() >= 5:
                    current += timedelta(days=1)
            return current

    def pillar_date(self, pair: Pair, start: date, tenor: str) -> date:
        """A curve or smile pillar's date: `tenor_date`, or past the loaded holiday tables the
        tenor rolled to a weekday (modified following), so a market stays usable there."""
        try:
            return self.tenor_date(pair, start, tenor)
        except CalendarNotLoaded:
            count, unit = parse_tenor(tenor)
            if unit in "DW":
                raw = start + timedelta(days=count * (7 if unit == "W" else 1))
            else:
                raw = add_months(start, count * (12 if unit == "Y" else 1))
            rolled = raw
            while rolled.weekday() >= 5:
                rolled += timedelta(days=1)
            if rolled.month != raw.month:
                rolled = raw
                while rolled.weekday() >= 5:
                    rolled -= timedelta(days=1)
            return rolled

    def tenor_date(self, pair: Pair, start: date, tenor: str) -> date:
        """The value date `tenor` after the spot date `start` (modified following, end of month)."""
        rules = pair_calendars(pair, self._cnh)
        count, unit = parse_tenor(tenor)
        if unit == "D":
            return self.roll_forward(rules.settle, start + timedelta(days=count))
        if unit == "W":
            return self.roll_forward(rules.settle, start + timedelta(days=7 * count))
        months = count * (12 if unit == "Y" else 1)
        if self._last_good_day_of_month(rules.settle, start):
            target = add_months(start, months)
            last = date(
                target.year, target.month, gregorian.monthrange(target.year, target.month)[1]
            )
            current = last
            while not self.is_good_day(rules.settle, current):
                current -= timedelta(days=1)
            return current
        return self.roll_modified_following(rules.settle, add_months(start, months))

    def _last_good_day_of_month(self, codes: Sequence[str], day: date) -> bool:
        following = day + timedelta(days=1)
        while following.month == day.month:
            if self.is_good_day(codes, following):
                return False
            following += timedelta(days=1)
        return True


def parse_tenor(tenor: str) -> tuple[int, str]:
    """'3M' → (3, 'M'); refuses anything but nD, nW, nM, nY with n ≥ 1."""
    found = _TENOR.match(tenor.strip().upper()) if isinstance(tenor, str) else None
    if found is None or int(found.group(1)) < 1:
        raise ValidationFailed(f"tenor {tenor!r} is not like 1W, 3M or 1Y", field="tenor")
    return int(found.group(1)), found.group(2)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, gregorian.monthrange(year, month)[1]))
