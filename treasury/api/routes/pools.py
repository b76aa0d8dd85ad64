"""Cash pools (DESIGN §4.3): pools, members, positions, sweeps, sweep forecast, interest."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from pooling.interest import RateSet
from pooling.model import MemberSpec, MemberTerms, Pool, Regime, SweepRule
from pooling.service import members, views
from pooling.service import pools as pool_service
from pooling.service.views import QuotaPosition
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    CurrencyCode,
    DecimalString,
    MoneyIn,
    MoneyOut,
    StrictModel,
    problem_responses,
)
from treasury.clock import today
from treasury.db.paging import sequence_page
from treasury.errors import CurrencyMismatch
from treasury.money import Money

router = APIRouter(prefix="/v1/pools", tags=["pools"], responses=COMMON_PROBLEMS)


class InterestIn(StrictModel):
    """Interest on intercompany positions: credit when a member lends, debit when it borrows."""

    credit_rate: DecimalString
    debit_rate: DecimalString
    day_count: Literal["ACT/360", "ACT/365F"] = "ACT/360"
    effective_from: date | None = None


class MemberIn(StrictModel):
    """A member account with its sweep rule (amounts in the pool's currency)."""

    account_id: str
    rule: SweepRule
    target: MoneyIn | None = None
    minimum_transfer: MoneyIn | None = None
    concentration_ratio: DecimalString | None = None
    foreign_debt_ratio: DecimalString | None = None


class MembersIn(StrictModel):
    """A batch of members."""

    members: list[MemberIn] = Field(min_length=1, max_length=20_000)


class PoolIn(StrictModel):
    """A new pool."""

    name: str = Field(min_length=1, max_length=200)
    regime: Regime
    currency: CurrencyCode
    master_account_id: str
    members: list[MemberIn] = Field(default_factory=list, max_length=20_000)
    interest: InterestIn | None = None
    filing_ref: str | None = Field(default=None, max_length=100)
    bop_code: str | None = Field(default=None, min_length=6, max_length=6)
    schedule: str | None = Field(default=None, description="HH:MM local time; default 15:00")


class MemberPatch(StrictModel):
    """What a member's PATCH may change."""

    rule: SweepRule | None = None
    target: MoneyIn | None = None
    minimum_transfer: MoneyIn | None = None
    concentration_ratio: DecimalString | None = None
    foreign_debt_ratio: DecimalString | None = None


class MemberOut(BaseModel):
    """A member as shown."""

    account_id: str
    entity_id: str
    rule: SweepRule
    target: MoneyOut | None
    minimum_transfer: MoneyOut | None
    concentration_ratio: str | None
    foreign_debt_ratio: str | None


class InterestOut(BaseModel):
    """A rate set from a date on."""

    effective_from: date
    credit_rate: str
    debit_rate: str
    day_count: str


class PoolOut(BaseModel):
    """A pool as shown; `interest` is the rate set in force today, `rates` all of them."""

    id: str
    name: str
    regime: Regime
    currency: str
    master_account_id: str
    host_entity_id: str
    filing_ref: str | None
    bop_code: str | None
    schedule: str
    members: list[MemberOut]
    interest: InterestOut | None
    rates: list[InterestOut]

    @classmethod
    def of(cls, pool: Pool, on: date) -> PoolOut:
        """Render a pool."""
        rates = [_rate_out(rate) for rate in pool.rates]
        current = [rate for rate in pool.rates if rate.effective_from <= on]
        return cls(
            id=pool.id,
            name=pool.name,
            regime=pool.regime,
            currency=pool.currency,
            master_account_id=pool.master_account_id,
            host_entity_id=pool.host_entity_id,
            filing_ref=pool.filing_ref,
            bop_code=pool.bop_code,
            schedule=pool.schedule,
            members=[_member_out(member, pool.currency) for member in pool.members],
            interest=_rate_out(current[-1]) if current else None,
            rates=rates,
        )


def _rate_out(rate: RateSet) -> InterestOut:
    return InterestOut(
        effective_from=rate.effective_from,
        credit_rate=str(rate.credit_rate),
        debit_rate=str(rate.debit_rate),
        day_count=rate.day_count,
    )


def _member_out(member: MemberTerms, currency: str) -> MemberOut:
    target = member.rule is SweepRule.TARGET_BALANCE
    return MemberOut(
        account_id=member.account_id,
        entity_id=member.entity_id,
        rule=member.rule,
        target=MoneyOut.of(Money.from_minor(member.target_minor, currency)) if target else None,
        minimum_transfer=MoneyOut.of(Money.from_minor(member.minimum_transfer_minor, currency))
        if member.minimum_transfer_minor
        else None,
        concentration_ratio=None
        if member.concentration_ratio is None
        else str(member.concentration_ratio),
        foreign_debt_ratio=None
        if member.foreign_debt_ratio is None
        else str(member.foreign_debt_ratio),
    )


def _minor(money: MoneyIn | None, currency: str) -> int | None:
    if money is None:
        return None
    value = money.to_money()
    if value.currency.code != currency:
        raise CurrencyMismatch(f"{value} is not in the pool's currency {currency}")
    return value.minor


def _spec(member: MemberIn, currency: str) -> MemberSpec:
    return MemberSpec(
        account_id=member.account_id,
        rule=member.rule,
        target_minor=_minor(member.target, currency),
        minimum_transfer_minor=_minor(member.minimum_transfer, currency) or 0,
        concentration_ratio=member.concentration_ratio,
        foreign_debt_ratio=member.foreign_debt_ratio,
    )


def _rates(body: InterestIn, default_from: date) -> RateSet:
    return RateSet(
        effective_from=body.effective_from or default_from,
        credit_rate=body.credit_rate,
        debit_rate=body.debit_rate,
        day_count=body.day_count,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def create_pool(
    body: PoolIn, principal: Writer, uow_factory: UowFactoryDep, settings: SettingsDep
) -> PoolOut:
    """Create a pool; an integrated_251 pool must pass the eligibility rules (422 otherwise)."""
    uow = uow_factory()
    today_ = today(uow.clock, settings.timezone)
    pool = pool_service.create_pool(
        uow,
        tenant_id=tenant_of(principal),
        actor=principal.name,
        spec=pool_service.PoolSpec(
            name=body.name,
            regime=body.regime,
            currency=body.currency,
            master_account_id=body.master_account_id,
            members=[_spec(member, body.currency) for member in body.members],
            interest=None if body.interest is None else _rates(body.interest, today_),
            filing_ref=body.filing_ref,
            bop_code=body.bop_code,
            schedule=body.schedule,
        ),
        timezone=settings.timezone,
    )
    return PoolOut.of(pool, today_)


class PoolList(ItemPage[PoolOut]):
    """A page of pools, by name and id."""


@router.get("", response_model=PoolList, responses=CSV_RESPONSE)
def list_pools(
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    query: ListQueryDep,
    regime: Regime | None = None,
) -> Response:
    """The tenant's pools by name, optionally of one regime."""
    uow = uow_factory()
    today_ = today(uow.clock, settings.timezone)
    pools = [
        pool
        for pool in pool_service.list_pools(uow, tenant_id=tenant_of(principal))
        if regime is None or pool.regime == regime
    ]
    page = sequence_page(pools, key=lambda p: (p.name, p.id), page=query.page)
    return respond(query, page, lambda pool: PoolOut.of(pool, today_), PoolList)


@router.get("/{pool_id}")
def get_pool(
    pool_id: str, principal: Reader, uow_factory: UowFactoryDep, settings: SettingsDep
) -> PoolOut:
    """One pool."""
    uow = uow_factory()
    pool = pool_service.get_pool(uow, tenant_id=tenant_of(principal), pool_id=pool_id)
    return PoolOut.of(pool, today(uow.clock, settings.timezone))


def _pool_currency(uow_factory: UowFactoryDep, tenant_id: str, pool_id: str) -> str:
    return pool_service.get_pool(uow_factory(), tenant_id=tenant_id, pool_id=pool_id).currency


@router.post("/{pool_id}/members", responses=problem_responses(409))
def add_members(
    pool_id: str,
    body: MembersIn,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> PoolOut:
    """Add members in a batch (all or none)."""
    tenant_id = tenant_of(principal)
    currency = _pool_currency(uow_factory, tenant_id, pool_id)
    uow = uow_factory()
    pool = pool_service.add_members(
        uow,
        tenant_id=tenant_id,
        actor=principal.name,
        pool_id=pool_id,
        members=[_spec(member, currency) for member in body.members],
        timezone=settings.timezone,
    )
    return PoolOut.of(pool, today(uow.clock, settings.timezone))


@router.patch("/{pool_id}/members/{account_id}")
def update_member(
    pool_id: str,
    account_id: str,
    body: MemberPatch,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> PoolOut:
    """Change a member's rule, target or minimum, or its entity's ratios (once a year each)."""
    tenant_id = tenant_of(principal)
    currency = _pool_currency(uow_factory, tenant_id, pool_id)
    uow = uow_factory()
    pool = members.update_member(
        uow,
        tenant_id=tenant_id,
        actor=principal.name,
        pool_id=pool_id,
        account_id=account_id,
        change=members.MemberChange(
            rule=body.rule,
            target_minor=_minor(body.target, currency),
            minimum_transfer_minor=_minor(body.minimum_transfer, currency),
            concentration_ratio=body.concentration_ratio,
            foreign_debt_ratio=body.foreign_debt_ratio,
        ),
        timezone=settings.timezone,
    )
    return PoolOut.of(pool, today(uow.clock, settings.timezone))


@router.post("/{pool_id}/interest-rates")
def add_rates(
    pool_id: str,
    body: InterestIn,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> PoolOut:
    """Set the pool's interest rates from a date on (default today)."""
    uow = uow_factory()
    today_ = today(uow.clock, settings.timezone)
    pool = pool_service.add_rates(
        uow,
        tenant_id=tenant_of(principal),
        actor=principal.name,
        pool_id=pool_id,
        rates=_rates(body, today_),
    )
    return PoolOut.of(pool, today_)


class MemberPositionOut(BaseModel):
    """A member's balance and its entity's intercompany position (+: lends to the pool)."""

    account_id: str
    entity_id: str
    balance: MoneyOut
    intercompany_position: MoneyOut
    cross_border: bool


class QuotaOut(BaseModel):
    """A quota in CNY."""

    kind: str
    limit: MoneyOut
    used: MoneyOut
    headroom: MoneyOut

    @classmethod
    def of(cls, quota: QuotaPosition) -> QuotaOut:
        """The wire form of a pool's quota (also the group view's, `routes/positions.py`)."""
        return cls(
            kind=quota.kind.value,
            limit=MoneyOut.of(quota.limit),
            used=MoneyOut.of(quota.used),
            headroom=MoneyOut.of(quota.headroom),
        )


class PositionsOut(BaseModel):
    """The pool as of a value date."""

    pool_id: str
    as_of: date
    master_account_id: str
    master_balance: MoneyOut
    members: list[MemberPositionOut]
    quotas: list[QuotaOut]
    alerts: list[str] = Field(description="compliance breaches to act on, e.g. §1.9 rule 14")


@router.get("/{pool_id}/positions")
def positions(
    pool_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: Annotated[date | None, Query(description="value date; default today")] = None,
) -> PositionsOut:
    """The master's balance, each member's balance and position, and the quotas."""
    uow = uow_factory()
    found = views.pool_positions(
        uow,
        tenant_id=tenant_of(principal),
        pool_id=pool_id,
        as_of=as_of or today(uow.clock, settings.timezone),
    )
    return PositionsOut(
        pool_id=found.pool_id,
        as_of=found.as_of,
        master_account_id=found.master_account_id,
        master_balance=MoneyOut.of(found.master_balance),
        members=[
            MemberPositionOut(
                account_id=m.account_id,
                entity_id=m.entity_id,
                balance=MoneyOut.of(m.balance),
                intercompany_position=MoneyOut.of(m.intercompany_position),
                cross_border=m.cross_border,
            )
            for m in found.members
        ],
        quotas=[QuotaOut.of(q) for q in found.quotas],
        alerts=list(found.alerts),
    )
