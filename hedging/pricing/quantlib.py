"""What every pricing module shares: the one QuantLib lock, its day counters and dates, and
the passage from QuantLib's floats back to Decimal."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import QuantLib as ql

from treasury.errors import ValidationFailed

QUANTLIB_LOCK = threading.RLock()
A365 = ql.Actual365Fixed()
DAY_COUNTERS = {"ACT/360": ql.Actual360(), "ACT/365F": ql.Actual365Fixed()}
FORWARD_PLACES = Decimal("1E-10")
MINOR_UNIT_SCALE = {0: 1.0, 2: 100.0, 3: 1000.0, 4: 10000.0}
QUANTLIB_FIRST_YEAR, QUANTLIB_LAST_YEAR = 1901, 2199


def decimal_of(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def ql_date(day: date) -> ql.Date:
    if not QUANTLIB_FIRST_YEAR <= day.year <= QUANTLIB_LAST_YEAR:
        raise ValidationFailed(
            f"{day} lies outside the dates QuantLib handles "
            f"({QUANTLIB_FIRST_YEAR}-{QUANTLIB_LAST_YEAR})"
        )
    return ql.Date(day.day, day.month, day.year)
