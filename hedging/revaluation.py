"""The daily revaluation: every live hedge valued from the latest snapshot, valuations stored, the
change in value posted to each entity's ledger, matured and closed deals settled in CNY.

Run key (tenant, as_of): a re-run returns the stored run and posts nothing; a date before the
latest run is refused (missed dates are caught up in order). The whole run is one unit of work: a
run killed half-way leaves nothing. A deal that cannot be valued (say a strike of 1E+30 stored
before the bounds at the door) is set aside with its reason (`hedging.triage`): the run values the
rest and is `partial`, and the audit trail names what it set aside.

Postings (CNY, aggregated per entity): the fair value sits in `derivative_asset` (positive values)
or `derivative_liability` (negative), against `fx_result_unrealised` — or `hedge_reserve` for a
designated cash-flow hedge. Valuations are rounded first and the change between rounded values is
posted, so rounding never accumulates. At settlement the value moves to the bank account and the
accumulated result to `fx_result_realised`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.exc import IntegrityError

from hedging import book_values, delivery, repository
from hedging.model import Forward, Instrument, MarketSnapshot
from hedging.repository import BookRow
from hedging.service import value_dates
from hedging.staleness import Staleness, staleness
from hedging.tables import RevaluationRunRow
from hedging.triage import Triage
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, MarketDataMissing, MarketDataStale, TreasuryError
from treasury.failures import describe
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Money

Progress = Callable[[str, int, int], None]
CURRENCY = "CNY"
MAX_LISTED = 1000  # deals set aside named in one audit event (all are counted)
logger = logging.getLogger("treasury.hedging")


@dataclass(frozen=True)
class SetAside:
    """A deal a run could not value or settle, and why."""

    hedge_id: str
    reason: str


@dataclass(frozen=True)
class RevaluationRun:
    """A revaluation of one date: how many hedges, their total value, and whether it was new.

    `status` is `partial` when deals were set aside; `set_aside` lists them on the run that made
    the decision (a replay shows the status; the audit trail keeps the list)."""

    id: str
    as_of: date
    snapshot_as_of: date
    count: int
    settled: int
    npv_total: Money
    status: str
    replayed: bool
    set_aside: tuple[SetAside, ...] = ()
    market_data: Staleness | None = None


def _run(
    row: RevaluationRunRow,
    *,
    replayed: bool,
    set_aside: tuple[SetAside, ...] = (),
    market_data: Staleness | None = None,
) -> RevaluationRun:
    return RevaluationRun(
        id=row.id,
        as_of=row.as_of,
        snapshot_as_of=row.snapshot_as_of,
        count=row.count,
        settled=row.settled,
        npv_total=Money.from_minor(row.npv_total_minor, CURRENCY),
        status=row.status,
        replayed=replayed,
        set_aside=set_aside,
        market_data=market_data,
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
        MarketDataStale: the snapshot is older than the limit and the tenant refuses stale runs
            (a tenant that flags them gets the run with `market_data.stale`, and an audit event).
    """
    report = progress or _no_progress
    with uow:
        session = uow.session
        existing = repository.get_run(session, tenant_id, as_of)
        if existing is not None:
            age = staleness(session, tenant_id, snapshot_as_of=existing.snapshot_as_of, as_of=as_of)
            return _run(existing, replayed=True, market_data=age)
        latest = repository.latest_run(session, tenant_id)
        if latest is not None and latest.as_of > as_of:
            raise Conflict(f"revaluation of {latest.as_of} exists; {as_of} comes before it")
        snapshot = repository.latest_snapshot(session, tenant_id, as_of)
        if snapshot is None:
            raise MarketDataMissing(f"no market snapshot on or before {as_of}")
        age = staleness(session, tenant_id, snapshot_as_of=snapshot.as_of, as_of=as_of)
        if age.refused:
            raise MarketDataStale(
                f"the latest snapshot ({snapshot.as_of}) is {age.age_business_days} business "
                f"days before {as_of}; at most {age.limit_business_days} are accepted",
                snapshot_as_of=snapshot.as_of.isoformat(),
            )
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
        previous = None if latest is None else latest.as_of
        set_aside = _revalue_book(uow, run, snapshot, previous, report)
        if age.stale:
            _record_stale(uow, run, age)
        uow.commit()
        return _run(run, replayed=False, set_aside=set_aside, market_data=age)


def _record_stale(uow: UnitOfWork, run: RevaluationRunRow, age: Staleness) -> None:
    """A run on stale market data, named in the log and the audit trail."""
    logger.warning(
        "revaluation of %s for tenant %s on a snapshot of %s (%d business days old)",
        run.as_of,
        run.tenant_id,
        run.snapshot_as_of,
        age.age_business_days,
    )
    audit.record(
        uow,
        tenant_id=run.tenant_id,
        actor="revaluation",
        action="hedging.market_data_stale",
        object_type="revaluation_run",
        object_id=run.id,
        after={
            "as_of": run.as_of.isoformat(),
            "snapshot_as_of": run.snapshot_as_of.isoformat(),
            "age_business_days": age.age_business_days,
            "limit_business_days": age.limit_business_days,
        },
    )


def _revalue_book(
    uow: UnitOfWork,
    run: RevaluationRunRow,
    snapshot: MarketSnapshot,
    previous: date | None,
    report: Progress,
) -> tuple[SetAside, ...]:
    """Value, settle and post the book; returns the deals set aside."""
    session = uow.session
    tenant_id, as_of = run.tenant_id, run.as_of
    book = repository.live_book(session, tenant_id, as_of)
    report("load", len(book), len(book))
    triage = Triage()
    closed = repository.closed_between(session, tenant_id, previous, as_of)
    needed = {row.id for row in [*book, *closed] if _needs_document(row, as_of)}
    instruments = triage.instruments(repository.instrument_documents(session, sorted(needed)))
    book = triage.usable(book, instruments, needed)
    closed = triage.usable(closed, instruments, needed)
    dates = value_dates(session, as_of)
    market = replace(snapshot, as_of=as_of)
    alive = [row for row in book if row.last_date > as_of]
    values = book_values.price_alive(alive, instruments, market, dates, triage)
    report("price", len(alive), len(book))
    alive = [row for row in alive if row.id in values]
    hypothetical = book_values.hypothetical_values(session, alive, instruments, market, dates)
    matured = [row for row in book if row.last_date <= as_of]
    settlements = book_values.settlements(
        uow, tenant_id, (matured, closed), instruments, (snapshot, dates), triage
    )
    matured = [row for row in matured if row.id in settlements]
    delivered = _deliver(uow, tenant_id, matured, instruments, triage)
    matured = [row for row in matured if row.id not in triage.reasons]
    closed = [row for row in closed if row.id in settlements]
    clearing = _Accounts(uow, tenant_id)
    carried = repository.carried_values(session, tenant_id, as_of)
    changes = _Changes.empty()
    valuations: list[dict[str, object]] = []
    near = book_values.near_legs(session, alive, instruments, snapshot, as_of)
    for row in alive:
        value, forward = values[row.id]
        kind = _result_kind(row)
        paid = near.get(row.id)  # a swap's near leg settled today, its far leg still valued
        changes.revalue(
            row.entity_id, kind, carried=carried.get(row.id, 0), value=value + (paid or 0)
        )
        if paid is not None:
            changes.settle(row.entity_id, kind, row.settlement_account_id, paid)
        valuations.append(
            _valuation(run, row.id, value, forward, hypothetical.get(row.id), settled=paid)
        )
    for row in [*matured, *closed]:
        value = settlements[row.id]
        kind = _result_kind(row)
        changes.revalue(row.entity_id, kind, carried=carried.get(row.id, 0), value=value)
        # A gross delivery moved the cash through the pipeline's FX clearing; the deal's value
        # is the part of it beyond the market rate.
        account = (
            clearing.get(row.entity_id, LedgerAccountKind.FX_CLEARING.value)
            if row.id in delivered
            else row.settlement_account_id
        )
        changes.settle(row.entity_id, kind, account, value)
        valuations.append(_valuation(run, row.id, 0, "0", None, settled=value))
    repository.add_valuations(session, valuations)
    repository.mark_hedges(session, [row.id for row in matured], status="matured", on=as_of)
    _post(uow, run, changes)
    report("post", len(book), len(book))
    run.count = len(alive)
    run.settled = len(matured) + len(closed)
    run.npv_total_minor = sum(values[row.id][0] for row in alive)
    run.status = _record_set_aside(uow, run, triage)
    session.flush()
    return tuple(SetAside(key, value) for key, value in triage.reasons.items())


def _deliver(
    uow: UnitOfWork,
    tenant_id: str,
    matured: list[BookRow],
    instruments: dict[str, Instrument],
    triage: Triage,
) -> set[str]:
    """Deliver the matured gross forwards through the pipeline; one that cannot be delivered
    (beyond the exposure's remainder, held or rejected) is set aside and waits."""
    delivered = set()
    for row in matured:
        instrument = instruments[row.id]
        if not isinstance(instrument, Forward) or not delivery.is_gross(instrument):
            continue
        try:
            delivery.deliver(uow, row, instrument, tenant_id=tenant_id)
        except (TreasuryError, delivery.DeliveryNotBooked) as error:
            triage.set_aside(row.id, describe(error))
            continue
        delivered.add(row.id)
    return delivered


def _needs_document(row: BookRow, as_of: date) -> bool:
    """Settlement, the hedged item and non-vanilla pricing read the deal's document."""
    return (
        row.last_date <= as_of
        or row.closed_date is not None
        or row.designation == "cash_flow"
        or not row.vanilla
    )


def _record_set_aside(uow: UnitOfWork, run: RevaluationRunRow, triage: Triage) -> str:
    """The run's status: `partial` when deals were set aside, listed in the audit trail and the
    log (they keep their last value until they can be valued again)."""
    if not triage.reasons:
        return "completed"
    skipped = [{"hedge_id": key, "reason": value} for key, value in triage.reasons.items()]
    logger.warning(
        "revaluation of %s for tenant %s set %d hedges aside: %s",
        run.as_of,
        run.tenant_id,
        len(skipped),
        skipped[:MAX_LISTED],
    )
    audit.record(
        uow,
        tenant_id=run.tenant_id,
        actor="revaluation",
        action="hedging.revaluation_partial",
        object_type="revaluation_run",
        object_id=run.id,
        after={
            "as_of": run.as_of.isoformat(),
            "set_aside": len(skipped),
            "hedges": skipped[:MAX_LISTED],
        },
    )
    return "partial"


def _result_kind(row: BookRow) -> str:
    if row.designation == "cash_flow":
        return LedgerAccountKind.HEDGE_RESERVE.value
    return LedgerAccountKind.FX_RESULT_UNREALISED.value


def _valuation(
    run: RevaluationRunRow,
    hedge_id: str,
    value: int,
    forward: str,
    hypothetical: int | None,
    *,
    settled: int | None = None,
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
        "settlement_minor": settled,
    }


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
