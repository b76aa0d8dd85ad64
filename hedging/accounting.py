"""Hedge accounting for a period, per hedge (pure): the fair-value change, and for a cash-flow
designation its effective part (to the hedge reserve) and ineffective part (to profit or loss),
and the reserve recycled when the deal settles.

The split is the "lesser of" test (IFRS 9 §6.5.11, ASC 815's hypothetical-derivative method): the
reserve holds the lesser, in absolute amounts, of the hedge's cumulative change and the hedged
item's (the hypothetical forward at the rate locked at designation) while they offset, nothing
while they do not. Cumulative changes run from designation, where both are taken at zero (deals
struck at market). At settlement the reserve is recycled to profit or loss. Undesignated hedges
have no split: their whole change is profit or loss. Amounts are CNY minor units. The ledger
(`hedging.service.revaluation`) posts the same split: its `hedge_reserve` holds the effective part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

DOLLAR_OFFSET_RANGE = (Decimal("0.8"), Decimal("1.25"))


@dataclass(frozen=True)
class Point:
    """A stored valuation: the hedge's value, its hedged item's (if designated), and the cash a
    settlement moved on that date."""

    as_of: date
    value: int
    item: int | None
    settlement: int | None


@dataclass(frozen=True)
class HedgeTerms:
    """What the report shows of a hedge."""

    hedge_id: str
    entity_id: str
    instrument_type: str
    designation: str
    status: str


@dataclass(frozen=True)
class HedgeAccounting:
    """A hedge's figures for the period (CNY minor units; the split only for cash-flow hedges)."""

    terms: HedgeTerms
    opening_value: int
    closing_value: int
    settled: int
    fair_value_change: int
    effective: int | None
    ineffective: int | None
    recycled: int | None
    dollar_offset: Decimal | None
    highly_effective: bool | None


def effective_cumulative(hedge: int, item: int | None) -> int:
    """The reserve's share of the hedge's cumulative change: the lesser of the two changes while
    they offset (opposite signs), else none."""
    if item is None or hedge * item >= 0:
        return 0
    return hedge if abs(hedge) <= abs(item) else -item


def _at(points: list[Point], *, before: date | None = None, until: date | None = None) -> Point:
    """The latest point before `before` (or on or before `until`); a zero point when none."""
    chosen = [
        p
        for p in points
        if (before is None or p.as_of < before) and (until is None or p.as_of <= until)
    ]
    return chosen[-1] if chosen else Point(date.min, 0, 0, None)


def _known_item(
    points: list[Point], *, until: date | None = None, before: date | None = None
) -> int | None:
    """The hedged item's latest known value on or before `until` (a settlement stores none: the
    item is then taken at its last value, as the ledger takes it)."""
    known = [
        p.item
        for p in points
        if p.item is not None
        and (until is None or p.as_of <= until)
        and (before is None or p.as_of < before)
    ]
    return known[-1] if known else None


def account(
    terms: HedgeTerms, points: list[Point], *, period_from: date, period_to: date
) -> HedgeAccounting:
    """The period's figures of one hedge from its valuations (oldest first). A hedge's cumulative
    value is its carried value plus the cash its settlements paid (a swap's near leg pays before
    the deal ends); the reserve is recycled when the deal ends in the period."""
    opening = _at(points, before=period_from)
    closing = _at(points, until=period_to)
    paid_before = sum(p.settlement or 0 for p in points if p.as_of < period_from)
    settled = sum(p.settlement or 0 for p in points if period_from <= p.as_of <= period_to)
    start = opening.value + paid_before
    end = closing.value + paid_before + settled
    change = end - start
    if terms.designation != "cash_flow":
        return HedgeAccounting(
            terms, opening.value, closing.value, settled, change, None, None, None, None, None
        )
    end_item = _known_item(points, until=period_to)
    effective_end = effective_cumulative(end, end_item)
    start_item = _known_item(points, before=period_from)
    effective = effective_end - effective_cumulative(start, start_item)
    # The deal ended in the period when it was settled there, leaving no value (a cash flow
    # before its end — a premium, a swap's near leg — leaves the rest of its value carried).
    ended = terms.status != "live" and any(
        p.settlement is not None and p.value == 0
        for p in points
        if period_from <= p.as_of <= period_to
    )
    offset = None
    if end_item:
        offset = (Decimal(end) / Decimal(-end_item)).quantize(Decimal("0.0001"))
    return HedgeAccounting(
        terms,
        opening.value,
        closing.value,
        settled,
        change,
        effective,
        change - effective,
        effective_end if ended else 0,
        offset,
        None if offset is None else DOLLAR_OFFSET_RANGE[0] <= offset <= DOLLAR_OFFSET_RANGE[1],
    )
