"""How old a revaluation's market data may be: at most `hedge.market_data_max_age_business_days`
China interbank business days before the run's date (house rule, seeded 1: the previous business
day's close). Beyond it the tenant's `market_data_staleness_policy` decides: "flag" runs and says
so, "refuse" is 422 MARKET_DATA_STALE and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from treasury.calendars import default_calendars
from treasury.errors import TreasuryError
from treasury.refdata import cache as refdata_cache
from treasury.tenancy import repository as tenancy_repository

MAX_AGE_PARAMETER = "hedge.market_data_max_age_business_days"
DEFAULT_MAX_AGE = 1
CHINA_CALENDAR = "CN_IB"


@dataclass(frozen=True)
class Staleness:
    """A snapshot's age against the limit in force, and what the tenant does beyond it."""

    age_business_days: int
    limit_business_days: int
    policy: str

    @property
    def stale(self) -> bool:
        """Older than the limit."""
        return self.age_business_days > self.limit_business_days

    @property
    def refused(self) -> bool:
        """Stale, and the tenant refuses stale runs."""
        return self.stale and self.policy == "refuse"


def business_days_between(earlier: date, later: date) -> int:
    """China interbank business days after `earlier` up to `later` (weekdays where the holiday
    tables end)."""
    calendars = default_calendars()
    count, day = 0, earlier + timedelta(days=1)
    while day <= later:
        if day.weekday() < 5:
            try:
                count += calendars.is_business_day(CHINA_CALENDAR, day)
            except TreasuryError:  # beyond the loaded tables: weekdays count
                count += 1
        day += timedelta(days=1)
    return count


def staleness(session: Session, tenant_id: str, *, snapshot_as_of: date, as_of: date) -> Staleness:
    """The snapshot's age for a run of `as_of`, with the limit and the tenant's policy."""
    parameter = refdata_cache.snapshot(session).parameters_in_force(as_of).get(MAX_AGE_PARAMETER)
    limit = DEFAULT_MAX_AGE if parameter is None else int(parameter.decimal())
    policy = tenancy_repository.effective_settings(session, tenant_id).get(
        "market_data_staleness_policy", "flag"
    )
    return Staleness(business_days_between(snapshot_as_of, as_of), limit, str(policy))
