"""What each deal of a revaluation is worth: the live ones priced, the matured and closed ones
settled, the hedged items of designated ones. A deal that cannot be valued is set aside with the
reason (`hedging.triage`); the run values the rest.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from hedging import pricing, repository
from hedging.dates import ValueDates
from hedging.model import (
    Combination,
    Direction,
    Forward,
    Instrument,
    MarketSnapshot,
    Ndf,
    Option,
    OptionType,
    Swap,
)
from hedging.repository import BookRow
from hedging.triage import Triage, price_apart, storable_minor
from treasury.bounds import check_fx_rate
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import MarketDataMissing, TreasuryError
from treasury.failures import describe

FORWARD_CHARACTERS = 40  # hedging_valuation.forward_rate


def price_alive(
    alive: list[BookRow],
    instruments: dict[str, Instrument],
    market: MarketSnapshot,
    dates: ValueDates,
    triage: Triage,
) -> dict[str, tuple[int, str]]:
    """Each live deal's value in CNY minor units and its forward; the unvaluable set aside."""
    trades = [
        pricing.BookTrade(row.id, columns=_columns(row))
        if row.vanilla
        else pricing.BookTrade(row.id, instruments[row.id])
        for row in alive
    ]
    found: dict[str, tuple[int, str]] = {}
    for hedge_id, (npv, forward) in price_apart(trades, market, dates, triage).items():
        value, text = storable_minor(npv), f"{forward:.10f}"
        if value is None or not math.isfinite(forward) or len(text) > FORWARD_CHARACTERS:
            triage.set_aside(hedge_id, f"its value {npv} (forward {forward}) is beyond any amount")
            continue
        found[hedge_id] = (value, text)
    return found


def _columns(row: BookRow) -> pricing.VanillaColumns:
    return pricing.VanillaColumns(
        row.pair,
        row.last_date,
        row.direction,
        row.notional_minor,
        row.notional_currency,
        row.strike,
        row.option_type,
    )


def hypothetical_values(
    session: Session,
    alive: list[BookRow],
    instruments: dict[str, Instrument],
    market: MarketSnapshot,
    dates: ValueDates,
) -> dict[str, int]:
    """The hedged item of each designated hedge, as a forward at the locked rate on the hedge's
    notional and the exposure's date (long the base for a receipt, short for a payment). An item
    that cannot be valued is left without a value (the hedge itself is valued)."""
    designated = [
        row
        for row in alive
        if row.designation == "cash_flow" and row.locked_rate and _plausible(row.locked_rate)
    ]
    if not designated:
        return {}
    terms = repository.exposure_terms(session, [row.exposure_id for row in designated])
    found: dict[str, int | None] = {}
    trades: list[pricing.BookTrade] = []
    for row in designated:
        expected, direction = terms[row.exposure_id]
        item = hypothetical_forward(instruments[row.id], row.locked_rate, expected, direction)
        if expected <= market.as_of:
            found[row.id] = storable_minor(_intrinsic_forward(item, market))
        else:
            trades.append(pricing.BookTrade(row.id, item))
    priced = price_apart(trades, market, dates, Triage(), sample_every=10)
    found.update({key: storable_minor(npv) for key, (npv, _) in priced.items()})
    return {key: value for key, value in found.items() if value is not None}


def _plausible(rate: Decimal) -> bool:
    try:
        check_fx_rate(rate, "locked_rate")
    except TreasuryError:
        return False
    return True


def hypothetical_forward(
    hedge: Instrument, locked_rate: Decimal, expected: date, direction: str
) -> Forward:
    """The hypothetical derivative standing for the hedged item."""
    side = Direction.BUY if direction == "receive" else Direction.SELL
    return Forward(hedge.pair, side, hedge.notional, Decimal(locked_rate), expected)


def _intrinsic_forward(forward: Forward, snapshot: MarketSnapshot) -> Decimal:
    spot = snapshot.spots[forward.pair.code]
    return forward.direction.sign * forward.notional.amount * (spot - forward.strike)


def settlements(
    uow: UnitOfWork,
    tenant_id: str,
    ending: tuple[list[BookRow], list[BookRow]],
    instruments: dict[str, Instrument],
    markets: tuple[MarketSnapshot, ValueDates],
    triage: Triage,
) -> dict[str, int]:
    """The net settlement in CNY minor units of each matured and each closed deal (`ending`); a
    deal whose settlement cannot be computed is set aside: it stays as it is, for a later run (a
    matured deal) or a person (a closed one; the audit trail names it)."""
    snapshot, dates = markets
    matured, closed = ending
    found: dict[str, int] = {}
    for row in [*matured, *closed]:
        instrument = instruments[row.id]
        try:
            if row.closed_date is None:
                amount = _intrinsic(instrument, snapshot)
            else:
                amount = _close_out_value(uow, tenant_id, row, instrument, dates)
        except MarketDataMissing:
            raise
        except Exception as error:  # one deal's settlement never stops the others
            triage.set_aside(row.id, describe(error))
            continue
        value = storable_minor(amount)
        if value is None:
            triage.set_aside(row.id, f"its settlement {amount} is beyond any amount")
            continue
        found[row.id] = value
    return found


def near_legs(
    session: Session,
    alive: list[BookRow],
    instruments: dict[str, Instrument],
    snapshot: MarketSnapshot,
    as_of: date,
) -> dict[str, int]:
    """The near legs of live swaps that fall due by `as_of` and were not settled yet (traded
    before their date): each settled net in CNY at the snapshot's spot, in minor units."""
    due = [
        row.id
        for row in alive
        if isinstance(swap := instruments.get(row.id), Swap) and swap.near_date <= as_of
    ]
    found: dict[str, int] = {}
    for hedge_id, (traded, settled) in repository.near_legs_settled(session, due).items():
        swap = instruments[hedge_id]
        assert isinstance(swap, Swap)
        if settled or traded >= swap.near_date:
            continue
        spot = snapshot.spots.get(swap.pair.code)
        if spot is None:
            raise MarketDataMissing(f"the snapshot of {snapshot.as_of} has no {swap.pair.code}")
        amount = swap.direction.sign * swap.notional.amount * (spot - swap.near_rate)
        value = storable_minor(amount)
        if value is not None:
            found[hedge_id] = value
    return found


def _intrinsic(instrument: Instrument, snapshot: MarketSnapshot) -> Decimal:
    """The net settlement of a deal at its end, in CNY, at the snapshot's spot (a combination:
    its legs')."""
    spot = snapshot.spots.get(instrument.pair.code)
    if spot is None:
        raise MarketDataMissing(f"the snapshot of {snapshot.as_of} has no {instrument.pair.code}")
    if isinstance(instrument, Combination):
        return sum((_intrinsic(leg, snapshot) for leg in instrument.legs), Decimal(0))
    amount = instrument.notional.amount * instrument.direction.sign
    if isinstance(instrument, Forward | Ndf):
        return amount * (spot - instrument.strike)
    if isinstance(instrument, Swap):
        return -amount * (spot - instrument.far_rate)
    assert isinstance(instrument, Option)
    payoff = spot - instrument.strike
    if instrument.option_type is OptionType.PUT:
        payoff = -payoff
    return amount * max(payoff, Decimal(0))


def _close_out_value(
    uow: UnitOfWork,
    tenant_id: str,
    row: BookRow,
    instrument: Instrument,
    dates: ValueDates,
) -> Decimal:
    """The value on the close-out date, from the latest snapshot on or before it."""
    assert row.closed_date is not None
    snapshot = repository.latest_snapshot(uow.session, tenant_id, row.closed_date)
    if snapshot is None:
        raise MarketDataMissing(f"no market snapshot on or before {row.closed_date}")
    market = replace(snapshot, as_of=row.closed_date)
    return pricing.price(instrument, market, row.closed_date, dates=dates).npv_exact
