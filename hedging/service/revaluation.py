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
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from hedging import accounting, book_values, delivery, repository
from hedging.model import Combination, Instrument, MarketSnapshot, Option, Swap
from hedging.repository import BookRow
from hedging.service import premiums
from hedging.service.markets import value_dates
from hedging.staleness import Staleness, staleness
from hedging.tables import HedgeRow, RevaluationRunRow
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
UNREALISED = LedgerAccountKind.FX_RESULT_UNREALISED.value
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
    """Fair-value changes, results and settlements, aggregated per entity.

    The fair value moves against `fx_result_unrealised`; for a cash-flow designation the change of
    its effective part moves on to `hedge_reserve` (`reserve`). Settled cash leaves the derivative
    accounts (`cash`); results are realised (`realise`) when a deal ends — a designated one's
    reserve recycled — and an undesignated swap's near leg when it is paid."""

    asset: dict[str, int]
    liability: dict[str, int]
    # (entity, bank or clearing account, value > 0) → settled value; gains and losses apart,
    # since gains leave the asset account and losses the liability account.
    cash: dict[tuple[str, str, bool], int]
    reserve: dict[str, int]
    realise: dict[tuple[str, str], int]
    # Postings in another currency than CNY (a premium in the base currency through the FX
    # clearing), per entity.
    foreign: dict[str, list[Posting]]

    @classmethod
    def empty(cls) -> _Changes:
        return cls(
            defaultdict(int),
            defaultdict(int),
            defaultdict(int),
            defaultdict(int),
            defaultdict(int),
            defaultdict(list),
        )

    def revalue(self, entity: str, *, carried: int, value: int) -> None:
        self.asset[entity] += max(value, 0) - max(carried, 0)
        self.liability[entity] += min(value, 0) - min(carried, 0)

    def settle(self, entity: str, account: str, value: int) -> None:
        self.cash[(entity, account, value > 0)] += value

    def effective(self, entity: str, change: int) -> None:
        self.reserve[entity] += change

    def realised(self, entity: str, kind: str, amount: int) -> None:
        self.realise[(entity, kind)] += amount


class _Deal(Protocol):
    """What the ledger needs to know of a deal (a book row, a hedge row)."""

    @property
    def id(self) -> str: ...

    @property
    def entity_id(self) -> str: ...

    @property
    def designation(self) -> str: ...


@dataclass(frozen=True)
class _Designated:
    """A designated hedge's history before the run: cash its settlements paid, its hedged item's
    latest known value."""

    paid: int
    item: int | None


def _account_for(
    changes: _Changes,
    row: _Deal,
    history: dict[str, _Designated],
    *,
    carried: int,
    value: int,
    paid: int,
    item: int | None,
    ends: bool,
    premium: int = 0,
) -> None:
    """One deal's result: the fair value moved from `carried` to `value` with `paid` settled in
    cash today (already in `changes.cash`), and a `premium` taken in with it (a deal ending
    before its premium was: each cash flow leaves the derivative account it sat in). A
    cash-flow designation keeps the effective part of its cumulative change (value plus cash
    paid since designation) in the reserve by the lesser-of test (`hedging.accounting`), the
    rest in profit or loss; when the deal ends, the reserve is recycled and the whole result
    realised. An undesignated deal realises what it pays."""
    entity = row.entity_id
    if not paid and not premium:
        changes.revalue(entity, carried=carried, value=value)
        if row.designation != "cash_flow":
            return  # the book's usual deal: nothing more (kept short: it runs per hedge)
    else:
        # The cash paid leaves the derivative account it sat in, the rest of the value stays
        # where its own sign puts it: a swap's near leg gained while its far leg is a liability.
        changes.revalue(entity, carried=carried, value=paid)
        if premium:
            changes.revalue(entity, carried=0, value=premium)
        changes.revalue(entity, carried=0, value=value)
        paid += premium
    unrealised = UNREALISED
    if row.designation != "cash_flow":
        changes.realised(entity, unrealised, paid)
        return
    before = history.get(row.id, _Designated(0, None))
    known = before.item if item is None else item
    cumulative_before = carried + before.paid
    cumulative = value + before.paid + paid
    effective_before = accounting.effective_cumulative(cumulative_before, before.item)
    effective = accounting.effective_cumulative(cumulative, known)
    changes.effective(entity, effective - effective_before)
    if ends:
        changes.realised(entity, LedgerAccountKind.HEDGE_RESERVE.value, effective)
        changes.realised(entity, unrealised, cumulative - effective)


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
    closed = [row for row in closed if row.id in settlements]
    outcomes = _deliver(uow, tenant_id, matured, instruments, snapshot, triage)
    outcomes.update(_pay_net(uow, tenant_id, (matured, closed), instruments, settlements, triage))
    held = [
        row
        for row in [*matured, *closed]
        if row.id in outcomes and outcomes[row.id].status == delivery.HELD
    ]
    waiting = {row.id for row in held} | set(triage.reasons)
    matured = [row for row in matured if row.id not in waiting]
    closed = [row for row in closed if row.id not in waiting]
    near = book_values.near_legs(session, alive, instruments, snapshot, as_of)
    near_delivered = _deliver_near_legs(uow, tenant_id, alive, near, instruments, (triage, as_of))
    alive = [row for row in alive if row.id not in triage.reasons]
    alive_ids = {row.id for row in alive}
    ending_ids = {row.id for row in [*matured, *closed]}
    premiums_due = {
        key: due
        for key, due in repository.premiums_due(session, tenant_id, as_of).items()
        if key in alive_ids or key in ending_ids
    }
    recognised: list[str] = []
    clearing = _Accounts(uow, tenant_id)
    carried = repository.carried_values(session, tenant_id, as_of)
    designated = [
        row.id for row in [*alive, *matured, *closed, *held] if row.designation == "cash_flow"
    ]
    history = {
        key: _Designated(paid, item)
        for key, (paid, item) in repository.designated_history(session, designated, as_of).items()
    }
    changes = _Changes.empty()
    valuations: list[dict[str, object]] = []
    for row in alive:
        value, forward = values[row.id]
        paid = near.get(row.id)  # a swap's near leg settled today, its far leg still valued
        item = hypothetical.get(row.id)
        if paid is not None:
            account = _cash_account(row, near_delivered.get(row.id), clearing)
            changes.settle(row.entity_id, account, paid)
        due = premiums_due.get(row.id)
        if due is not None:
            premium = _take_premium(changes, row, due, snapshot, clearing)
            if premium is not None:
                paid = (paid or 0) + premium
                recognised.append(row.id)
        _account_for(
            changes,
            row,
            history,
            carried=carried.get(row.id, 0),
            value=value,
            paid=paid or 0,
            item=item,
            ends=False,
        )
        valuations.append(_valuation(run, row.id, value, forward, item, settled=paid))
    for row in held:  # valued at its settlement; settled when an officer approves the delivery
        value = settlements[row.id]
        _account_for(
            changes,
            row,
            history,
            carried=carried.get(row.id, 0),
            value=value,
            paid=0,
            item=None,
            ends=False,
        )
        valuations.append(_valuation(run, row.id, value, "0", None))
        repository.record_delivery(
            session,
            row.id,
            transfer_id=outcomes[row.id].transfer_id,
            status=delivery.HELD,
            delivered_minor=outcomes[row.id].delivered_minor,
            settled_minor=value,
            settled_on=as_of,
        )
    for row in [*matured, *closed]:
        value = settlements[row.id]
        outcome = outcomes.get(row.id)
        changes.settle(row.entity_id, _cash_account(row, outcome, clearing), value)
        premium = 0
        due = premiums_due.get(row.id)  # a deal ending before its premium was taken in
        if due is not None:
            taken = _take_premium(changes, row, due, snapshot, clearing)
            if taken is not None:
                premium = taken
                recognised.append(row.id)
        _account_for(
            changes,
            row,
            history,
            carried=carried.get(row.id, 0),
            value=0,
            paid=value,
            item=None,
            ends=True,
            premium=premium,
        )
        valuations.append(_valuation(run, row.id, 0, "0", None, settled=value + premium))
        if outcome is not None:
            expected = outcome.kind == delivery.RECEIPT
            repository.record_delivery(
                session,
                row.id,
                transfer_id=outcome.transfer_id,
                status=_settled_status(outcome),
                delivered_minor=outcome.delivered_minor,
                settled_minor=value if expected else None,
                settled_on=(row.closed_date or row.last_date) if expected else None,
            )
    repository.add_valuations(session, valuations)
    repository.premiums_recognised(session, recognised, as_of)
    repository.mark_hedges(session, [row.id for row in matured], status="matured", on=as_of)
    _post(uow, run.tenant_id, changes, value_date=as_of, source_id=run.id, kind="revaluation")
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
    snapshot: MarketSnapshot,
    triage: Triage,
) -> dict[str, delivery.Delivered]:
    """Deliver the matured gross deals through the pipeline (an option out of the money lapses);
    one that cannot be delivered (beyond the exposure's remainder, rejected) is set aside and
    waits; one held for review waits for the officers."""
    found: dict[str, delivery.Delivered] = {}
    for row in matured:
        instrument = instruments[row.id]
        if not delivery.is_gross(instrument):
            continue
        legs = delivery.maturity_legs(instrument, snapshot.spots[instrument.pair.code])
        kind = delivery.DELIVERY
        if isinstance(instrument, Swap):
            kind = delivery.FAR_LEG
        elif isinstance(instrument, Option | Combination):
            kind = delivery.EXERCISE
        value_date = _delivery_date(instrument)
        try:
            found[row.id] = delivery.deliver(
                uow, row, legs, tenant_id=tenant_id, kind=kind, value_date=value_date
            )
        except (TreasuryError, delivery.DeliveryNotBooked) as error:
            triage.set_aside(row.id, describe(error))
    return found


def _pay_net(
    uow: UnitOfWork,
    tenant_id: str,
    ending: tuple[list[BookRow], list[BookRow]],
    instruments: dict[str, Instrument],
    settlements: dict[str, int],
    triage: Triage,
) -> dict[str, delivery.Delivered]:
    """Pay what the matured net-settled deals and the closed-out deals owe their dealing bank
    through the pipeline; one it rejects is set aside and waits, one held for review waits for
    the officers. What they gained is expected from the dealing bank (a receipt confirmed when
    the credit arrives); a hedge naming no dealing bank has it credited to its settlement account
    by this run."""
    matured, closed = ending
    found: dict[str, delivery.Delivered] = {}
    for row in [*matured, *closed]:
        if settlements[row.id] == 0 or row.id in triage.reasons:
            continue
        if row.closed_date is None and delivery.is_gross(instruments[row.id]):
            continue
        if settlements[row.id] > 0:
            expected = delivery.expect_receipt(uow, row, tenant_id=tenant_id)
            if expected is not None:
                found[row.id] = expected
            continue
        try:
            paid = delivery.pay_net(
                uow,
                row,
                -settlements[row.id],
                tenant_id=tenant_id,
                value_date=row.closed_date or row.last_date,
            )
        except (TreasuryError, delivery.DeliveryNotBooked) as error:
            triage.set_aside(row.id, describe(error))
            continue
        if paid is not None:
            found[row.id] = paid
    return found


def _take_premium(
    changes: _Changes,
    row: BookRow,
    due: repository.PremiumDue,
    snapshot: MarketSnapshot,
    accounts: _Accounts,
) -> int | None:
    """A premium into its deal's value, as the deal's cash flow (paid: negative): a paid one
    out of the outgoing payments its transfer debited, a received one into the account the bank
    credits; one in the base currency through the FX clearing at the day's spot. Returns it in
    CNY minor units (None: no spot to convert it at, it waits)."""
    entity, pay = row.entity_id, due.direction == premiums.PAY
    amount = Money.from_minor(due.minor, due.currency)
    outgoing = LedgerAccountKind.OUTGOING_PAYMENTS.value
    if due.currency == CURRENCY:
        account = accounts.get(entity, outgoing) if pay else due.account_id
        cny = amount.minor
    else:
        spot = snapshot.spots.get(row.pair)
        if spot is None:
            return None
        cny = premiums.to_cny(amount, spot)
        account = accounts.get(entity, LedgerAccountKind.FX_CLEARING.value)
        clearing = accounts.get(entity, LedgerAccountKind.FX_CLEARING.value, due.currency)
        debit, credit = (
            (clearing, accounts.get(entity, outgoing, due.currency))
            if pay
            else (due.account_id, clearing)
        )
        changes.foreign[entity].append(
            Posting(debit_account_id=debit, credit_account_id=credit, amount=amount)
        )
    signed = -cny if pay else cny
    changes.settle(entity, account, signed)
    return signed


def _cash_account(row: BookRow, outcome: delivery.Delivered | None, clearing: _Accounts) -> str:
    """Where a settled deal's cash went: a gross delivery through the pipeline's FX clearing (the
    deal's value is the part of it beyond the market rate), a net payment to the dealing bank
    through the outgoing payments, else straight to or from the settlement account."""
    if outcome is not None and outcome.kind == delivery.RECEIPT:
        return clearing.get(row.entity_id, LedgerAccountKind.INCOMING_PAYMENTS.value)
    if outcome is None or outcome.status not in {"booked", delivery.HELD}:
        return row.settlement_account_id
    if outcome.kind == delivery.NET:
        return clearing.get(row.entity_id, LedgerAccountKind.OUTGOING_PAYMENTS.value)
    return clearing.get(row.entity_id, LedgerAccountKind.FX_CLEARING.value)


def _settled_status(outcome: delivery.Delivered) -> str:
    if outcome.kind == delivery.RECEIPT:
        return delivery.EXPECTED
    if outcome.status != "booked":
        return outcome.status
    return "paid" if outcome.kind == delivery.NET else "delivered"


def _delivery_date(instrument: Instrument) -> date:
    """When a gross deal's end delivers: its delivery date (an option's, else its expiry)."""
    if isinstance(instrument, Combination):
        instrument = instrument.legs[0]
    if isinstance(instrument, Option) and instrument.delivery_date is not None:
        return instrument.delivery_date
    return instrument.last_date


def _deliver_near_legs(
    uow: UnitOfWork,
    tenant_id: str,
    alive: list[BookRow],
    near: dict[str, int],
    instruments: dict[str, Instrument],
    run: tuple[Triage, date],
) -> dict[str, delivery.Delivered]:
    """Deliver the near legs due by the run's date of gross swaps (the far leg is the real-demand
    flow), and pay what a net swap's near leg owes its dealing bank; one the pipeline rejects is
    undone and set aside, to be settled by the next run; one it holds for review waits for the
    officers (`service.held_deliveries`) while the run settles the leg's value against the FX
    clearing (the outgoing payments) the transfer clears when it is booked. A near leg instructed
    after its date (a run caught up, an officer's rejection) is valued on the run's date: a
    payment to make, never a back-valued record of one the bank made."""
    triage, as_of = run
    delivered: dict[str, delivery.Delivered] = {}
    for row in alive:
        swap = instruments.get(row.id)
        if row.id not in near or not isinstance(swap, Swap):
            continue
        try:
            if not delivery.is_gross(swap) and near[row.id] > 0:
                expected = delivery.expect_receipt(uow, row, tenant_id=tenant_id)
                if expected is not None:  # the dealing bank owes the near leg's gain
                    delivered[row.id] = expected
                continue
            if not delivery.is_gross(swap):
                paid = delivery.pay_net(
                    uow,
                    row,
                    -near[row.id],
                    tenant_id=tenant_id,
                    value_date=max(swap.near_date, as_of),
                )
                if paid is not None:
                    delivered[row.id] = paid
                continue
            delivered[row.id] = delivery.deliver(
                uow,
                row,
                [delivery.near_leg(swap)],
                tenant_id=tenant_id,
                kind=delivery.NEAR_LEG,
                value_date=max(swap.near_date, as_of),
                counts_against_exposure=False,
            )
        except (TreasuryError, delivery.DeliveryNotBooked) as error:
            triage.set_aside(row.id, describe(error))
    for hedge_id, outcome in delivered.items():
        if outcome.transfer_id is not None or outcome.kind == delivery.RECEIPT:
            repository.record_near_leg(
                uow.session, hedge_id, transfer_id=outcome.transfer_id, status=outcome.status
            )
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


def _post(
    uow: UnitOfWork,
    tenant_id: str,
    changes: _Changes,
    *,
    value_date: date,
    source_id: str,
    kind: str,
    description: str | None = None,
) -> None:
    """One journal entry per entity with the aggregated postings."""
    by_entity: dict[str, list[Posting]] = defaultdict(list)
    accounts = _Accounts(uow, tenant_id)
    unrealised = LedgerAccountKind.FX_RESULT_UNREALISED.value
    for entity, delta in changes.asset.items():
        asset, result = accounts.get(entity, "derivative_asset"), accounts.get(entity, unrealised)
        _move(by_entity[entity], delta, increase=(asset, result))
    for entity, delta in changes.liability.items():
        liability = accounts.get(entity, "derivative_liability")
        _move(by_entity[entity], -delta, increase=(accounts.get(entity, unrealised), liability))
    for entity, delta in changes.reserve.items():
        reserve = accounts.get(entity, LedgerAccountKind.HEDGE_RESERVE.value)
        _move(by_entity[entity], delta, increase=(accounts.get(entity, unrealised), reserve))
    for (entity, bank, gain), value in changes.cash.items():
        asset = accounts.get(entity, "derivative_asset" if gain else "derivative_liability")
        _move(by_entity[entity], value, increase=(bank, asset))
    for (entity, result), amount in changes.realise.items():
        realised = accounts.get(entity, LedgerAccountKind.FX_RESULT_REALISED.value)
        _move(by_entity[entity], amount, increase=(accounts.get(entity, result), realised))
    for entity, foreign in changes.foreign.items():
        by_entity[entity].extend(foreign)
    for _entity, postings in sorted(by_entity.items()):
        if not postings:
            continue
        entry = JournalEntry(
            id=new_id(),
            value_date=value_date,
            kind=kind,
            description=description or f"hedge revaluation {value_date.isoformat()}",
            postings=tuple(postings),
            source_id=source_id,
        )
        ledger_posting.post_entry(
            uow.session,
            tenant_id=tenant_id,
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
    """The entities' internal ledger accounts (CNY unless asked), created on first use."""

    def __init__(self, uow: UnitOfWork, tenant_id: str) -> None:
        self._uow = uow
        self._tenant_id = tenant_id
        self._found: dict[tuple[str, str, str], str] = {}

    def get(self, entity_id: str, kind: str, currency: str = CURRENCY) -> str:
        key = (entity_id, kind, currency)
        if key not in self._found:
            row = ledger_repository.internal_account(
                self._uow.session,
                tenant_id=self._tenant_id,
                entity_id=entity_id,
                kind=LedgerAccountKind(kind),
                currency=currency,
                created_at=self._uow.clock.now(),
            )
            self._found[key] = row.id
        return self._found[key]


def settle_held_delivery(
    uow: UnitOfWork, hedge: HedgeRow, *, value_date: date, net: bool = False
) -> None:
    """An officer approved a held delivery (or net payment) and its transfer is booked: the deal's
    value settles through the FX clearing (the outgoing payments) its transfer used and its
    result is realised (a designation's reserve recycled), as the revaluation of its maturity
    would have done; its valuation there becomes the settlement."""
    assert hedge.settled_minor is not None
    assert hedge.settled_on is not None
    session = uow.session
    value, on = hedge.settled_minor, hedge.settled_on
    history = {
        key: _Designated(paid, item)
        for key, (paid, item) in repository.designated_history(session, [hedge.id], on).items()
    }
    changes = _Changes.empty()
    kind = LedgerAccountKind.OUTGOING_PAYMENTS if net else LedgerAccountKind.FX_CLEARING
    clearing = _Accounts(uow, hedge.tenant_id).get(hedge.entity_id, kind.value)
    changes.settle(hedge.entity_id, clearing, value)
    _account_for(changes, hedge, history, carried=value, value=0, paid=value, item=None, ends=True)
    _post(
        uow,
        hedge.tenant_id,
        changes,
        value_date=value_date,
        source_id=hedge.delivery_transfer_id or hedge.id,
        kind="hedge_settlement",
        description=f"hedge {hedge.id} delivered",
    )
    repository.settle_valuation(session, hedge.id, on, value)


def undo_near_leg(uow: UnitOfWork, hedge: HedgeRow, *, net: bool, value_date: date) -> None:
    """An officer rejected a swap's held near leg: the value its run settled against the FX
    clearing (the outgoing payments) goes back into the deal — the near leg is still due, and the
    next run instructs it again — and an undesignated deal's result is unrealised again."""
    session = uow.session
    settled = repository.near_leg_settlement(session, hedge.id)
    if settled is None:
        return
    changes = _Changes.empty()
    kind = LedgerAccountKind.OUTGOING_PAYMENTS if net else LedgerAccountKind.FX_CLEARING
    account = _Accounts(uow, hedge.tenant_id).get(hedge.entity_id, kind.value)
    # The reverse of the run's cash posting, from the derivative account it left.
    changes.cash[(hedge.entity_id, account, settled > 0)] -= settled
    if hedge.designation != "cash_flow":
        changes.realised(hedge.entity_id, UNREALISED, -settled)
    _post(
        uow,
        hedge.tenant_id,
        changes,
        value_date=value_date,
        source_id=hedge.near_transfer_id or hedge.id,
        kind="hedge_settlement",
        description=f"hedge {hedge.id} near leg rejected",
    )
    repository.unsettle_near_leg(session, hedge.id, settled)
