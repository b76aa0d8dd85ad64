"""Posting a planned run, in the order that keeps the master funded: cross-border inflows through
the pipeline, the sweep entry of the residents' legs, cross-border outflows, then the loans of
the cross-border legs (and of held legs approved since the last run) in a second entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from pooling import legs as pool_legs
from pooling import positions as reading
from pooling import repository
from pooling.plan import BreachPolicy, Direction, LegStatus, PlannedLeg, fund_outflow
from pooling.quotas import QuotaBook
from pooling.tables import PoolRow, SweepRunRow
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, Posting
from treasury.money import Money
from treasury.payments import repository as payments_repository
from treasury.tenancy.model import Principal

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Planned:
    """A run as planned: the pool state read, the legs, the quota book, the value date."""

    state: reading.PoolState
    legs: list[PlannedLeg]
    book: QuotaBook | None
    policy: BreachPolicy
    value_date: date
    late: bool


def execute(
    uow: UnitOfWork,
    pool: PoolRow,
    planned: Planned,
    run: SweepRunRow,
    today_: date,
    actor: Principal,
    progress: Progress | None,
) -> list[tuple[PlannedLeg, str | None]]:
    """Post the plan: cross-border inflows, the sweep entry, cross-border outflows, the loans."""
    execution = _Execution(uow, pool, planned, run, today_, actor, progress)
    return execution.run()


class _Execution:
    """One run's posting, in the order that keeps the master funded."""

    def __init__(
        self,
        uow: UnitOfWork,
        pool: PoolRow,
        planned: Planned,
        run: SweepRunRow,
        today_: date,
        actor: Principal,
        progress: Progress | None,
    ) -> None:
        self.uow, self.pool, self.planned, self.run_row = uow, pool, planned, run
        self.today, self.actor, self.progress = today_, actor, progress
        self.results: dict[int, tuple[PlannedLeg, str | None]] = {}
        self.done = 0
        self.now = uow.clock.now()
        self.loans = pool_legs.intercompany_accounts(
            uow.session, pool, planned.state.lending_entities(), self.now
        )
        self.cross_border_loans = _late_approved_loans(uow.session, pool, self.loans)

    def run(self) -> list[tuple[PlannedLeg, str | None]]:
        legs = self.planned.legs
        for index, leg in enumerate(legs):
            if leg.cross_border and leg.direction is Direction.TO_MASTER:
                self._send(index, leg)
        self._sweep_entry()
        for index, leg in enumerate(legs):
            if leg.cross_border and leg.direction is Direction.FROM_MASTER:
                self._send(index, leg)
        if self.cross_border_loans:
            self.run_row.intercompany_entry_id = _post(
                self.uow.session,
                self.pool,
                self.run_row,
                self.cross_border_loans,
                "pool_intercompany",
                self.now,
            )
        return [self.results[index] for index in range(len(legs))]

    def _tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, len(self.planned.legs))

    def _send(self, index: int, leg: PlannedLeg) -> None:
        outcome, transfer_id = leg, None
        if leg.moves or leg.status is LegStatus.HELD:
            outcome, transfer_id = pool_legs.cross_border_leg(
                self.uow,
                pool=self.pool,
                leg=leg,
                value_date=self.planned.value_date,
                today=self.today,
                actor=self.actor,
                breached=list(leg.breached),
                policy=self.planned.policy.value,
            )
        self.results[index] = (outcome, transfer_id)
        if outcome.moves and leg.entity_id != self.pool.host_entity_id:
            self.cross_border_loans.extend(_loans(self.pool, outcome, self.loans))
        self._tick()

    def _sweep_entry(self) -> None:
        """Fund the legs from the master with what it now holds, post the residents' legs."""
        legs, pool = self.planned.legs, self.pool
        available = _master_available(self.uow.session, pool) + sum(
            leg.amount_minor
            for leg in legs
            if not leg.cross_border and leg.direction is Direction.TO_MASTER and leg.moves
        )
        postings: list[Posting] = []
        for index, planned_leg in enumerate(legs):
            leg = planned_leg
            if leg.direction is Direction.FROM_MASTER:
                leg = legs[index] = fund_outflow(leg, available)
                available -= leg.amount_minor if leg.moves or leg.status is LegStatus.HELD else 0
            if leg.cross_border:
                continue
            self.results[index] = (leg, None)
            if leg.moves:
                amount = Money.from_minor(leg.amount_minor, pool.currency)
                postings.append(pool_legs.cash_posting(pool.master_account_id, leg, amount))
                if leg.entity_id != pool.host_entity_id:
                    postings += _loans(pool, leg, self.loans)
            self.done += 1
        if postings:
            self.run_row.journal_entry_id = _post(
                self.uow.session, pool, self.run_row, postings, "pool_sweep", self.now
            )
        if self.progress is not None:
            self.progress(self.done, len(legs))


def _loans(pool: PoolRow, leg: PlannedLeg, loans_of: pool_legs.Loans) -> list[Posting]:
    return pool_legs.loan_postings(
        pool.host_entity_id,
        leg.entity_id,
        leg.direction,
        Money.from_minor(leg.amount_minor, pool.currency),
        loans_of,
    )


def _late_approved_loans(
    session: Session, pool: PoolRow, loans_of: pool_legs.Loans
) -> list[Posting]:
    """Loans of held legs decided since: approved ones are recorded now, rejected ones closed."""
    held = repository.unrecorded_held_legs(session, pool.id)
    statuses = payments_repository.transfer_statuses(
        session, [leg.transfer_id for leg in held if leg.transfer_id]
    )
    postings: list[Posting] = []
    for leg in held:
        status = statuses.get(leg.transfer_id or "", "held")
        if status == "held":
            continue
        leg.loan_recorded = True
        if status in ("booked", "accepted", "settled") and leg.entity_id != pool.host_entity_id:
            leg.status = LegStatus.BOOKED.value
            leg.reason = "approved after review; loan recorded by a later run"
            postings.extend(
                pool_legs.loan_postings(
                    pool.host_entity_id,
                    leg.entity_id,
                    Direction(leg.direction),
                    Money.from_minor(leg.amount_minor, leg.currency),
                    loans_of,
                )
            )
        else:
            leg.status = LegStatus.REJECTED.value
    session.flush()
    return postings


def _master_available(session: Session, pool: PoolRow) -> int:
    master = ledger_repository.lock_accounts(session, pool.tenant_id, [pool.master_account_id])[
        pool.master_account_id
    ]
    return master.balance_minor - master.reserved_minor + (master.overdraft_limit_minor or 0)


def _post(
    session: Session,
    pool: PoolRow,
    run: SweepRunRow,
    postings: list[Posting],
    kind: str,
    now: datetime,
) -> str:
    entry = JournalEntry(
        id=new_id(),
        value_date=run.value_date,
        kind=kind,
        description=f"cash pool {pool.name}: sweep of {run.business_date.isoformat()}"[:500],
        postings=tuple(postings),
        source_id=run.id,
    )
    ledger_posting.post_entry(session, tenant_id=pool.tenant_id, entry=entry, posted_at=now)
    return entry.id


def leg_row(
    run_id: str, pool: PoolRow, leg: PlannedLeg, transfer_id: str | None
) -> dict[str, object]:
    return {
        "id": new_id(),
        "run_id": run_id,
        "account_id": leg.account_id,
        "entity_id": leg.entity_id,
        "direction": leg.direction.value,
        "requested_minor": leg.requested_minor,
        "amount_minor": leg.amount_minor,
        "currency": pool.currency,
        "cross_border": leg.cross_border,
        "status": leg.status.value,
        "transfer_id": transfer_id,
        "reason": None if leg.reason is None else leg.reason[:500],
        "loan_recorded": leg.status is not LegStatus.HELD,
    }
