"""Hedge accounting's split, worked by hand (IFRS 9 §6.5.11 "lesser of": the reserve holds the
lesser of the hedge's and the hedged item's cumulative changes while they offset)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hedging.accounting import HedgeTerms, Point, account, effective_cumulative

CASH_FLOW = HedgeTerms("h1", "e1", "forward", "cash_flow", "live")
D1, D2, D3 = date(2026, 11, 26), date(2026, 12, 1), date(2026, 12, 8)


@pytest.mark.parametrize(
    ("hedge", "item", "effective"),
    [
        (-120, 100, -100),  # over-hedged: 20 of the loss is ineffective
        (-80, 100, -80),  # under-hedged: all of it effective
        (50, -50, 50),  # a perfect offset
        (-30, -10, 0),  # no offset: nothing to the reserve
        (-30, None, 0),  # no hedged item valued
    ],
)
def test_the_lesser_of_test(hedge: int, item: int | None, effective: int) -> None:
    assert effective_cumulative(hedge, item) == effective


def test_a_period_splits_its_change_between_the_reserve_and_profit_or_loss() -> None:
    points = [Point(D1, -50, 40, None), Point(D2, -120, 100, None)]

    line = account(CASH_FLOW, points, period_from=D2, period_to=D3)

    # Opening: −50 against +40 → −40 in the reserve; closing: −120 against +100 → −100.
    assert (line.opening_value, line.closing_value) == (-50, -120)
    assert line.fair_value_change == -70
    assert line.effective == -60
    assert line.ineffective == -10
    assert line.recycled == 0
    assert line.dollar_offset == Decimal("1.2000")
    assert line.highly_effective is True


def test_settlement_recycles_the_reserve() -> None:
    points = [Point(D1, -90, 100, None), Point(D3, 0, None, -130)]
    matured = HedgeTerms("h1", "e1", "forward", "cash_flow", "matured")

    line = account(matured, points, period_from=D2, period_to=D3)

    assert line.settled == -130
    assert line.fair_value_change == -40  # from −90 carried to −130 paid
    assert line.recycled == -100  # the reserve at settlement: the lesser of 130 and 100
    assert line.effective == -10  # −100 − (−90)
    assert line.ineffective == -30
    assert line.highly_effective is False  # 130 / 100 is beyond 125 %


def test_an_undesignated_hedge_has_no_split() -> None:
    terms = HedgeTerms("h2", "e1", "option", "none", "live")

    line = account(
        terms, [Point(D1, 10, None, None), Point(D2, 25, None, None)], period_from=D1, period_to=D3
    )

    assert line.fair_value_change == 25
    assert (line.effective, line.ineffective, line.recycled, line.dollar_offset) == (
        None,
        None,
        None,
        None,
    )


def test_a_swaps_near_leg_counts_in_the_change_and_recycles_nothing() -> None:
    swap = HedgeTerms("h3", "e1", "swap", "cash_flow", "live")
    points = [Point(D1, -50, 60, None), Point(D2, -20, 70, -40), Point(D3, -35, 80, None)]

    line = account(swap, points, period_from=D3, period_to=D3)

    # Cumulative: −20 − 40 = −60 before, −35 − 40 = −75 after; against +70, +80.
    assert line.fair_value_change == -15
    assert line.effective == -15
    assert line.recycled == 0
