"""Failures a batch job survives: one tenant's or one pool's run fails, the job carries on.

The batch jobs (revaluation per tenant, sweeps and interest per pool) run each item in a unit of
work of its own, so a failed item leaves nothing behind. Its run table keeps no row for it either:
a row would claim the run key (tenant or pool, date) and turn the retry into a replay of the
failure. The failure is therefore logged with its context and traceback, and recorded as an audit
event `job.failed` in a unit of work of its own (tenant, the object, the date, the error), which
`GET /v1/audit-events` shows the tenant; then the job moves on to the next item.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from treasury.audit import service as audit
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import TreasuryError

logger = logging.getLogger("treasury.jobs")

MAX_DESCRIPTION_CHARACTERS = 300


def describe(error: BaseException) -> str:
    """An error in one line: the catalogue code of a typed error, else the exception's class."""
    if isinstance(error, TreasuryError):
        text = f"{error.code}: {error.detail}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:MAX_DESCRIPTION_CHARACTERS]


@dataclass(frozen=True)
class JobFailure:
    """One item of a batch job that failed: what, of which tenant, on which date, why."""

    job: str
    tenant_id: str | None
    object_type: str
    object_id: str
    on: date | None
    error: str


def record_failure(
    uow_factory: UnitOfWorkFactory,
    error: BaseException,
    *,
    job: str,
    tenant_id: str | None,
    object_type: str,
    object_id: str,
    on: date | None,
) -> JobFailure:
    """Log the failure of one item (with the traceback of an unexpected error) and record it in
    the audit trail; never raises, so that the job goes on with its next item."""
    failure = JobFailure(job, tenant_id, object_type, object_id, on, describe(error))
    context = (failure.job, failure.object_type, failure.object_id, failure.on, failure.error)
    if isinstance(error, TreasuryError):  # a refusal the data explains: no traceback needed
        logger.warning("%s of %s %s on %s failed: %s", *context)
    else:
        logger.error("%s of %s %s on %s failed: %s", *context, exc_info=error)
    try:
        uow = uow_factory()
        with uow:
            audit.record(
                uow,
                tenant_id=failure.tenant_id,
                actor=f"job {failure.job}",
                action="job.failed",
                object_type=failure.object_type,
                object_id=failure.object_id,
                after={
                    "job": failure.job,
                    "date": None if failure.on is None else failure.on.isoformat(),
                    "error": failure.error,
                },
            )
            uow.commit()
    except Exception:  # the database may be what failed: the log above keeps the failure
        logger.exception("the failure of %s could not be recorded in the audit trail", failure.job)
    return failure
