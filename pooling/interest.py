"""Daily interest on intercompany positions (pure).

Each night from a day to the next, a member's end-of-day position earns the pool's `credit_rate`
when it lends to the pool (position > 0) or costs its `debit_rate` when it borrows; the rate set is
the one effective that day. Runs of equal position and rate are accrued as one span with the
convention's year fraction (QuantLib's day counter, through `treasury.calendars`), and the sum is
rounded once per member, half-even, when posted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal


@dataclass(frozen=True)
class RateSet:
    """A pool's rates from a date on."""

    effective_from: date
    credit_rate: Decimal
    debit_rate: Decimal
    day_count: str


YearFraction = Callable[[str, date, date], Decimal]


def rate_on(rates: Sequence[RateSet], day: date) -> RateSet | None:
    """The rate set in force on `day` (latest effective_from on or before it)."""
    eligible = [rate for rate in rates if rate.effective_from <= day]
    return max(eligible, key=lambda rate: rate.effective_from, default=None)


def accrue(
    *,
    opening_minor: int,
    movements: Mapping[date, int],
    start: date,
    end: date,
    rates: Sequence[RateSet],
    year_fraction: YearFraction,
    exponent: int,
) -> Decimal:
    """Interest (+ earned by the member, − owed) for the nights start → … → end, unrounded.

    `opening_minor` is the position at the end of the day before `start`; `movements` the
    position's changes by value date within [start, end).
    """
    total = Decimal(0)
    position = opening_minor
    span_start: date | None = None
    span_key: tuple[int, RateSet | None] | None = None
    day = start
    while day < end:
        position += movements.get(day, 0)
        key = (position, rate_on(rates, day))
        if key != span_key:
            if span_key is not None and span_start is not None:
                total += _span(span_key, span_start, day, year_fraction, exponent)
            span_key, span_start = key, day
        day += timedelta(days=1)
    if span_key is not None and span_start is not None:
        total += _span(span_key, span_start, end, year_fraction, exponent)
    return total


def _span(
    key: tuple[int, RateSet | None],
    start: date,
    end: date,
    year_fraction: YearFraction,
    exponent: int,
) -> Decimal:
    position, rates = key
    if position == 0 or rates is None:
        return Decimal(0)
    rate = rates.credit_rate if position > 0 else rates.debit_rate
    amount = Decimal(position).scaleb(-exponent)
    return amount * rate * year_fraction(rates.day_count, start, end)


def to_minor(amount: Decimal, exponent: int) -> int:
    """Round interest half-even to the currency's minor units."""
    return int(amount.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
