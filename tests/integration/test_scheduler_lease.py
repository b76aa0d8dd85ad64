"""Database leases: one holder at a time per job, so several schedulers never double-run a job."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from treasury.clock import FixedClock
from treasury.db import lease
from treasury.db.lease import LeaseRow
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.scheduler import LEASE_TTL, Job, holder_name, run_under_lease

TTL = timedelta(minutes=30)


def acquire(uow_factory: UnitOfWorkFactory, name: str, holder: str, now: datetime) -> bool:
    with uow_factory() as uow:
        taken = lease.acquire(uow.session, name=name, holder=holder, now=now, ttl=TTL)
        uow.commit()
        return taken


def release(uow_factory: UnitOfWorkFactory, name: str, holder: str, now: datetime) -> None:
    with uow_factory() as uow:
        lease.release(uow.session, name=name, holder=holder, now=now)
        uow.commit()


def stored(uow_factory: UnitOfWorkFactory, name: str) -> tuple[str, datetime] | None:
    with uow_factory() as uow:
        row = uow.session.get(LeaseRow, name)
        return None if row is None else (row.holder, row.expires_at)


def counting_job(runs: list[tuple[str, datetime] | None]) -> Job:
    """A job that records, each time it runs, the lease it runs under."""
    job_id = f"test-job-{uuid.uuid4().hex[:12]}"

    def run(uow_factory: UnitOfWorkFactory) -> None:
        runs.append(stored(uow_factory, job_id))

    return Job(id=job_id, cron="0 15 * * 1-5", run=run)


@pytest.fixture
def name() -> str:
    return f"test-lease-{uuid.uuid4().hex[:12]}"


def test_a_second_holder_cannot_take_an_unexpired_lease(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, name: str
) -> None:
    start = clock.now()

    assert acquire(uow_factory, name, "scheduler-a", start)
    assert not acquire(uow_factory, name, "scheduler-b", start + timedelta(minutes=1))
    assert not acquire(uow_factory, name, "scheduler-b", start + TTL)
    assert stored(uow_factory, name) == ("scheduler-a", start + TTL)


def test_the_holder_renews_and_another_takes_over_after_expiry(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, name: str
) -> None:
    start = clock.now()
    assert acquire(uow_factory, name, "scheduler-a", start)

    renewed = acquire(uow_factory, name, "scheduler-a", start + timedelta(minutes=20))
    blocked = acquire(uow_factory, name, "scheduler-b", start + timedelta(minutes=31))
    taken_over = acquire(uow_factory, name, "scheduler-b", start + timedelta(minutes=51))
    locked_out = acquire(uow_factory, name, "scheduler-a", start + timedelta(minutes=52))

    assert (renewed, blocked, taken_over, locked_out) == (True, False, True, False)
    assert stored(uow_factory, name) == ("scheduler-b", start + timedelta(minutes=81))


def test_a_released_lease_can_be_taken_at_once(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, name: str
) -> None:
    start = clock.now()
    assert acquire(uow_factory, name, "scheduler-a", start)

    release(uow_factory, name, "scheduler-b", start + timedelta(seconds=1))  # not its lease
    still_held = acquire(uow_factory, name, "scheduler-b", start + timedelta(seconds=2))
    release(uow_factory, name, "scheduler-a", start + timedelta(seconds=3))

    assert not still_held
    assert acquire(uow_factory, name, "scheduler-b", start + timedelta(seconds=4))


@pytest.mark.parametrize("expired", [False, True], ids=["fresh", "expired"])
def test_concurrent_schedulers_get_one_lease(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, name: str, expired: bool
) -> None:
    start = clock.now()
    if expired:
        assert acquire(uow_factory, name, "crashed", start - 2 * TTL)
    gate = threading.Event()

    def contender(holder: str) -> Callable[[], bool]:
        def attempt() -> bool:
            gate.wait()
            return acquire(uow_factory, name, holder, start)

        return attempt

    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(contender(f"scheduler-{index}")) for index in range(10)]
        gate.set()
        taken = [future.result(timeout=60) for future in futures]

    assert taken.count(True) == 1
    winner = f"scheduler-{taken.index(True)}"
    assert stored(uow_factory, name) == (winner, start + TTL)


def test_run_under_lease_runs_the_job_once_and_releases(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    runs: list[tuple[str, datetime] | None] = []
    job = counting_job(runs)

    ran = run_under_lease(uow_factory, job)

    assert ran is True
    assert runs == [(holder_name(), clock.now() + LEASE_TTL)]
    assert stored(uow_factory, job.id) == (holder_name(), clock.now())
    clock.instant += timedelta(seconds=1)
    assert acquire(uow_factory, job.id, "another-process", clock.now())


def test_run_under_lease_skips_while_another_process_holds_it(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    runs: list[tuple[str, datetime] | None] = []
    job = counting_job(runs)
    assert acquire(uow_factory, job.id, "another-process", clock.now())

    skipped = run_under_lease(uow_factory, job)
    clock.instant += TTL - timedelta(seconds=1)
    still_skipped = run_under_lease(uow_factory, job)
    clock.instant += timedelta(seconds=2)
    ran_after_expiry = run_under_lease(uow_factory, job)

    assert (skipped, still_skipped, ran_after_expiry) == (False, False, True)
    assert runs == [(holder_name(), clock.now() + LEASE_TTL)]


def test_a_failing_job_still_releases_its_lease(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    def fail(uow_factory: UnitOfWorkFactory) -> None:
        raise RuntimeError("job failed")

    job = Job(id=f"test-job-{uuid.uuid4().hex[:12]}", cron="0 15 * * 1-5", run=fail)

    with pytest.raises(RuntimeError, match="job failed"):
        run_under_lease(uow_factory, job)

    assert stored(uow_factory, job.id) == (holder_name(), clock.now())
    assert acquire(uow_factory, job.id, "another-process", clock.now() + timedelta(seconds=1))
