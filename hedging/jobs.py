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

from sqlalchemy import select

from hedging import repository, revaluation, service
from hedging.market_data import documents_from_file
from hedging.revaluation import Progress, RevaluationRun
from hedging.tables import MarketSnapshotRow
from treasury.calendars import default_calendars
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import MarketDataMissing, NotFound
from treasury.failures import JobFailure, record_failure
from treasury.tenancy import repository as tenancy_repository
from treasury.tenancy.tables import TenantRow

logger = logging.getLogger("treasury.hedging")

JOB_ID = "hedging.revaluation"
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
        query = (
            select(TenantRow.id, TenantRow.slug)
            .where(TenantRow.id.in_(select(MarketSnapshotRow.tenant_id)))
            .order_by(TenantRow.slug)
        )
        return [(row[0], row[1]) for row in uow.session.execute(query).all()]


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
        except MarketDataMissing as error:
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
    return record_failure(
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
