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
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from treasury.audit import service as audit_service
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
    """Hash any committed audit events the after-commit sealer has not reached yet."""
    audit_service.seal_pending(uow_factory())


JOBS: tuple[Job, ...] = (Job(id="audit.seal", cron="* * * * *", run=seal_audit_chain),)


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
) -> BaseScheduler:
    """A scheduler with every job registered (explicit ids, one instance at a time)."""
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(timezone=settings.timezone)
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
    return scheduler
