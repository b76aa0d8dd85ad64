"""Sweep use cases: run a pool's sweep for a business date (once), forecast it, list runs.

A run is one unit of work: it claims the run key (pool, business date), posts every leg and
commits all of it or nothing — a process killed half-way leaves no half-run, and the next run
does it exactly once. A second run for the same date returns the first and posts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from pooling import execution, filings, repository
from pooling import legs as pool_legs
from pooling import positions as reading
from pooling.parameters import in_force
from pooling.plan import (
    BreachPolicy,
    Direction,
    LegStatus,
    MemberBalance,
    PlannedLeg,
    plan_sweep,
)
from pooling.quotas import QuotaBook, QuotaKind
from pooling.service import restoration
from pooling.tables import PoolRow, SweepRunRow
from treasury.audit import service as audit
from treasury.calendars import BusinessCalendars
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.paging import Page, PageRequest
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import DateNotReached, NotABusinessDay, NotFound
from treasury.ledger import repository as ledger_repository
from treasury.money import Money
from treasury.tenancy import repository as tenancy_repository
from treasury.tenancy.model import Principal

CALENDAR = "CN_IB"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SweepLeg:
    """A leg as shown."""

    account_id: str
    direction: Direction
    requested: Money
    amount: Money
    cross_border: bool
    status: LegStatus
    transfer_id: str | None
    reason: str | None


@dataclass(frozen=True)
class SweepRun:
    """A run of a pool's sweep for a business date."""

    id: str
    pool_id: str
    business_date: date
    value_date: date
    status: str
    late: bool
    legs: tuple[SweepLeg, ...]
    journal_entry_id: str | None
    intercompany_entry_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class SweepResult:
    """A run and whether it was made by this call (False: an earlier run returned)."""

    run: SweepRun
    created: bool


@dataclass(frozen=True)
class QuotaView:
    """A quota in CNY: limit, used, headroom."""

    kind: QuotaKind
    limit: Decimal
    used: Decimal

    @property
    def headroom(self) -> Decimal:
        """limit − used (negative when a parameter cut left the balance over it)."""
        return self.limit - self.used


@dataclass(frozen=True)
class Forecast:
    """The legs a run would post, with their quota effects, and the quotas before and after."""

    business_date: date
    value_date: date
    legs: tuple[tuple[SweepLeg, dict[QuotaKind, Decimal], dict[str, Any] | None], ...]
    quotas_before: tuple[QuotaView, ...]
    quotas_after: tuple[QuotaView, ...]


def check_business_date(calendars: BusinessCalendars, business_date: date) -> None:
    """A sweep runs only on China interbank business days within the loaded calendars.

    Raises:
        CalendarNotLoaded: a date past the calendar's coverage.
        NotABusinessDay: a weekend or holiday (adjusted working weekends are business days).
    """
    calendars.assert_covered(CALENDAR, business_date)
    if not calendars.is_business_day(CALENDAR, business_date):
        raise NotABusinessDay(f"{business_date} is not a China interbank business day")


def run_sweep(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    pool_id: str,
    business_date: date,
    actor: Principal,
    calendars: BusinessCalendars,
    timezone: str,
    progress: Progress | None = None,
) -> SweepResult:
    """Sweep a pool for a business date, once.

    Raises:
        NotFound: no such pool.
        CalendarNotLoaded, NotABusinessDay: see `check_business_date`.
        DateNotReached: a business date after today.
        RestoredRecordsMissing: a centralised current-account flow through the master, moved
            by the business date, lacks its restored records: the day does not close.
    """
    check_business_date(calendars, business_date)
    with uow:
        session = uow.session
        pool = repository.get_pool_row(session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        filings.pools(session, pool, lock=True)  # the filing's quotas are shared: one at a time
        existing = repository.get_run(session, pool_id, business_date)
        if existing is not None:
            return SweepResult(_run(session, pool, existing), created=False)
        today_ = today(uow.clock, timezone)
        if business_date > today_:
            raise DateNotReached(f"business date {business_date} is after today ({today_})")
        restoration.check_day_close(session, pool, business_date)  # §1.9 rule 15
        planned = _plan(session, pool, business_date, today_, calendars, lock=True)
        run = SweepRunRow(
            id=new_id(),
            tenant_id=tenant_id,
            pool_id=pool_id,
            business_date=business_date,
            value_date=planned.value_date,
            status="running",
            late=planned.late,
            journal_entry_id=None,
            intercompany_entry_id=None,
            created_by=actor.name,
            created_at=uow.clock.now(),
        )
        session.add(run)
        session.flush()  # claims the run key (unique per pool and business date)
        executed = execution.execute(uow, pool, planned, run, today_, actor, progress)
        run.status = (
            "completed" if all(leg.status is LegStatus.BOOKED for leg, _ in executed) else "partial"
        )
        repository.add_sweep_legs(
            session, [execution.leg_row(run.id, pool, leg, tid) for leg, tid in executed]
        )
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor.name,
            action="pool.swept",
            object_type="pool",
            object_id=pool_id,
            after={
                "run_id": run.id,
                "business_date": business_date.isoformat(),
                "status": run.status,
                "legs": len(executed),
                "journal_entry_id": run.journal_entry_id,
            },
        )
        session.flush()
        result = _fresh_run(run, pool, executed)
        uow.commit()
        return SweepResult(result, created=True)


def _fresh_run(
    run: SweepRunRow, pool: PoolRow, executed: list[tuple[PlannedLeg, str | None]]
) -> SweepRun:
    """The run just made, from its legs in memory (in the order a later read returns them)."""
    ordered = sorted(  # to_master before from_master, then by account (as `legs_of` reads)
        executed, key=lambda item: (item[0].direction is Direction.FROM_MASTER, item[0].account_id)
    )
    return SweepRun(
        id=run.id,
        pool_id=run.pool_id,
        business_date=run.business_date,
        value_date=run.value_date,
        status=run.status,
        late=run.late,
        legs=tuple(
            _shown(
                leg,
                pool.currency,
                transfer_id=transfer_id,
                reason=None if leg.reason is None else leg.reason[:500],
            )
            for leg, transfer_id in ordered
        ),
        journal_entry_id=run.journal_entry_id,
        intercompany_entry_id=run.intercompany_entry_id,
        created_at=run.created_at,
    )


def _shown(
    leg: PlannedLeg, currency: str, *, transfer_id: str | None, reason: str | None
) -> SweepLeg:
    """A planned (or just executed) leg as a run or a forecast shows it."""
    return SweepLeg(
        account_id=leg.account_id,
        direction=leg.direction,
        requested=Money.from_minor(leg.requested_minor, currency),
        amount=Money.from_minor(leg.amount_minor, currency),
        cross_border=leg.cross_border,
        status=leg.status,
        transfer_id=transfer_id,
        reason=reason,
    )


def _value_date(
    calendars: BusinessCalendars, business_date: date, today_: date
) -> tuple[date, bool]:
    if business_date >= today_:
        return business_date, False
    # A late run moves its cash now: on today if it is a business day, else the next one.
    calendars.assert_covered(CALENDAR, today_)
    return (
        today_
        if calendars.is_business_day(CALENDAR, today_)
        else calendars.next_business_day(CALENDAR, today_)
    ), True


def _plan(
    session: Session,
    pool: PoolRow,
    business_date: date,
    today_: date,
    calendars: BusinessCalendars,
    *,
    lock: bool,
) -> execution.Planned:
    value_date, late = _value_date(calendars, business_date, today_)
    state = reading.load_state(session, pool)
    member_ids = [m.account_id for m in state.members]
    ids = [pool.master_account_id, *member_ids]
    ledger = (
        ledger_repository.lock_accounts(session, pool.tenant_id, ids)
        if lock
        else ledger_repository.accounts_by_id(session, ids)
    )
    later = ledger_repository.movements_after(session, member_ids, value_date)
    members = [
        MemberBalance(
            terms=repository.to_terms(m),
            balance_minor=ledger[m.account_id].balance_minor - later.get(m.account_id, 0),
            spendable_minor=ledger[m.account_id].balance_minor
            - ledger[m.account_id].reserved_minor,
            cross_border=state.cross_border(m.account_id),
        )
        for m in state.members
    ]
    master = ledger[pool.master_account_id]
    master_spendable = (
        master.balance_minor - master.reserved_minor + (master.overdraft_limit_minor or 0)
    )
    book = reading.quota_book(session, state, in_force(session, value_date), value_date, None)
    policy = _policy(session, pool)
    legs = plan_sweep(members, master_spendable_minor=master_spendable, book=book, policy=policy)
    return execution.Planned(state, legs, book, policy, value_date, late)


def _policy(session: Session, pool: PoolRow) -> BreachPolicy:
    settings = tenancy_repository.effective_settings(session, pool.tenant_id)
    policies = settings.get("pool_quota_breach_policy") or {}
    return BreachPolicy(policies.get(pool.id) or policies.get("default") or "cap")


def _run(session: Session, pool: PoolRow, row: SweepRunRow) -> SweepRun:
    return _runs(session, pool, [row])[0]


def _runs(session: Session, pool: PoolRow, rows: Sequence[SweepRunRow]) -> list[SweepRun]:
    legs = repository.legs_of(session, [row.id for row in rows])
    return [
        SweepRun(
            id=row.id,
            pool_id=row.pool_id,
            business_date=row.business_date,
            value_date=row.value_date,
            status=row.status,
            late=row.late,
            legs=tuple(
                SweepLeg(
                    account_id=leg.account_id,
                    direction=Direction(leg.direction),
                    requested=Money.from_minor(leg.requested_minor, leg.currency),
                    amount=Money.from_minor(leg.amount_minor, leg.currency),
                    cross_border=leg.cross_border,
                    status=LegStatus(leg.status),
                    transfer_id=leg.transfer_id,
                    reason=leg.reason,
                )
                for leg in legs[row.id]
            ),
            journal_entry_id=row.journal_entry_id,
            intercompany_entry_id=row.intercompany_entry_id,
            created_at=row.created_at,
        )
        for row in rows
    ]


def list_runs(
    uow: UnitOfWork, *, tenant_id: str, pool_id: str, limit: int = 50, offset: int = 0
) -> list[SweepRun]:
    """A pool's runs, newest first."""
    with uow:
        pool = repository.get_pool_row(uow.session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        return _runs(uow.session, pool, repository.list_runs(uow.session, pool_id, limit, offset))


def run_page(uow: UnitOfWork, *, tenant_id: str, pool_id: str, page: PageRequest) -> Page[SweepRun]:
    """A page of a pool's runs, newest business date first."""
    with uow:
        pool = repository.get_pool_row(uow.session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        found = repository.run_page(uow.session, pool_id, page)
        runs = _runs(uow.session, pool, found.rows)
        return Page(rows=runs, total=found.total, next_key=found.next_key)


def sweep_forecast(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    pool_id: str,
    business_date: date,
    calendars: BusinessCalendars,
    timezone: str,
) -> Forecast:
    """The legs a run for `business_date` would post now, with quota effects; posts nothing."""
    check_business_date(calendars, business_date)
    with uow:
        session = uow.session
        pool = repository.get_pool_row(session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        today_ = today(uow.clock, timezone)
        before = _quota_views(session, pool, max(business_date, today_))
        planned = _plan(session, pool, business_date, today_, calendars, lock=False)
        after = _views(planned.book)
        legs = tuple(
            (
                _shown(leg, pool.currency, transfer_id=None, reason=leg.reason),
                dict(leg.quota_effects),
                pool_legs.leg_route(
                    session, pool, leg, planned.value_date, today=today_, now=uow.clock.now()
                ),
            )
            for leg in planned.legs
        )
        return Forecast(business_date, planned.value_date, legs, before, after)


def planned_legs(
    session: Session, pool: PoolRow, business_date: date, today_: date, calendars: BusinessCalendars
) -> tuple[date, list[PlannedLeg]]:
    """The value date and legs a run for `business_date` would post now, inside the caller's
    unit of work (read only; no locks). Raises as `sweep_forecast` does for the date."""
    check_business_date(calendars, business_date)
    planned = _plan(session, pool, business_date, today_, calendars, lock=False)
    return planned.value_date, list(planned.legs)


def _quota_views(session: Session, pool: PoolRow, on: date) -> tuple[QuotaView, ...]:
    state = reading.load_state(session, pool)
    return _views(reading.quota_book(session, state, in_force(session, on), on, None))


def _views(book: QuotaBook | None) -> tuple[QuotaView, ...]:
    if book is None:
        return ()
    return tuple(QuotaView(q.kind, q.limit, book.used(q.kind)) for q in book.quotas)
