"""Use cases of the group view: cash positions, the liquidity ladder, the treasurer's transfers.

Each reads in one read-only unit of work (one consistent snapshot on PostgreSQL) and writes
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from hedging.repository import HedgeValue
from pooling.service.views import QuotaPosition
from positions import repository
from positions.model import (
    CNY,
    Group,
    GroupBy,
    KeyTotal,
    LadderRow,
    RateUsed,
    build_ladder,
    group_positions,
    key_totals,
    ladder_days,
    sum_positions,
    to_cny,
    total_cny,
)
from treasury.calendars import BusinessCalendars
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import TreasuryError
from treasury.money import Money
from treasury.payments.model import Transfer

DEFAULT_LADDER_DAYS = 14
MAX_LADDER_DAYS = 92  # a quarter ahead; beyond it the flows are guesses
LADDER_CALENDAR = "CN_IB"


@dataclass(frozen=True)
class PoolHeadroom:
    """A pool's master balance and its quotas' headroom as of the view's date."""

    pool_id: str
    name: str
    regime: str
    currency: str
    master_balance: Money
    members: int
    quotas: tuple[QuotaPosition, ...]
    alerts: tuple[str, ...]


@dataclass(frozen=True)
class HedgeTotal:
    """Live hedges of one pair valued in one currency: their latest values added up."""

    pair: str
    currency: str
    hedges: int
    valued: int
    mtm: Money
    cny_equivalent: Money | None
    latest_valuation: date | None


@dataclass(frozen=True)
class CashPositions:
    """The group view."""

    as_of: date
    group_by: GroupBy
    groups: tuple[Group, ...]
    key_totals: tuple[KeyTotal, ...]
    total_cny: Money
    missing_rates: tuple[str, ...]
    rates: tuple[RateUsed, ...]
    max_rate_age: int
    pools: tuple[PoolHeadroom, ...]
    hedges: tuple[HedgeTotal, ...]
    hedge_mtm_cny: Money

    @property
    def stale_rates(self) -> tuple[str, ...]:
        """The pairs whose latest rate is older than the limit."""
        return tuple(rate.pair for rate in self.rates if rate.stale)


@dataclass(frozen=True)
class Ladder:
    """Per currency and calendar day from `first`: opening, inflows, outflows, closing."""

    first: date
    last: date
    rows: tuple[LadderRow, ...]


@dataclass(frozen=True)
class TransferLine:
    """A transfer with where its review stands (None: it needed none)."""

    transfer: Transfer
    review_status: str | None
    approvals: int
    required_approvals: int


def cash_positions(
    uow: UnitOfWork, *, tenant_id: str, as_of: date, group_by: GroupBy
) -> CashPositions:
    """Balances by value date grouped, with CNY equivalents, pools' headroom and hedges' MTM."""
    with uow:
        session = uow.session
        sums = sum_positions(repository.account_positions(session, tenant_id, as_of), group_by)
        hedges = repository.hedge_values(session, tenant_id, as_of)
        currencies = set(sums.currency_totals) | {h.currency for h in hedges if h.currency}
        rates = repository.rates_to_cny(session, currencies, as_of)
        limit = repository.max_rate_age(session, as_of)
        pools = _pools(session, tenant_id, as_of)
    groups = group_positions(sums, rates)
    total, missing = total_cny(sums.currency_totals, rates)
    hedge_totals = _hedge_totals(hedges, rates)
    hedge_cny = Money.zero(CNY)
    for hedge in hedge_totals:
        if hedge.cny_equivalent is not None:
            hedge_cny = hedge_cny + hedge.cny_equivalent
    return CashPositions(
        as_of=as_of,
        group_by=group_by,
        groups=tuple(groups),
        key_totals=tuple(key_totals(groups)),
        total_cny=total,
        missing_rates=missing,
        rates=tuple(rates[currency] for currency in sorted(rates)),
        max_rate_age=limit,
        pools=pools,
        hedges=tuple(hedge_totals),
        hedge_mtm_cny=hedge_cny,
    )


def _pools(session: Session, tenant_id: str, as_of: date) -> tuple[PoolHeadroom, ...]:
    found = []
    for pool in repository.pool_positions(session, tenant_id, as_of):
        positions = pool.positions
        found.append(
            PoolHeadroom(
                pool_id=positions.pool_id,
                name=pool.name,
                regime=pool.regime,
                currency=pool.currency,
                master_balance=positions.master_balance,
                members=len(positions.members),
                quotas=positions.quotas,
                alerts=positions.alerts,
            )
        )
    return tuple(found)


def _hedge_totals(hedges: Sequence[HedgeValue], rates: dict[str, RateUsed]) -> list[HedgeTotal]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    latest: dict[tuple[str, str], date] = {}
    for hedge in hedges:
        currency = hedge.currency or hedge.pair[3:]
        key = (hedge.pair, currency)
        sums[key][0] += 1
        if hedge.npv_minor is not None and hedge.value_as_of is not None:
            sums[key][1] += 1
            sums[key][2] += int(hedge.npv_minor)
            latest[key] = max(latest.get(key, hedge.value_as_of), hedge.value_as_of)
    totals = []
    for (pair, currency), (count, valued, npv) in sorted(sums.items()):
        mtm = Money.from_minor(npv, currency)
        totals.append(
            HedgeTotal(
                pair=pair,
                currency=currency,
                hedges=count,
                valued=valued,
                mtm=mtm,
                cny_equivalent=to_cny(mtm, rates.get(currency)),
                latest_valuation=latest.get((pair, currency)),
            )
        )
    return totals


def liquidity_ladder(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    first: date,
    days: int,
    today_: date,
    calendars: BusinessCalendars,
) -> Ladder:
    """The next `days` calendar days per currency: booked movements, held transfers, each pool's
    next sweep and hedges settling at maturity, from the booked balances at the end of the day
    before `first`."""
    window = ladder_days(first, days)
    last = window[-1]
    with uow:
        session = uow.session
        balances = repository.bank_balances(session, tenant_id, first - timedelta(days=1))
        opening = repository.openings(balances)
        flows = [
            *repository.booked_flows(session, tenant_id, first, last),
            *repository.held_flows(session, tenant_id, balances),
            *repository.sweep_flows(session, tenant_id, window, today_, calendars),
            *repository.hedge_flows(
                repository.hedge_values(session, tenant_id, first), first, last
            ),
            *repository.expected_receipt_flows(session, tenant_id, first, last),
        ]
    business = frozenset(day for day in window if _is_business_day(calendars, day))
    return Ladder(first, last, tuple(build_ladder(window, opening, flows, business)))


def _is_business_day(calendars: BusinessCalendars, day: date) -> bool:
    try:
        return calendars.is_business_day(LADDER_CALENDAR, day)
    except TreasuryError:
        return day.weekday() < 5  # past the loaded tables: weekdays


def recent_transfers(
    uow: UnitOfWork, *, tenant_id: str, created_by_token_id: str | None, limit: int = 20
) -> list[TransferLine]:
    """The latest transfers (a token's own when given), each with its review's status."""
    with uow:
        session = uow.session
        transfers = repository.recent_transfers(session, tenant_id, created_by_token_id, limit)
        reviews = repository.review_statuses(session, transfers)
    lines = []
    for transfer in transfers:
        status, approvals, required = reviews.get(transfer.review_id or "", (None, 0, 0))
        lines.append(TransferLine(transfer, status, approvals, required))
    return lines
