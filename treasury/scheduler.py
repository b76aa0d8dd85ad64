"""The job scheduler: APScheduler 3.11, jobs kept in memory and rebuilt at start, each run under a
database lease. `treasury scheduler` runs it alone; `treasury serve` runs it in the background.

Capabilities register their jobs in `JOBS` (pool sweeps, interest, hedge revaluation); each job's
body calls the same use case as the API, with an idempotent run key, on China business days.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from hedging.service import jobs as hedging_jobs
from pooling.service import jobs as pooling_jobs
from treasury.audit import service as audit_service
from treasury.audit.anchors import AnchorStore
from treasury.calendars import BusinessCalendars, default_calendars
from treasury.db import lease
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.settings import Settings

logger = logging.getLogger("treasury.scheduler")

LEASE_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class Job:
    """A scheduled job: an explicit id, a cron schedule in the service's time zone, a body."""

    id: str
    cron: str
    run: Callable[[UnitOfWorkFactory], None]


def seal_audit_chain(uow_factory: UnitOfWorkFactory) -> None:
    """Hash any committed audit events the after-commit sealer has not reached yet. The chain is
    one sequence for every tenant, so a failure cannot be stepped over: it is logged, and the next
    minute's run starts again where the chain stands."""
    try:
        audit_service.seal_pending(uow_factory())
    except Exception:
        logger.exception("job audit.seal failed; the events stay pending for the next run")


def revalue_hedges(uow_factory: UnitOfWorkFactory) -> None:
    """Revalue every tenant's hedge book on each China business day not yet revalued, in order."""
    hedging_jobs.daily_revaluation(uow_factory)


def keep_audit_anchor(uow_factory: UnitOfWorkFactory, *, store: AnchorStore) -> None:
    """Seal, check the whole chain against the last anchor, keep its head outside the database."""
    kept = audit_service.keep_anchor(uow_factory(), store)
    logger.info("audit chain anchored at %s in %s", kept.head, kept.path)


def audit_anchor_job(settings: Settings) -> Job:
    """Daily at 00:10: the chain head into a file in `settings.audit_anchor_dir`."""
    store = AnchorStore.for_url(settings.audit_anchor_dir, settings.database_url)
    return Job(id="audit.anchor", cron="10 0 * * *", run=partial(keep_audit_anchor, store=store))


def market_data_job(settings: Settings) -> Job | None:
    """Daily at 18:00 Shanghai, before the revaluation: the configured feed's snapshot of the day
    for every tenant (none without `TREASURY_MARKET_DATA_URL`)."""
    url = settings.market_data_url
    if not url:
        return None
    return Job(
        id=hedging_jobs.PULL_JOB_ID,
        cron="0 18 * * *",
        run=partial(_pull_market_data, url=url, timezone=settings.timezone),
    )


def _pull_market_data(uow_factory: UnitOfWorkFactory, *, url: str, timezone: str) -> None:
    hedging_jobs.daily_market_data_pull(uow_factory, url=url, timezone=timezone)


JOBS: tuple[Job, ...] = (
    Job(id="audit.seal", cron="* * * * *", run=seal_audit_chain),
    # 18:30 Shanghai, after the day's fixing and close; the body keeps to China business days.
    Job(id="hedging.revaluation", cron="30 18 * * *", run=revalue_hedges),
)


def holder_name() -> str:
    """This process, as a lease holder."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_under_lease(uow_factory: UnitOfWorkFactory, job: Job) -> bool:
    """Run `job` if this process can take its lease; False when another process holds it."""
    holder = holder_name()
    with uow_factory() as uow:
        taken = lease.acquire(
            uow.session, name=job.id, holder=holder, now=uow.clock.now(), ttl=LEASE_TTL
        )
        uow.commit()
    if not taken:
        logger.info("job %s skipped: another process holds its lease", job.id)
        return False
    try:
        job.run(uow_factory)
    finally:
        with uow_factory() as uow:
            lease.release(uow.session, name=job.id, holder=holder, now=uow.clock.now())
            uow.commit()
    return True


def build_scheduler(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    *,
    blocking: bool,
    jobs: tuple[Job, ...] = JOBS,
    pools: bool = True,
) -> BaseScheduler:
    """A scheduler with every job registered (explicit ids, one instance at a time)."""
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(timezone=settings.timezone)
    pull = market_data_job(settings)
    jobs = (*jobs, audit_anchor_job(settings), *(() if pull is None else (pull,)))
    for job in jobs:
        scheduler.add_job(
            run_under_lease,
            CronTrigger.from_crontab(job.cron, timezone=settings.timezone),
            args=(uow_factory, job),
            id=job.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
    if pools:
        sync_pool_jobs(scheduler, settings, uow_factory)
        refresh = Job(
            id="pools.refresh",
            cron="*/5 * * * *",
            run=lambda _factory: sync_pool_jobs(scheduler, settings, uow_factory),
        )
        scheduler.add_job(
            refresh.run,
            CronTrigger.from_crontab(refresh.cron, timezone=settings.timezone),
            args=(uow_factory,),
            id=refresh.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
    return scheduler


def pool_jobs(settings: Settings, uow_factory: UnitOfWorkFactory) -> list[Job]:
    """One sweep job per pool at its schedule (catching up missed dates), and monthly interest."""
    calendars = default_calendars()
    jobs = [
        Job(
            id=f"pool.sweep.{pool.pool_id}",
            cron=f"{int(pool.schedule[3:])} {int(pool.schedule[:2])} * * *",
            run=partial(
                _sweep_pool, pool_id=pool.pool_id, calendars=calendars, tz=settings.timezone
            ),
        )
        for pool in pooling_jobs.schedules(uow_factory)
    ]
    interest = partial(_post_interest, tz=settings.timezone)
    return [*jobs, Job(id="pools.interest", cron="30 0 1 * *", run=interest)]


def _sweep_pool(
    uow_factory: UnitOfWorkFactory, *, pool_id: str, calendars: BusinessCalendars, tz: str
) -> None:
    pooling_jobs.sweep_due(uow_factory, pool_id=pool_id, calendars=calendars, timezone=tz)


def _post_interest(uow_factory: UnitOfWorkFactory, *, tz: str) -> None:
    pooling_jobs.post_monthly_interest(uow_factory, timezone=tz)


def sync_pool_jobs(
    scheduler: BaseScheduler, settings: Settings, uow_factory: UnitOfWorkFactory
) -> None:
    """Rebuild the pool jobs from the pools' schedules (in memory; new pools, changed times).

    A job added now also runs at once, so that dates missed while no scheduler ran are caught
    up at start, one by one in order (the body does that, under the pool's lease).
    """
    wanted = {job.id: job for job in pool_jobs(settings, uow_factory)}
    for existing in scheduler.get_jobs():
        if existing.id.startswith("pool.sweep.") and existing.id not in wanted:
            existing.remove()
    now = datetime.now(ZoneInfo(settings.timezone))
    for job in wanted.values():
        trigger = CronTrigger.from_crontab(job.cron, timezone=settings.timezone)
        found = scheduler.get_job(job.id)
        if found is not None:
            if str(found.trigger) != str(trigger):
                found.reschedule(trigger)
            continue
        scheduler.add_job(
            run_under_lease,
            trigger,
            args=(uow_factory, job),
            id=job.id,
            max_instances=1,
            coalesce=True,
            next_run_time=now if job.id.startswith("pool.sweep.") else None,
        )
