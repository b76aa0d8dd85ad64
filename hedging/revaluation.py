"""The daily revaluation: every live hedge valued from the latest snapshot, valuations stored, the
change in value posted to each entity's ledger, matured and closed deals settled in CNY.

Run key (tenant, as_of): a re-run returns the stored run and posts nothing; a date before the
latest run is refused (missed dates are caught up in order). The whole run is one unit of work: a
run killed half-way leaves nothing.

Postings (CNY, aggregated per entity): the fair value sits in `derivative_asset` (positive values)
or `derivative_liability` (negative), against `fx_result_unrealised` — or `hedge_reserve` for a
designated cash-flow hedge. Valuations are rounded first and the change between rounded values is
posted, so rounding never accumulates. At settlement the value moves to the bank account and the
accumulated result to `fx_result_realised`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hedging import pricing, repository
from hedging.dates import ValueDates
from hedging.instruments import instrument_from_document
from hedging.model import (
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
from hedging.service import value_dates
from hedging.tables import RevaluationRunRow
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, MarketDataMissing
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Money

Progress = Callable[[str, int, int], None]
CURRENCY = "CNY"


@dataclass(frozen=True)
class RevaluationRun:
    """A revaluation of one date: how many hedges, their total value, and whether it was new."""

    id: str
    as_of: date
    snapshot_as_of: date
    count: int
    settled: int
    npv_total: Money
    status: str
    replayed: bool


def _run(row: RevaluationRunRow, *, replayed: bool) -> RevaluationRun:
    return RevaluationRun(
        id=row.id,
        as_of=row.as_of,
        snapshot_as_of=row.snapshot_as_of,
        count=row.count,
        settled=row.settled,
        npv_total=Money.from_minor(row.npv_total_minor, CURRENCY),
        status=row.status,
        replayed=replayed,
    )


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass
class _Changes:
    """Fair-value changes and settlements, aggregated per entity."""

    asset: dict[tuple[str, str], int]
    liability: dict[tuple[str, str], int]
    # (entity, result kind, bank account, value > 0) → settled value; gains and losses apart,
    # since gains leave the asset account and losses the liability account.
    cash: dict[tuple[str, str, str, bool], int]

    @classmethod
    def empty(cls) -> _Changes:
        return cls(defaultdict(int), defaultdict(int), defaultdict(int))

    def revalue(self, entity: str, result: str, *, carried: int, value: int) -> None:
        self.asset[(entity, result)] += max(value, 0) - max(carried, 0)
        self.liability[(entity, result)] += min(value, 0) - min(carried, 0)

    def settle(self, entity: str, result: str, account: str, value: int) -> None:
        self.cash[(entity, result, account, value > 0)] += value


def revalue(
    uow: UnitOfWork, *, tenant_id: str, as_of: date, progress: Progress | None = None
) -> RevaluationRun:
    """Revalue the tenant's book on `as_of` (idempotent per date).

    Raises:
        Conflict: a later date has been revalued already.
        MarketDataMissing: no snapshot on or before `as_of`, or it lacks what a hedge needs.
    """
    report = progress or _no_progress
    with uow:
        session = uow.session
        existing = repository.get_run(session, tenant_id, as_of)
        if existing is not None:
            return _run(existing, replayed=True)
        latest = repository.latest_run(session, tenant_id)
        if latest is not None and latest.as_of > as_of:
            raise Conflict(f"revaluation of {latest.as_of} exists; {as_of} comes before it")
        snapshot = repository.latest_snapshot(session, tenant_id, as_of)
        if snapshot is None:
            raise MarketDataMissing(f"no market snapshot on or before {as_of}")
        run = RevaluationRunRow(
            id=new_id(),
            tenant_id=tenant_id,
            as_of=as_of,
            snapshot_as_of=snapshot.as_of,
            status="running",
            count=0,
            settled=0,
            npv_total_minor=0,
            created_at=uow.clock.now(),
        )
        session.add(run)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            found = repository.get_run(session, tenant_id, as_of)
            if found is None:
                raise
            return _run(found, replayed=True)
        _revalue_book(uow, run, snapshot, None if latest is None else latest.as_of, report)
        uow.commit()
        return _run(run, replayed=False)


def _revalue_book(
    uow: UnitOfWork,
    run: RevaluationRunRow,
    snapshot: MarketSnapshot,
    previous: date | None,
    report: Progress,
) -> None:
    session = uow.session
    tenant_id, as_of = run.tenant_id, run.as_of
    book = repository.live_book(session, tenant_id, as_of)
    report("load", len(book), len(book))
    alive = [row for row in book if row.last_date > as_of]
    matured = [row for row in book if row.last_date <= as_of]
    closed = repository.closed_between(session, tenant_id, previous, as_of)
    designated = [row for row in alive if row.designation == "cash_flow"]
    needed = [*matured, *closed, *designated, *(row for row in alive if not row.vanilla)]
    documents = repository.instrument_documents(session, [row.id for row in needed])
    instruments = {
        hedge_id: instrument_from_document(json.loads(text)) for hedge_id, text in documents.items()
    }
    dates = value_dates(session, as_of)
    market = replace(snapshot, as_of=as_of)
    values = _price_alive(alive, instruments, market, dates)
    report("price", len(alive), len(book))
    hypothetical = _hypothetical_values(session, alive, instruments, market, dates)
    settlements = {row.id: _intrinsic(instruments[row.id], snapshot) for row in matured}
    for row in closed:
        settlements[row.id] = _close_out_value(uow, tenant_id, row, instruments[row.id], dates)
    carried = repository.carried_values(session, tenant_id, as_of)
    changes = _Changes.empty()
    valuations: list[dict[str, object]] = []
    for row in alive:
        value, forward = values[row.id]
        kind = _result_kind(row)
        changes.revalue(row.entity_id, kind, carried=carried.get(row.id, 0), value=value)
        valuations.append(_valuation(run, row.id, value, forward, hypothetical.get(row.id)))
    for row in [*matured, *closed]:
        value = settlements[row.id]
        kind = _result_kind(row)
        changes.revalue(row.entity_id, kind, carried=carried.get(row.id, 0), value=value)
        changes.settle(row.entity_id, kind, row.settlement_account_id, value)
        valuations.append(_valuation(run, row.id, 0, "0", None))
    repository.add_valuations(session, valuations)
    repository.mark_hedges(session, [row.id for row in matured], status="matured", on=as_of)
    _post(uow, run, changes)
    report("post", len(book), len(book))
    run.count = len(alive)
    run.settled = len(matured) + len(closed)
    run.npv_total_minor = sum(values[row.id][0] for row in alive)
    run.status = "completed"
    session.flush()


def _result_kind(row: BookRow) -> str:
    if row.designation == "cash_flow":
        return LedgerAccountKind.HEDGE_RESERVE.value
    return LedgerAccountKind.FX_RESULT_UNREALISED.value


def _valuation(
    run: RevaluationRunRow, hedge_id: str, value: int, forward: str, hypothetical: int | None
) -> dict[str, object]:
    return {
        "tenant_id": run.tenant_id,
        "hedge_id": hedge_id,
        "run_id": run.id,
        "as_of": run.as_of,
        "npv_minor": value,
        "currency": CURRENCY,
        "forward_rate": forward,
        "hypothetical_npv_minor": hypothetical,
    }


def _minor(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN).scaleb(2))


def _price_alive(
    alive: list[BookRow],
    instruments: dict[str, Instrument],
    market: MarketSnapshot,
    dates: ValueDates,
) -> dict[str, tuple[int, str]]:
    trades = [
        pricing.BookTrade(row.id, columns=_columns(row))
        if row.vanilla
        else pricing.BookTrade(row.id, instruments[row.id])
        for row in alive
    ]
    priced = pricing.price_book(trades, market, market.as_of, dates=dates)
    return {
        trade.id: (_minor(npv), f"{forward:.10f}")
        for trade, npv, forward in zip(trades, priced.npv, priced.forward_rate, strict=True)
    }


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


def _hypothetical_values(
    session: Session,
    alive: list[BookRow],
    instruments: dict[str, Instrument],
    market: MarketSnapshot,
    dates: ValueDates,
) -> dict[str, int]:
    """The hedged item of each designated hedge, as a forward at the locked rate on the hedge's
    notional and the exposure's date (long the base for a receipt, short for a payment)."""
    designated = [row for row in alive if row.designation == "cash_flow" and row.locked_rate]
    if not designated:
        return {}
    terms = repository.exposure_terms(session, [row.exposure_id for row in designated])
    found: dict[str, int] = {}
    trades: list[pricing.BookTrade] = []
    for row in designated:
        expected, direction = terms[row.exposure_id]
        item = hypothetical_forward(instruments[row.id], row.locked_rate, expected, direction)
        if expected <= market.as_of:
            found[row.id] = _minor(_intrinsic_forward(item, market))
        else:
            trades.append(pricing.BookTrade(row.id, item))
    if trades:
        priced = pricing.price_book(trades, market, market.as_of, dates=dates, sample_every=10)
        found.update({t.id: _minor(v) for t, v in zip(trades, priced.npv, strict=True)})
    return found


def hypothetical_forward(
    hedge: Instrument, locked_rate: Decimal, expected: date, direction: str
) -> Forward:
    """The hypothetical derivative standing for the hedged item."""
    side = Direction.BUY if direction == "receive" else Direction.SELL
    return Forward(hedge.pair, side, hedge.notional, Decimal(locked_rate), expected)


def _intrinsic_forward(forward: Forward, snapshot: MarketSnapshot) -> Decimal:
    spot = snapshot.spots[forward.pair.code]
    return forward.direction.sign * forward.notional.amount * (spot - forward.strike)


def _intrinsic(instrument: Instrument, snapshot: MarketSnapshot) -> int:
    """The net settlement of a deal at its end, in CNY, at the snapshot's spot."""
    spot = snapshot.spots.get(instrument.pair.code)
    if spot is None:
        raise MarketDataMissing(f"the snapshot of {snapshot.as_of} has no {instrument.pair.code}")
    amount = instrument.notional.amount * instrument.direction.sign
    if isinstance(instrument, Forward | Ndf):
        return _minor(amount * (spot - instrument.strike))
    if isinstance(instrument, Swap):
        return _minor(-amount * (spot - instrument.far_rate))
    assert isinstance(instrument, Option)
    payoff = spot - instrument.strike
    if instrument.option_type is OptionType.PUT:
        payoff = -payoff
    return _minor(amount * max(payoff, Decimal(0)))


def _close_out_value(
    uow: UnitOfWork,
    tenant_id: str,
    row: BookRow,
    instrument: Instrument,
    dates: ValueDates,
) -> int:
    """The value on the close-out date, from the latest snapshot on or before it."""
    assert row.closed_date is not None
    snapshot = repository.latest_snapshot(uow.session, tenant_id, row.closed_date)
    if snapshot is None:
        raise MarketDataMissing(f"no market snapshot on or before {row.closed_date}")
    market = replace(snapshot, as_of=row.closed_date)
    return _minor(pricing.price(instrument, market, row.closed_date, dates=dates).npv_exact)


def _post(uow: UnitOfWork, run: RevaluationRunRow, changes: _Changes) -> None:
    """One journal entry per entity with the aggregated postings."""
    by_entity: dict[str, list[Posting]] = defaultdict(list)
    accounts = _Accounts(uow, run.tenant_id)
    for (entity, kind), delta in changes.asset.items():
        asset, result = accounts.get(entity, "derivative_asset"), accounts.get(entity, kind)
        _move(by_entity[entity], delta, increase=(asset, result))
    for (entity, kind), delta in changes.liability.items():
        liability = accounts.get(entity, "derivative_liability")
        _move(by_entity[entity], -delta, increase=(accounts.get(entity, kind), liability))
    for (entity, kind, bank, gain), value in changes.cash.items():
        asset = accounts.get(entity, "derivative_asset" if gain else "derivative_liability")
        _move(by_entity[entity], value, increase=(bank, asset))
        realised = accounts.get(entity, LedgerAccountKind.FX_RESULT_REALISED.value)
        _move(by_entity[entity], value, increase=(accounts.get(entity, kind), realised))
    for _entity, postings in sorted(by_entity.items()):
        if not postings:
            continue
        entry = JournalEntry(
            id=new_id(),
            value_date=run.as_of,
            kind="revaluation",
            description=f"hedge revaluation {run.as_of.isoformat()}",
            postings=tuple(postings),
            source_id=run.id,
        )
        ledger_posting.post_entry(
            uow.session,
            tenant_id=run.tenant_id,
            entry=entry,
            posted_at=uow.clock.now(),
            enforce_limits=False,
        )


def _move(postings: list[Posting], amount_minor: int, *, increase: tuple[str, str]) -> None:
    """`amount_minor` > 0 debits the first account and credits the second; < 0 the reverse."""
    if amount_minor == 0:
        return
    debit, credit = increase if amount_minor > 0 else (increase[1], increase[0])
    postings.append(
        Posting(
            debit_account_id=debit,
            credit_account_id=credit,
            amount=Money.from_minor(abs(amount_minor), CURRENCY),
        )
    )


class _Accounts:
    """The entities' internal CNY ledger accounts, created on first use."""

    def __init__(self, uow: UnitOfWork, tenant_id: str) -> None:
        self._uow = uow
        self._tenant_id = tenant_id
        self._found: dict[tuple[str, str], str] = {}

    def get(self, entity_id: str, kind: str) -> str:
        key = (entity_id, kind)
        if key not in self._found:
            row = ledger_repository.internal_account(
                self._uow.session,
                tenant_id=self._tenant_id,
                entity_id=entity_id,
                kind=LedgerAccountKind(kind),
                currency=CURRENCY,
                created_at=self._uow.clock.now(),
            )
            self._found[key] = row.id
        return self._found[key]


def latest_valuation_date(uow: UnitOfWork, *, tenant_id: str) -> date | None:
    """The latest revalued date of the tenant."""
    with uow:
        run = repository.latest_run(uow.session, tenant_id)
        return None if run is None else run.as_of
