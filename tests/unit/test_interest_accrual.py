"""Daily interest on intercompany positions: credit and debit rates, ACT/360 and ACT/365F."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pooling.interest import RateSet, accrue, rate_on, to_minor
from treasury.calendars import year_fraction

RATES = [RateSet(date(2026, 1, 1), Decimal("0.018"), Decimal("0.036"), "ACT/360")]


def test_a_lender_earns_the_credit_rate_act_360() -> None:
    # CNY 10,000,000.00 lent for 30 nights at 1.8% ACT/360 = 15,000.00
    amount = accrue(
        opening_minor=1_000_000_000,
        movements={},
        start=date(2026, 11, 1),
        end=date(2026, 12, 1),
        rates=RATES,
        year_fraction=year_fraction,
        exponent=2,
    )
    assert to_minor(amount, 2) == 1_500_000


def test_a_borrower_pays_the_debit_rate_and_movements_change_the_position() -> None:
    # borrows 3,650,000.00 from the 1st; repays it all on the 11th: 10 nights at 3.6% ACT/365F
    rates = [RateSet(date(2026, 1, 1), Decimal("0.018"), Decimal("0.036"), "ACT/365F")]
    amount = accrue(
        opening_minor=0,
        movements={date(2026, 11, 1): -365_000_000, date(2026, 11, 11): 365_000_000},
        start=date(2026, 11, 1),
        end=date(2026, 12, 1),
        rates=rates,
        year_fraction=year_fraction,
        exponent=2,
    )
    assert to_minor(amount, 2) == -360_000  # 3,650,000 × 0.036 × 10/365 = 3,600.00


def test_a_rate_change_in_the_period_applies_from_its_date() -> None:
    rates = [*RATES, RateSet(date(2026, 11, 16), Decimal("0.036"), Decimal("0.05"), "ACT/360")]
    assert rate_on(rates, date(2026, 11, 15)) == RATES[0]
    amount = accrue(
        opening_minor=3_600_000_000,  # 36,000,000.00
        movements={},
        start=date(2026, 11, 1),
        end=date(2026, 12, 1),
        rates=rates,
        year_fraction=year_fraction,
        exponent=2,
    )
    # 15 nights at 1.8% + 15 nights at 3.6% on 36m ACT/360 = 27,000 + 54,000
    assert to_minor(amount, 2) == 8_100_000


def test_no_rate_in_force_accrues_nothing() -> None:
    amount = accrue(
        opening_minor=100,
        movements={},
        start=date(2025, 1, 1),
        end=date(2025, 2, 1),
        rates=RATES,
        year_fraction=year_fraction,
        exponent=2,
    )
    assert amount == 0
