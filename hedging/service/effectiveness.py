"""Hedge effectiveness of designated relationships, and a hedge's valuation on a date.

The hedged item is valued as a hypothetical derivative: a forward at the rate locked at
designation, on the hedge's notional, for the exposure's date. Over the stored history:
- dollar offset: −ΔV_hedge / ΔV_item, cumulative since the first valuation, within 80–125 %;
- regression of the hedge's period changes on the item's: R² ≥ 0.8, slope in [−1.25, −0.8], at
  least 8 observations (`hedge.effectiveness_min_observations`).
Until a test has what it needs (two valuations and a moving item for the offset, the minimum
number of observations for the regression) it judges nothing: `effective` is None and its verdict
`not_enough_observations`, never a premature "ineffective".
The maths is plain Decimal, so a constructed history gives an exact, known answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from hedging import pricing, repository
from hedging.instruments import instrument_from_document
from hedging.model import Greeks
from hedging.service.markets import value_dates
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import HedgeNotDesignated, MarketDataMissing, NotFound
from treasury.money import Money
from treasury.refdata import cache as refdata_cache

DOLLAR_OFFSET_LOW, DOLLAR_OFFSET_HIGH = Decimal("0.8"), Decimal("1.25")
MIN_R_SQUARED = Decimal("0.8")
SLOPE_LOW, SLOPE_HIGH = Decimal("-1.25"), Decimal("-0.8")
MIN_OBSERVATIONS_PARAMETER = "hedge.effectiveness_min_observations"
DEFAULT_MIN_OBSERVATIONS = 8


class Verdict(StrEnum):
    """What a test can say: a judgement needs enough observations first."""

    EFFECTIVE = "effective"
    INEFFECTIVE = "ineffective"
    NOT_ENOUGH_OBSERVATIONS = "not_enough_observations"


def verdict_of(effective: bool | None) -> Verdict:
    """None (no judgement yet) is `not_enough_observations`."""
    if effective is None:
        return Verdict.NOT_ENOUGH_OBSERVATIONS
    return Verdict.EFFECTIVE if effective else Verdict.INEFFECTIVE


@dataclass(frozen=True)
class DollarOffset:
    """Cumulative changes and their ratio; `effective` is None until there are two valuations
    and the hedged item has moved (nothing to offset yet)."""

    hedge_change: Decimal
    item_change: Decimal
    ratio: Decimal | None
    effective: bool | None


@dataclass(frozen=True)
class Regression:
    """Least squares of the hedge's period changes (y) on the item's (x); `effective` is None
    while there are fewer observations than `observations_needed`."""

    observations: int
    slope: Decimal | None
    intercept: Decimal | None
    r_squared: Decimal | None
    effective: bool | None
    observations_needed: int = DEFAULT_MIN_OBSERVATIONS


def dollar_offset(hedge: list[Decimal], item: list[Decimal]) -> DollarOffset:
    """−(last − first of the hedge) / (last − first of the item); effective within 80–125 %."""
    if len(hedge) < 2:
        return DollarOffset(Decimal(0), Decimal(0), None, None)
    hedge_change, item_change = hedge[-1] - hedge[0], item[-1] - item[0]
    if item_change == 0:
        return DollarOffset(hedge_change, item_change, None, None)
    ratio = -hedge_change / item_change
    return DollarOffset(
        hedge_change, item_change, ratio, DOLLAR_OFFSET_LOW <= ratio <= DOLLAR_OFFSET_HIGH
    )


def regression(hedge: list[Decimal], item: list[Decimal], minimum: int) -> Regression:
    """Regress period changes of the hedge on those of the item."""
    ys = [b - a for a, b in pairwise(hedge)]
    xs = [b - a for a, b in pairwise(item)]
    n = len(xs)
    if n < 2:
        return Regression(n, None, None, None, None if n < minimum else False, minimum)
    zero = Decimal(0)
    mean_x, mean_y = sum(xs, zero) / n, sum(ys, zero) / n
    sxx = sum(((x - mean_x) ** 2 for x in xs), zero)
    syy = sum(((y - mean_y) ** 2 for y in ys), zero)
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), zero)
    if sxx == 0 or syy == 0:
        return Regression(n, None, None, None, None if n < minimum else False, minimum)
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    r_squared = sxy * sxy / (sxx * syy)
    effective = r_squared >= MIN_R_SQUARED and SLOPE_LOW <= slope <= SLOPE_HIGH
    return Regression(n, slope, intercept, r_squared, effective if n >= minimum else None, minimum)


@dataclass(frozen=True)
class Effectiveness:
    """The assessment of one designated hedge over its stored history."""

    hedge_id: str
    designation: str
    locked_rate: Decimal | None
    history: list[tuple[date, Money, Money]]
    dollar_offset: DollarOffset
    regression: Regression
    effective: bool | None


def assess(uow: UnitOfWork, *, tenant_id: str, hedge_id: str) -> Effectiveness:
    """Dollar offset and regression over the hedge's stored valuations.

    Raises:
        NotFound: no such hedge.
        HedgeNotDesignated: the hedge is not designated as a cash-flow hedge.
    """
    with uow:
        row = repository.get_hedge(uow.session, tenant_id, hedge_id)
        if row is None:
            raise NotFound(f"hedge {hedge_id} not found")
        if row.designation != "cash_flow":
            raise HedgeNotDesignated(f"hedge {hedge_id} is not designated in a hedge relationship")
        history = [
            (v.as_of, Decimal(v.npv_minor).scaleb(-2), Decimal(v.hypothetical_npv_minor).scaleb(-2))
            for v in repository.valuation_history(uow.session, hedge_id)
            if v.hypothetical_npv_minor is not None
        ]
        parameters = refdata_cache.snapshot(uow.session).parameters_in_force(row.trade_date)
        found = parameters.get(MIN_OBSERVATIONS_PARAMETER)
        minimum = DEFAULT_MIN_OBSERVATIONS if found is None else int(found.decimal())
        designation, locked_rate = row.designation, row.locked_rate
    hedge_values = [h for _, h, _ in history]
    item_values = [i for _, _, i in history]
    offset = dollar_offset(hedge_values, item_values)
    fitted = regression(hedge_values, item_values, minimum)
    return Effectiveness(
        hedge_id=hedge_id,
        designation=designation,
        locked_rate=locked_rate,
        history=[(d, Money.of(h, "CNY"), Money.of(i, "CNY")) for d, h, i in history],
        dollar_offset=offset,
        regression=fitted,
        effective=_both(offset.effective, fitted.effective),
    )


def _both(first: bool | None, second: bool | None) -> bool | None:
    """Ineffective as soon as one test fails; effective when both pass; else not yet known."""
    if first is False or second is False:
        return False
    if first is None or second is None:
        return None
    return True


@dataclass(frozen=True)
class Valuation:
    """A hedge's value on a date, from the latest snapshot on or before it."""

    hedge_id: str
    as_of: date
    snapshot_as_of: date
    npv: Money
    forward_rate: Decimal
    greeks: Greeks | None
    stored_npv: Money | None
    pair: str


def valuation(uow: UnitOfWork, *, tenant_id: str, hedge_id: str, as_of: date) -> Valuation:
    """Price a hedge on `as_of` (with Greeks for options), beside the stored valuation if any.

    Raises:
        NotFound: no such hedge.
        MarketDataMissing: no snapshot on or before `as_of`.
        InstrumentExpired: the hedge ended on or before `as_of`.
    """
    with uow:
        row = repository.get_hedge(uow.session, tenant_id, hedge_id)
        if row is None:
            raise NotFound(f"hedge {hedge_id} not found")
        snapshot = repository.latest_snapshot(uow.session, tenant_id, as_of)
        if snapshot is None:
            raise MarketDataMissing(f"no market snapshot on or before {as_of}")
        dates = value_dates(uow.session, as_of)
        stored = repository.valuation_on(uow.session, hedge_id, as_of)
        stored_npv = None if stored is None else Money.from_minor(stored.npv_minor, stored.currency)
        instrument = instrument_from_document(json.loads(row.instrument_json))
    result = pricing.price(instrument, replace(snapshot, as_of=as_of), as_of, dates=dates)
    return Valuation(
        hedge_id=hedge_id,
        as_of=as_of,
        snapshot_as_of=snapshot.as_of,
        npv=result.npv,
        forward_rate=result.forward_rate,
        greeks=result.greeks,
        stored_npv=stored_npv,
        pair=instrument.pair.code,
    )
