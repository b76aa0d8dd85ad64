"""Failures a batch job survives: one tenant's or one pool's run fails, the job carries on.

The batch jobs (revaluation per tenant, sweeps and interest per pool) run each item in a unit of
work of its own, so a failed item leaves nothing behind. Its run table keeps no row for it either:
a row would claim the run key (tenant or pool, date) and turn the retry into a replay of the
failure. The failure is therefore logged with its context and traceback, and recorded as an audit
event `job.failed` in a unit of work of its own (tenant, the object, the date, the error), which
`GET /v1/audit-events` shows the tenant; then the job moves on to the next item. What failed is
described here; `treasury.audit.service.record_failure` logs and records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from treasury.errors import TreasuryError

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
