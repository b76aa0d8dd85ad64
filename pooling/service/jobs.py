"""The daily pool jobs' bodies (the scheduler shell registers them; no APScheduler here).

Each pool's job sweeps every business date that is due and not yet run, one by one in order —
missed dates are caught up, never coalesced: a date's run reads the balances of its own value
date. Today is due once the pool's schedule time has passed. Interest is posted monthly, to the
first day of the month. A pool whose run fails is logged and recorded in the audit trail
(`treasury.audit.service.record_failure`); it never stops another pool's run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pooling import repository
from pooling.service import interest_posting, sweeps
from treasury.audit import service as audit
from treasury.calendars import BusinessCalendars
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import NotFound
from treasury.tenancy.model import Principal, Role

SYSTEM_TOKEN_ID = "system-scheduler"
SWEEP_JOB = "pool.sweep"
INTEREST_JOB = "pools.interest"
CATCH_UP_DAYS = 31  # how far back a pool's first run looks for missed dates


@dataclass(frozen=True)
class PoolSchedule:
    """A pool's daily run time (local, HH:MM)."""

    pool_id: str
    tenant_id: str
    schedule: str


def system_principal(tenant_id: str, name: str = "scheduler") -> Principal:
    """The actor of scheduled and command-line runs."""
    return Principal(token_id=SYSTEM_TOKEN_ID, tenant_id=tenant_id, role=Role.TREASURER, name=name)


def pool_tenant(uow_factory: UnitOfWorkFactory, pool_id: str) -> str:
    """The tenant of a pool (the command line names pools by id alone).

    Raises:
        NotFound: no such pool.
    """
    with uow_factory() as uow:
        pool = repository.get_pool_row_any_tenant(uow.session, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        return pool.tenant_id


def schedules(uow_factory: UnitOfWorkFactory) -> list[PoolSchedule]:
    """Every pool's schedule (all tenants)."""
    with uow_factory() as uow:
        return [
            PoolSchedule(row.id, row.tenant_id, row.schedule)
            for row in repository.list_pool_rows(uow.session, None)
        ]


def due_dates(
    *,
    calendars: BusinessCalendars,
    last_run: date | None,
    created_on: date,
    now_local: datetime,
    schedule: str,
) -> list[date]:
    """Business dates after the last run (or since the pool began) up to today, in order.

    Today counts once its schedule time has passed; dates past the loaded calendars are left for
    when the calendar is loaded.
    """
    hour, minute = (int(part) for part in schedule.split(":"))
    today_ = now_local.date()
    end = today_ if now_local.time() >= time(hour, minute) else today_ - timedelta(days=1)
    start = (
        (last_run + timedelta(days=1))
        if last_run
        else max(created_on, end - timedelta(days=CATCH_UP_DAYS))
    )
    found: list[date] = []
    day = start
    while day <= end:
        if day.year > calendars.covered_until("CN_IB"):
            break
        if calendars.is_business_day("CN_IB", day):
            found.append(day)
        day += timedelta(days=1)
    return found


def sweep_due(
    uow_factory: UnitOfWorkFactory,
    *,
    pool_id: str,
    calendars: BusinessCalendars,
    timezone: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[sweeps.SweepRun]:
    """Run every due date of a pool, in order; stop at the first that fails (kept for retry: its
    run rolled back). The failure is logged and recorded in the audit trail, never raised, so
    that whatever runs this pool's job goes on with the next."""
    runs: list[sweeps.SweepRun] = []
    tenant_id: str | None = None
    business_date: date | None = None
    try:
        with uow_factory() as uow:
            pool = repository.get_pool_row_any_tenant(uow.session, pool_id)
            if pool is None:
                return []
            tenant_id = pool.tenant_id
            dates = due_dates(
                calendars=calendars,
                last_run=repository.last_run_date(uow.session, pool_id),
                created_on=pool.created_on,
                now_local=uow.clock.now().astimezone(ZoneInfo(timezone)),
                schedule=pool.schedule,
            )
        for business_date in dates:
            result = sweeps.run_sweep(
                uow_factory(),
                tenant_id=tenant_id,
                pool_id=pool_id,
                business_date=business_date,
                actor=system_principal(tenant_id),
                calendars=calendars,
                timezone=timezone,
                progress=progress,
            )
            runs.append(result.run)
    except Exception as error:  # one pool's failure never stops another pool's job
        _record(uow_factory, error, SWEEP_JOB, tenant_id, pool_id, business_date)
    return runs


def post_monthly_interest(uow_factory: UnitOfWorkFactory, *, timezone: str) -> int:
    """Post each pool's interest to the first day of this month (once); return how many posted.
    A pool whose posting fails is logged and recorded in the audit trail; the others post."""
    with uow_factory() as uow:
        today_ = uow.clock.now().astimezone(ZoneInfo(timezone)).date()
        pools = [
            (row.id, row.tenant_id)
            for row in repository.list_pool_rows(uow.session, None)
            if row.created_on < today_.replace(day=1)
        ]
    posted = 0
    for pool_id, tenant_id in pools:
        try:
            posted += _post_interest(uow_factory, pool_id, tenant_id, today_, timezone)
        except Exception as error:  # one pool's failure never stops the others
            _record(uow_factory, error, INTEREST_JOB, tenant_id, pool_id, today_.replace(day=1))
    return posted


def _post_interest(
    uow_factory: UnitOfWorkFactory, pool_id: str, tenant_id: str, today_: date, timezone: str
) -> int:
    """1 when the pool's interest to the first of the month was posted now, else 0."""
    with uow_factory() as uow:
        if not repository.rate_sets(uow.session, pool_id):
            return 0
    period = interest_posting.post_interest(
        uow_factory(),
        tenant_id=tenant_id,
        actor="scheduler",
        pool_id=pool_id,
        period_end=today_.replace(day=1),
        timezone=timezone,
    )
    return int(period.created)


def _record(
    uow_factory: UnitOfWorkFactory,
    error: Exception,
    job: str,
    tenant_id: str | None,
    pool_id: str,
    on: date | None,
) -> None:
    audit.record_failure(
        uow_factory,
        error,
        job=job,
        tenant_id=tenant_id,
        object_type="pool",
        object_id=pool_id,
        on=on,
    )
