"""The daily pool jobs' bodies (the scheduler shell registers them; no APScheduler here).

Each pool's job sweeps every business date that is due and not yet run, one by one in order —
missed dates are caught up, never coalesced: a date's run reads the balances of its own value
date. Today is due once the pool's schedule time has passed. Interest is posted monthly, to the
first day of the month.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pooling import interest_posting, repository, sweeps
from treasury.calendars import BusinessCalendars
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import NotFound, TreasuryError
from treasury.tenancy.model import Principal, Role

logger = logging.getLogger("pooling.jobs")

SYSTEM_TOKEN_ID = "system-scheduler"
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
    """Run every due date of a pool, in order; stop at the first that fails (kept for retry)."""
    with uow_factory() as uow:
        pool = repository.get_pool_row_any_tenant(uow.session, pool_id)
        if pool is None:
            return []
        last = repository.last_run_date(uow.session, pool_id)
        now_local = uow.clock.now().astimezone(ZoneInfo(timezone))
        dates = due_dates(
            calendars=calendars,
            last_run=last,
            created_on=pool.created_on,
            now_local=now_local,
            schedule=pool.schedule,
        )
        tenant_id = pool.tenant_id
    runs: list[sweeps.SweepRun] = []
    for business_date in dates:
        try:
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
        except TreasuryError:
            logger.exception("sweep of pool %s for %s failed", pool_id, business_date)
            break
        runs.append(result.run)
    return runs


def post_monthly_interest(uow_factory: UnitOfWorkFactory, *, timezone: str) -> int:
    """Post each pool's interest to the first day of this month (once); return how many posted."""
    with uow_factory() as uow:
        today_ = uow.clock.now().astimezone(ZoneInfo(timezone)).date()
        pools = [
            (row.id, row.tenant_id)
            for row in repository.list_pool_rows(uow.session, None)
            if row.created_on < today_.replace(day=1) and repository.rate_sets(uow.session, row.id)
        ]
    posted = 0
    for pool_id, tenant_id in pools:
        try:
            period = interest_posting.post_interest(
                uow_factory(),
                tenant_id=tenant_id,
                actor="scheduler",
                pool_id=pool_id,
                period_end=today_.replace(day=1),
                timezone=timezone,
            )
        except TreasuryError:
            logger.exception("interest of pool %s failed", pool_id)
            continue
        posted += int(period.created)
    return posted
