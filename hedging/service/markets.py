"""Market-data and pricing use cases: store snapshots, price an instrument (with the FX risk
reserve on a client's forward purchase), value dates under the parameters in force."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hedging import accounting, pricing, repository
from hedging.dates import DEFAULT_CNH_CALENDARS, ValueDates
from hedging.market_data import snapshot_from_document
from hedging.model import (
    Combination,
    FlatMarket,
    Instrument,
    MarketSnapshot,
    PriceResult,
    reserve_applies,
    reserve_cost,
)
from treasury.accounts import repository as accounts_repository
from treasury.audit import service as audit
from treasury.calendars import default_calendars
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, NotFound, ValidationFailed
from treasury.refdata import cache as refdata_cache

RESERVE_PARAMETER = "fx.reserve_ratio_fwd_sale"
CNH_CALENDARS_PARAMETER = "fx.cnh_spot_calendars"


@dataclass(frozen=True)
class SnapshotRequest:
    """Which snapshot to price on: a stored date."""

    as_of: date


def value_dates(session: Session, on: date) -> ValueDates:
    """Value dates with the CNH calendar set in force on `on`."""
    parameter = refdata_cache.snapshot(session).parameters_in_force(on).get(CNH_CALENDARS_PARAMETER)
    chosen: tuple[str, ...] = DEFAULT_CNH_CALENDARS
    if parameter is not None and isinstance(parameter.value, list):
        chosen = tuple(str(code) for code in parameter.value)
    return ValueDates(default_calendars(), chosen)


def reserve_ratio(session: Session, on: date) -> Decimal:
    """The FX risk reserve ratio on forward FX sales in force on `on` (0 when none is loaded)."""
    parameter = refdata_cache.snapshot(session).parameters_in_force(on).get(RESERVE_PARAMETER)
    return Decimal(0) if parameter is None else parameter.decimal()


# -- snapshots -----------------------------------------------------------------------------------


def add_snapshot(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    document: dict[str, Any],
    actor: str,
    source: str = "api",
) -> MarketSnapshot:
    """Store a day's market data; one snapshot per as_of (a second → 409 CONFLICT)."""
    snapshot = snapshot_from_document(document)
    with uow:
        if repository.snapshot_exists(uow.session, tenant_id, snapshot.as_of):
            raise Conflict(f"a market snapshot of {snapshot.as_of} exists already")
        snapshot_id = new_id()
        repository.add_snapshot(
            uow.session,
            snapshot_id=snapshot_id,
            tenant_id=tenant_id,
            snapshot=snapshot,
            source=source,
            created_at=uow.clock.now(),
        )
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="market_snapshot.added",
            object_type="market_snapshot",
            object_id=snapshot_id,
            after={"as_of": snapshot.as_of.isoformat(), "source": source},
        )
        try:
            uow.commit()
        except IntegrityError as error:  # a concurrent load of the same date won
            raise Conflict(f"a market snapshot of {snapshot.as_of} exists already") from error
        return snapshot


def get_snapshot(uow: UnitOfWork, *, tenant_id: str, as_of: date) -> MarketSnapshot:
    """The tenant's snapshot of a date (404 if none)."""
    with uow:
        found = repository.snapshot_on(uow.session, tenant_id, as_of)
        if found is None:
            raise NotFound(f"no market snapshot of {as_of}")
        return found


def snapshot_dates(uow: UnitOfWork, *, tenant_id: str) -> list[date]:
    """The dates of the tenant's snapshots, newest first."""
    with uow:
        return repository.snapshot_dates(uow.session, tenant_id)


# -- pricing -------------------------------------------------------------------------------------


def price(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    instrument: Instrument,
    market: FlatMarket | SnapshotRequest,
    as_of: date,
    zero_cost: bool = False,
) -> PriceResult:
    """Price an instrument on the inline market or a stored snapshot, with the reserve breakdown;
    with `zero_cost`, a combination's sold strike is first solved to premium 0 (shown in
    `breakdown.zero_cost_strike`).

    Raises:
        NotFound: no snapshot of that date.
        InstrumentExpired, MarketDataMissing, CalendarNotLoaded: see `hedging.pricing`.
    """
    with uow:
        dates = value_dates(uow.session, as_of)
        ratio = reserve_ratio(uow.session, as_of)
        if isinstance(market, SnapshotRequest):
            snapshot = repository.snapshot_on(uow.session, tenant_id, market.as_of)
            if snapshot is None:
                raise NotFound(f"no market snapshot of {market.as_of}")
            priced_on: FlatMarket | MarketSnapshot = replace(snapshot, as_of=as_of)
        else:
            priced_on = market
    if zero_cost:
        if not isinstance(instrument, Combination):
            raise ValidationFailed("only a combination is solved to zero cost", field="solve")
        instrument = pricing.zero_cost_combination(instrument, priced_on, as_of, dates=dates)
        result = pricing.price(instrument, priced_on, as_of, dates=dates)
        breakdown = {**result.breakdown, "zero_cost_strike": str(instrument.sold.strike)}
        return replace(result, breakdown=breakdown)
    result = pricing.price(instrument, priced_on, as_of, dates=dates)
    if not reserve_applies(instrument):
        return result
    return _with_reserve(result, instrument, ratio)


def _with_reserve(result: PriceResult, instrument: Instrument, ratio: Decimal) -> PriceResult:
    """Add `reserve_cost` and the client rate for a client's forward purchase of FX."""
    years = Decimal(result.breakdown["rate_years"])
    cny_rate = Decimal(result.breakdown["domestic_zero_rate"])
    cost = reserve_cost(
        forward_rate=result.forward_rate,
        reserve_ratio=ratio,
        cny_rate=cny_rate,
        years=years,
        notional=instrument.notional.amount,
        quote_currency=instrument.pair.ledger_quote,
    )
    breakdown = {
        **result.breakdown,
        "reserve_ratio": str(ratio),
        "reserve_rate_adjustment": str(cost.rate_adjustment.quantize(pricing.FORWARD_PLACES)),
        "client_forward_rate": str(cost.client_rate.quantize(pricing.FORWARD_PLACES)),
        "reserve_cost": cost.cost.to_wire(),
    }
    return replace(result, breakdown=breakdown)


# -- hedge accounting ----------------------------------------------------------------------------


def hedge_accounting(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str, period_from: date, period_to: date
) -> list[accounting.HedgeAccounting]:
    """Per hedge of the entity valued up to `period_to`: the period's fair-value change, its
    effective and ineffective parts (cash-flow designations) and what settlement recycled.

    Raises:
        NotFound: the entity is not the tenant's.
        ValidationFailed: the period ends before it starts.
    """
    if period_to < period_from:
        raise ValidationFailed("`to` is on or after `from`", field="to")
    with uow:
        if accounts_repository.get_entity_row(uow.session, tenant_id, entity_id) is None:
            raise NotFound(f"entity {entity_id} not found")
        rows = repository.accounting_rows(uow.session, tenant_id, entity_id, period_to)
        found = []
        for hedge, valuations in rows:
            terms = accounting.HedgeTerms(
                hedge.id, hedge.entity_id, hedge.instrument_type, hedge.designation, hedge.status
            )
            points = [
                accounting.Point(v.as_of, v.npv_minor, v.hypothetical_npv_minor, v.settlement_minor)
                for v in valuations
            ]
            found.append(
                accounting.account(terms, points, period_from=period_from, period_to=period_to)
            )
        return found
