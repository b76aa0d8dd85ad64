"""Effective-dated values: the one in force on a date is the latest effective on or before it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

ParameterValue = str | bool | int | None | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Parameter:
    """A regulatory or house parameter from a date on, with where it comes from."""

    name: str
    value: ParameterValue
    effective_from: date
    source: str
    version: int
    loaded_at: datetime

    def decimal(self) -> Decimal:
        """The value as an exact Decimal (values are kept as decimal strings)."""
        if not isinstance(self.value, str | int) or isinstance(self.value, bool):
            raise TypeError(f"parameter {self.name} is not a number: {self.value!r}")
        return Decimal(self.value)


@dataclass(frozen=True)
class ReferenceRate:
    """An official rate of a day, e.g. the CFETS central parity of USDCNY."""

    pair: str
    rate_date: date
    rate: Decimal
    source: str
    version: int


@dataclass(frozen=True)
class BopCode:
    """One row of a loaded BOP transaction-code table (涉外收支交易分类与代码)."""

    code: str
    name_zh: str
    name_en: str
    category: str
    directions: str  # both | receipt | payment
    table_version: str


def in_force(values: Iterable[Parameter], on: date) -> Parameter | None:
    """The value effective on `on`: latest effective_from ≤ on; the newer version wins a tie."""
    eligible = [value for value in values if value.effective_from <= on]
    return max(eligible, key=lambda v: (v.effective_from, v.version), default=None)


def latest_rate(rates: Sequence[ReferenceRate], on: date) -> ReferenceRate | None:
    """The rate of the latest date on or before `on` (the newest version of that date)."""
    eligible = [rate for rate in rates if rate.rate_date <= on]
    return max(eligible, key=lambda r: (r.rate_date, r.version), default=None)


def split_pair(pair: str) -> tuple[str, str]:
    """'USDCNY' → ('USD', 'CNY')."""
    if len(pair) != 6 or not pair.isalpha() or not pair.isupper():
        raise ValueError(f"currency pair {pair!r} must be six capital letters, e.g. USDCNY")
    return pair[:3], pair[3:]
