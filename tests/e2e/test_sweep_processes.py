"""Real processes: a run killed half-way leaves nothing and the next run completes it once; two
scheduler processes racing for one pool and date make exactly one run; the `treasury sweep run`
command (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import date

from sqlalchemy import func, select

from pooling.service import sweeps
from pooling.tables import SweepRunRow
from tests.e2e.conftest import run_treasury
from tests.integration.test_sweep_runs import PoolFixture, make_pool, run
from tests.support import TenantFixture
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.ledger.tables import JournalEntryRow
from treasury.money import Money
from treasury.payments.tables import TransferRow

TODAY = date(2026, 11, 26)

_CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, date, datetime
    from pooling.service import jobs, sweeps
    from treasury.calendars import default_calendars
    from treasury.clock import FixedClock
    from treasury.db.engine import build_engine
    from treasury.db.unit_of_work import UnitOfWorkFactory

    url, tenant_id, pool_id = sys.argv[1:4]
    factory = UnitOfWorkFactory(
        build_engine(url, pool_size=1), FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    )

    def progress(done: int, total: int) -> None:
        print(f"progress {done}/{total}", flush=True)
        if done >= 1:
            os.kill(os.getpid(), signal.SIGKILL)

    sweeps.run_sweep(
        factory(), tenant_id=tenant_id, pool_id=pool_id, business_date=date(2026, 11, 26),
        actor=jobs.system_principal(tenant_id), calendars=default_calendars(),
        timezone="Asia/Shanghai", progress=progress,
    )
    print("not killed", flush=True)
    """
)

_RACER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from treasury.clock import FixedClock
    from treasury.db.engine import build_engine
    from treasury.db.unit_of_work import UnitOfWorkFactory
    from treasury.scheduler import pool_jobs, run_under_lease
    from treasury.settings import Settings

    url, pool_id, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    # 16:00 in Shanghai on 2026-11-26: the pool's 15:00 run is due
    factory = UnitOfWorkFactory(
        build_engine(url, pool_size=2), FixedClock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    )
    settings = Settings(database_url=url)
    (job,) = [job for job in pool_jobs(settings, factory) if job.id == f"pool.sweep.{pool_id}"]
    while time.time() < start:
        time.sleep(0.005)
    print("ran" if run_under_lease(factory, job) else "skipped", flush=True)
    """
)


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "TREASURY_DATABASE_URL": database_url, "TREASURY_SCHEDULER": "off"}


def _count(uow_factory: UnitOfWorkFactory, model: type, tenant_id: str) -> int:
    with uow_factory() as uow:
        column = model.tenant_id  # type: ignore[attr-defined]
        return int(uow.session.scalar(select(func.count()).where(column == tenant_id)) or 0)


def _funded_pool(uow_factory: UnitOfWorkFactory, tenant: TenantFixture) -> PoolFixture:
    fixture = make_pool(uow_factory, tenant, host_equity="1000000.00")
    for account, amount in zip(fixture.members, ("10.00", "20.00", "30.00", "-5.00"), strict=True):
        fixture.books.statement_line(account, Money.of(amount, "CNY"), date(2026, 11, 20))
    return fixture


def test_a_run_killed_half_way_leaves_nothing_and_the_next_run_completes_it_once(
    database_url: str, uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    fixture = _funded_pool(uow_factory, tenant)
    entries_before = _count(uow_factory, JournalEntryRow, tenant.id)
    killed = subprocess.run(
        [sys.executable, "-c", _CRASH, database_url, tenant.id, fixture.pool_id],
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert "progress 1/" in killed.stdout
    assert "not killed" not in killed.stdout
    # nothing of the half-run is left: no run, no entry, no transfer
    assert sweeps.list_runs(uow_factory(), tenant_id=tenant.id, pool_id=fixture.pool_id) == []
    assert _count(uow_factory, JournalEntryRow, tenant.id) == entries_before
    assert _count(uow_factory, TransferRow, tenant.id) == 0

    result = run(fixture)
    assert result.created
    assert result.run.status == "completed"
    assert len(result.run.legs) == 4
    assert fixture.books.balance(fixture.master).balance == Money.of("55.00", "CNY")
    assert not run(fixture).created


def test_two_scheduler_processes_racing_make_exactly_one_run(
    database_url: str, uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    fixture = _funded_pool(uow_factory, tenant)
    start = time.time() + 3.0
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, database_url, fixture.pool_id, str(start)],
            env=_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), outputs
    with uow_factory() as uow:
        runs = uow.session.scalar(
            select(func.count()).where(SweepRunRow.pool_id == fixture.pool_id)
        )
    assert runs == 1
    assert fixture.books.balance(fixture.master).balance == Money.of("55.00", "CNY")
    said = sorted(out.strip() for out, _ in outputs)
    assert said in (["ran", "skipped"], ["ran", "ran"])  # the second ran after the first: a no-op


def test_the_sweep_command_runs_a_pool_once(
    database_url: str, uow_factory: UnitOfWorkFactory, tenant: TenantFixture
) -> None:
    fixture = _funded_pool(uow_factory, tenant)
    args = ["sweep", "run", "--pool", fixture.pool_id, "--date", TODAY.isoformat()]
    first = run_treasury(args, _env(database_url))
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout.strip().splitlines()[-1])
    assert (body["created"], body["legs"], body["business_date"]) == (True, 4, "2026-11-26")
    second = run_treasury(args, _env(database_url))
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout.strip().splitlines()[-1])
    assert (again["created"], again["id"]) == (False, body["id"])
    missing = run_treasury(
        ["sweep", "run", "--pool", str(uuid.uuid4()), "--date", "2026-11-26"], _env(database_url)
    )
    assert missing.returncode == 1
    assert "NOT_FOUND" in missing.stderr
    weekend = run_treasury(
        ["sweep", "run", "--pool", fixture.pool_id, "--date", "2026-11-22"], _env(database_url)
    )
    assert weekend.returncode == 1
    assert "NOT_A_BUSINESS_DAY" in weekend.stderr
