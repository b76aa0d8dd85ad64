"""The hedging work of the shells: importing market-data files, revaluing every tenant's book on a
date, and the daily job that catches missed China business days up one by one, in order.

Each tenant's revaluation of a date is its own unit of work with the run key (tenant, date); a
date that ran already posts nothing, so the job may be re-run or run by several processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hedging import repository
from hedging.market_data import HttpSource, SnapshotSource, documents_from_file
from hedging.service import markets as service
from hedging.service import revaluation
from hedging.service.revaluation import Progress, RevaluationRun
from treasury.audit import service as audit
from treasury.calendars import default_calendars
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict, MarketDataMissing, MarketDataStale, NotFound, ValidationFailed
from treasury.failures import JobFailure
from treasury.tenancy import repository as tenancy_repository

logger = logging.getLogger("treasury.hedging")

JOB_ID = "hedging.revaluation"
PULL_JOB_ID = "hedging.market_data"
CHINA_CALENDAR = "CN_IB"
CATCH_UP_DAYS = 31  # the furthest back a first run looks for a missed date


def import_market_data(
    uow_factory: UnitOfWorkFactory, *, tenant_slug: str, path: Path
) -> list[date]:
    """Load every snapshot of a CSV or JSON file for a tenant; returns the dates stored."""
    tenant_id = tenant_id_of(uow_factory, tenant_slug)
    stored = []
    for document in documents_from_file(path):
        snapshot = service.add_snapshot(
            uow_factory(),
            tenant_id=tenant_id,
            document=document,
            actor="cli",
            source=f"file {path.name}",
        )
        stored.append(snapshot.as_of)
    return stored


@dataclass(frozen=True)
class PulledSnapshot:
    """A tenant's snapshot of a date from the feed: `stored`, or `present` (one was already)."""

    slug: str
    as_of: date
    outcome: str


def pull_market_data(
    uow_factory: UnitOfWorkFactory,
    source: SnapshotSource,
    *,
    source_name: str,
    as_of: date,
    tenant_slug: str | None = None,
) -> list[PulledSnapshot]:
    """Fetch the feed's snapshot of `as_of` once and store it for one tenant (or every tenant),
    its source recorded as `feed <source_name>`; a tenant that has that date's snapshot keeps it.

    Raises:
        ValidationFailed: the feed failed, or answered a document of another date or one that
            does not parse (nothing is stored).
    """
    document = source.fetch(as_of)
    if document.get("as_of") != as_of.isoformat():
        raise ValidationFailed(
            f"the feed answered a snapshot of {document.get('as_of')!r} for {as_of}", field="as_of"
        )
    if tenant_slug is not None:
        tenants = [(tenant_id_of(uow_factory, tenant_slug), tenant_slug)]
    else:
        tenants = all_tenants(uow_factory)
    pulled = []
    for tenant_id, slug in tenants:
        try:
            service.add_snapshot(
                uow_factory(),
                tenant_id=tenant_id,
                document=document,
                actor="market-data feed",
                source=f"feed {source_name}"[:200],
            )
        except Conflict:
            pulled.append(PulledSnapshot(slug, as_of, "present"))
            continue
        pulled.append(PulledSnapshot(slug, as_of, "stored"))
    return pulled


def all_tenants(uow_factory: UnitOfWorkFactory) -> list[tuple[str, str]]:
    """(id, slug) of every tenant."""
    with uow_factory() as uow:
        return tenancy_repository.tenant_slugs(uow.session)


def daily_market_data_pull(
    uow_factory: UnitOfWorkFactory, *, url: str, timezone: str = "Asia/Shanghai"
) -> list[PulledSnapshot]:
    """The scheduler's body before the 18:30 revaluation: today's snapshot from the feed for every
    tenant, on China business days. A feed failure is logged and recorded (the revaluation then
    finds the data missing or stale and says so)."""
    with uow_factory() as uow:
        on = today(uow.clock, timezone)
    if on.weekday() >= 5 or not default_calendars().is_business_day(CHINA_CALENDAR, on):
        return []
    source = HttpSource(url)
    try:
        pulled = pull_market_data(uow_factory, source, source_name=url, as_of=on)
    except Exception as error:  # logged and audited; the job runs again tomorrow
        audit.record_failure(
            uow_factory,
            error,
            job=PULL_JOB_ID,
            tenant_id=None,
            object_type="market_data_feed",
            object_id=url[:200],
            on=on,
        )
        return []
    finally:
        source.close()
    for item in pulled:
        logger.info("market data of %s for %s from the feed: %s", on, item.slug, item.outcome)
    return pulled


def tenant_id_of(uow_factory: UnitOfWorkFactory, slug: str) -> str:
    """A tenant's id by slug (404 NOT_FOUND when unknown)."""
    with uow_factory() as uow:
        found = tenancy_repository.find_tenant_by_slug(uow.session, slug)
        if found is None:
            raise NotFound(f"tenant {slug} not found")
        return found.id


def tenants_with_market_data(uow_factory: UnitOfWorkFactory) -> list[tuple[str, str]]:
    """(id, slug) of every tenant that has stored market data."""
    with uow_factory() as uow:
        among = repository.tenants_with_snapshots(uow.session)
        return tenancy_repository.tenant_slugs(uow.session, among)


@dataclass(frozen=True)
class TenantRevaluation:
    """One tenant's outcome for a date: its run, or why it was skipped (no market data), or why
    it failed (recorded in the audit trail; the other tenants ran all the same)."""

    slug: str
    run: RevaluationRun | None
    skipped: str | None
    failed: str | None = None


def revalue_all(
    uow_factory: UnitOfWorkFactory,
    *,
    as_of: date,
    tenant_slug: str | None = None,
    progress: Callable[[str], Progress] | None = None,
) -> list[TenantRevaluation]:
    """Revalue each tenant's book (or one tenant's) on `as_of`."""
    if tenant_slug is not None:
        tenants = [(tenant_id_of(uow_factory, tenant_slug), tenant_slug)]
    else:
        tenants = tenants_with_market_data(uow_factory)
    outcomes = []
    for tenant_id, slug in tenants:
        try:
            run = revaluation.revalue(
                uow_factory(),
                tenant_id=tenant_id,
                as_of=as_of,
                progress=None if progress is None else progress(slug),
            )
        except (MarketDataMissing, MarketDataStale) as error:
            outcomes.append(TenantRevaluation(slug, None, error.detail))
            continue
        except Exception as error:  # one tenant's failure never stops the others
            failure = _record(uow_factory, error, tenant_id=tenant_id, on=as_of)
            outcomes.append(TenantRevaluation(slug, None, None, failed=failure.error))
            continue
        outcomes.append(TenantRevaluation(slug, run, None))
    return outcomes


def _record(
    uow_factory: UnitOfWorkFactory, error: Exception, *, tenant_id: str, on: date
) -> JobFailure:
    return audit.record_failure(
        uow_factory,
        error,
        job=JOB_ID,
        tenant_id=tenant_id,
        object_type="tenant",
        object_id=tenant_id,
        on=on,
    )


def dates_to_revalue(last: date | None, until: date) -> list[date]:
    """China business days after `last` (or the last `CATCH_UP_DAYS`) up to `until`, in order."""
    calendars = default_calendars()
    start = (last + timedelta(days=1)) if last is not None else until
    start = max(start, until - timedelta(days=CATCH_UP_DAYS))
    found = []
    day = start
    while day <= until:
        if day.weekday() < 5 and calendars.is_business_day(CHINA_CALENDAR, day):
            found.append(day)
        day += timedelta(days=1)
    return found


def daily_revaluation(
    uow_factory: UnitOfWorkFactory, timezone: str = "Asia/Shanghai"
) -> list[JobFailure]:
    """The scheduler's body: each tenant's missed China business days, oldest first. A tenant
    whose run fails stops at that date (it is retried next time, in order); the failure is logged
    and recorded in the audit trail, and the other tenants run all the same. Returns the
    failures."""
    with uow_factory() as uow:
        on = today(uow.clock, timezone)
    failures = []
    for tenant_id, slug in tenants_with_market_data(uow_factory):
        day = on
        try:
            with uow_factory() as uow:
                latest = repository.latest_run(uow.session, tenant_id)
                last = None if latest is None else latest.as_of
            for day in dates_to_revalue(last, on):
                run = revaluation.revalue(uow_factory(), tenant_id=tenant_id, as_of=day)
                logger.info(
                    "revaluation of %s for %s: %s, %d hedges, %s",
                    day,
                    slug,
                    run.status,
                    run.count,
                    run.npv_total,
                )
        except Exception as error:  # one tenant's failure never stops the others
            failures.append(_record(uow_factory, error, tenant_id=tenant_id, on=day))
    return failures
