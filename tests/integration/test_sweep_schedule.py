"""The pool jobs: rebuilt from the pools' schedules; missed business dates caught up one by one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from pooling.service import jobs, sweeps
from tests.integration.test_sweep_runs import make_pool
from tests.support import TenantFixture
from treasury.calendars import default_calendars
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money
from treasury.scheduler import build_scheduler
from treasury.settings import Settings

TZ = "Asia/Shanghai"


def test_missed_dates_are_swept_in_order_each_by_its_own_run(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, clock: FixedClock
) -> None:
    clock.instant = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # the pool begins on Friday the 20th
    fixture = make_pool(uow_factory, tenant, host_equity="1000000.00")
    onshore = fixture.members[1]
    for day, amount in ((20, "10.00"), (24, "7.00"), (25, "3.00")):
        fixture.books.statement_line(onshore, Money.of(amount, "CNY"), date(2026, 11, day))
    clock.instant = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    runs = jobs.sweep_due(
        uow_factory, pool_id=fixture.pool_id, calendars=default_calendars(), timezone=TZ
    )
    assert [run.business_date for run in runs] == [
        date(2026, 11, 20),
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 26),
    ]
    # each late run moved the cash on the day it ran: the first took the 10.00 of the 20th and
    # the 7.00 and 3.00 dated later, so the later runs found nothing left to sweep
    assert [len(run.legs) for run in runs] == [1, 0, 0, 0, 0]
    assert fixture.books.balance(fixture.master).balance == Money.of("20.00", "CNY")
    assert (
        jobs.sweep_due(
            uow_factory, pool_id=fixture.pool_id, calendars=default_calendars(), timezone=TZ
        )
        == []
    )
    listed = sweeps.list_runs(uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id)
    assert len(listed) == 5


def test_the_scheduler_has_a_job_per_pool_at_its_schedule(
    uow_factory: UnitOfWorkFactory, tenant: TenantFixture, database_url: str
) -> None:
    fixture = make_pool(uow_factory, tenant, host_equity="1.00")
    scheduler = build_scheduler(
        Settings(database_url=database_url, scheduler="off"), uow_factory, blocking=False
    )
    job = scheduler.get_job(f"pool.sweep.{fixture.pool_id}")
    assert job is not None
    assert "hour='15'" in str(job.trigger)
    assert "minute='0'" in str(job.trigger)
    assert scheduler.get_job("pools.interest") is not None
    assert scheduler.get_job("pools.refresh") is not None
    assert scheduler.get_job(f"pool.sweep.{uuid.uuid4()}") is None
