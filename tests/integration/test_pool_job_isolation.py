"""Issue #11 §2 for the pool jobs: a pool whose sweep or interest run fails (here: a stored ratio
or rate that no longer reads, an error that is no TreasuryError) stops no other pool's run; the
failure is recorded in the audit trail and the failed date is retried by the next run.
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from pooling.interest import RateSet
from pooling.repository import interest_period
from pooling.service import jobs, sweeps
from pooling.service import pools as pool_service
from tests.integration.test_sweep_runs import PoolFixture, make_pool
from tests.support import TenantFixture
from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.money import Money
from treasury.scheduler import pool_jobs
from treasury.settings import Settings

TZ = "Asia/Shanghai"


@pytest.fixture(autouse=True)
def _audit_sealed_before_the_app_closes(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("TREASURY_AUDIT_SEAL_DELAY_SECONDS", "0.05")
    yield
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=30)


def corrupt(uow_factory: UnitOfWorkFactory, statement: str, **values: Any) -> None:
    """Write a value the ORM cannot read back, as rows stored by hand or by an old bug may hold."""
    with uow_factory() as uow:
        uow.session.execute(text(statement), values)
        uow.commit()


def failures(client: TestClient, tenant: TenantFixture, pool_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/audit-events?object_id={pool_id}", headers=tenant.auditor)
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["action"] == "job.failed"]


def run_dates(fixture: PoolFixture) -> list[date]:
    runs = sweeps.list_runs(
        fixture.books.uow_factory(), tenant_id=fixture.books.tenant_id, pool_id=fixture.pool_id
    )
    return sorted(run.business_date for run in runs)


def test_a_pool_whose_sweep_fails_stops_no_other_pools_sweep(
    client: TestClient,
    uow_factory: UnitOfWorkFactory,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    clock: FixedClock,
    settings: Settings,
) -> None:
    clock.instant = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai: today is due
    broken = make_pool(uow_factory, other_tenant, host_equity="1000000.00")
    healthy = make_pool(uow_factory, tenant, host_equity="1000000.00")
    healthy.books.statement_line(healthy.members[1], Money.of("10.00", "CNY"), date(2026, 11, 26))
    member = "UPDATE pooling_member SET concentration_ratio = :value WHERE account_id = :account"
    corrupt(uow_factory, member, value="garbage", account=broken.members[0])
    scheduled = {job.id: job for job in pool_jobs(settings, uow_factory)}

    try:
        for fixture in (broken, healthy):
            scheduled[f"pool.sweep.{fixture.pool_id}"].run(uow_factory)
    finally:
        corrupt(uow_factory, member, value=None, account=broken.members[0])

    assert run_dates(healthy) == [date(2026, 11, 26)]
    assert healthy.books.balance(healthy.master).balance == Money.of("10.00", "CNY")
    assert run_dates(broken) == []
    [failure] = failures(client, other_tenant, broken.pool_id)
    assert failure["after"]["job"] == "pool.sweep"
    assert failure["after"]["date"] == "2026-11-26"
    assert "InvalidOperation" in failure["after"]["error"]
    scheduled[f"pool.sweep.{broken.pool_id}"].run(uow_factory)  # the failed date is retried
    assert run_dates(broken) == [date(2026, 11, 26)]


def test_a_pool_whose_interest_fails_stops_no_other_pools_interest(
    client: TestClient,
    uow_factory: UnitOfWorkFactory,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    clock: FixedClock,
) -> None:
    pools = []
    for second, owner in enumerate((other_tenant, tenant)):  # the broken pool's turn comes first
        clock.instant = datetime(2026, 10, 15, 2, 0, second, tzinfo=UTC)
        fixture = make_pool(uow_factory, owner, host_equity="1000000.00")
        pool_service.add_rates(
            uow_factory(),
            tenant_id=owner.id,
            actor="test",
            pool_id=fixture.pool_id,
            rates=RateSet(date(2026, 10, 15), Decimal("0.02"), Decimal("0.04"), "ACT/360"),
        )
        pools.append(fixture)
    broken, healthy = pools
    rate = "UPDATE pooling_rate SET credit_rate = :value WHERE pool_id = :pool"
    corrupt(uow_factory, rate, value="garbage", pool=broken.pool_id)
    clock.instant = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    try:
        jobs.post_monthly_interest(uow_factory, timezone=TZ)
    finally:
        corrupt(uow_factory, rate, value="0.02", pool=broken.pool_id)

    with uow_factory() as uow:
        assert interest_period(uow.session, healthy.pool_id, date(2026, 11, 1)) is not None
        assert interest_period(uow.session, broken.pool_id, date(2026, 11, 1)) is None
    [failure] = failures(client, other_tenant, broken.pool_id)
    assert failure["after"]["job"] == "pools.interest"
    assert failure["after"]["date"] == "2026-11-01"
