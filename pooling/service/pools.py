"""Pool use cases: create a pool (eligibility checked), add members in batches, change a member's
rule or its entity's ratios (at most once a calendar year), add interest rates, read pools.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from pooling import filings, repository
from pooling.interest import RateSet
from pooling.model import (
    DayCount,
    MemberSpec,
    MemberTerms,
    Pool,
    Regime,
    SweepRule,
    eligibility_failures,
    inherit_ratios,
    member_terms,
    ratios_consistent,
    regime_missing,
)
from pooling.parameters import in_force, next_in_force
from pooling.tables import PoolMemberRow, PoolRateRow, PoolRow
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import AccountKind, BankAccount, account_is_resident
from treasury.audit import service as audit
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    AccountCurrencyMismatch,
    AccountNotEligible,
    BopCodeRequired,
    Conflict,
    NotFound,
    PoolIneligible,
    PoolRatiosInconsistent,
    ValidationFailed,
)

SCHEDULE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DEFAULT_SCHEDULE = "15:00"


@dataclass(frozen=True)
class PoolSpec:
    """A new pool as a treasurer describes it."""

    name: str
    regime: Regime
    currency: str
    master_account_id: str
    members: Sequence[MemberSpec]
    interest: RateSet | None
    filing_ref: str | None
    bop_code: str | None
    schedule: str | None


def create_pool(
    uow: UnitOfWork, *, tenant_id: str, actor: str, spec: PoolSpec, timezone: str
) -> Pool:
    """Create a pool around a master account with its first members.

    Raises:
        NotFound: an account that is not the tenant's.
        ValidationFailed: a bad schedule, rate or BOP code.
        AccountNotEligible: a master that is not a pool_master account, or a member that is.
        AccountCurrencyMismatch: a master or member in another currency than the pool's.
        PoolRatiosInconsistent: an entity's accounts with different ratios across the filing.
        BopCodeRequired: cross-border members and no BOP code.
        Conflict: an account already in a pool.
        PoolIneligible: the regime's eligibility rules fail (named in the detail).
    """
    _check_spec(spec)
    with uow:
        session = uow.session
        master = _account(session, tenant_id, spec.master_account_id)
        host = accounts_repository.get_entity_row(session, tenant_id, master.entity_id)
        assert host is not None
        if master.kind != AccountKind.POOL_MASTER.value:
            raise AccountNotEligible(
                f"account {master.id} is a {master.kind} account; a pool's master is pool_master"
            )
        if master.currency != spec.currency:
            raise AccountCurrencyMismatch(
                f"the master account is in {master.currency}, the pool in {spec.currency}"
            )
        if not account_is_resident(entity_country=host.country, kind=AccountKind(master.kind)):
            raise PoolIneligible("rule 4: the master account must be the onshore host's account")
        if repository.pooled_accounts(session, [master.id]):
            raise Conflict(f"account {master.id} is already in a pool")
        filings.check_joins(
            session,
            tenant_id=tenant_id,
            filing_ref=spec.filing_ref,
            host_entity_id=host.id,
            regime=spec.regime.value,
        )
        now, today_ = uow.clock.now(), today(uow.clock, timezone)
        row = PoolRow(
            id=new_id(),
            tenant_id=tenant_id,
            name=spec.name,
            regime=spec.regime.value,
            currency=spec.currency,
            master_account_id=master.id,
            host_entity_id=host.id,
            filing_ref=spec.filing_ref,
            bop_code=spec.bop_code,
            schedule=spec.schedule or DEFAULT_SCHEDULE,
            created_on=today_,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        if spec.interest is not None:
            session.add(_rate_row(row.id, spec.interest, today_))
        _add(uow, row, spec.members, today_)
        pool = to_pool(session, row)
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="pool.created",
            object_type="pool",
            object_id=row.id,
            after={"regime": row.regime, "members": len(pool.members)},
        )
        uow.commit()
        return pool


def _check_spec(spec: PoolSpec) -> None:
    if spec.schedule is not None and not SCHEDULE.match(spec.schedule):
        raise ValidationFailed(f"schedule {spec.schedule!r} must be HH:MM")
    if spec.bop_code is not None and not re.fullmatch(r"[0-9]{6}", spec.bop_code):
        raise ValidationFailed(f"bop_code {spec.bop_code!r} must be six digits")
    if spec.interest is not None:
        _check_rates(spec.interest)


def _check_rates(rates: RateSet) -> None:
    if rates.day_count not in {d.value for d in DayCount}:
        raise ValidationFailed(f"day_count {rates.day_count!r} must be ACT/360 or ACT/365F")
    for rate in (rates.credit_rate, rates.debit_rate):
        if not Decimal(-1) < rate < Decimal(1):
            raise ValidationFailed(f"rate {rate} must be a fraction per year, e.g. 0.025")


def _account(session: Session, tenant_id: str, account_id: str) -> BankAccount:
    account = accounts_repository.get_bank_account(session, tenant_id, account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def _rate_row(pool_id: str, rates: RateSet, effective_from: date) -> PoolRateRow:
    return PoolRateRow(
        pool_id=pool_id,
        effective_from=effective_from,
        credit_rate=rates.credit_rate,
        debit_rate=rates.debit_rate,
        day_count=rates.day_count,
    )


def _add(uow: UnitOfWork, pool: PoolRow, specs: Sequence[MemberSpec], today_: date) -> None:
    session = uow.session
    ids = [spec.account_id for spec in specs]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("an account appears twice among the members")
    accounts = accounts_repository.bank_accounts_by_id(session, pool.tenant_id, ids)
    missing = [account_id for account_id in ids if account_id not in accounts]
    if missing:
        raise NotFound(f"account {missing[0]} not found")
    taken = repository.pooled_accounts(session, ids)
    if taken:
        raise Conflict(f"account {sorted(taken)[0]} is already in a pool")
    existing = [repository.to_terms(row) for row in repository.member_rows(session, pool.id)]
    new = inherit_ratios(
        [_terms(spec, accounts[spec.account_id], pool) for spec in specs],
        [*existing, *filings.sibling_terms(session, pool)],
    )
    check_members(session, pool, [*existing, *new], today_)
    now = uow.clock.now()
    session.add_all(
        PoolMemberRow(
            account_id=terms.account_id,
            pool_id=pool.id,
            tenant_id=pool.tenant_id,
            entity_id=terms.entity_id,
            rule=terms.rule.value,
            target_minor=terms.target_minor,
            minimum_transfer_minor=terms.minimum_transfer_minor,
            concentration_ratio=terms.concentration_ratio,
            foreign_debt_ratio=terms.foreign_debt_ratio,
            added_at=now,
        )
        for terms in new
    )
    session.flush()


def _terms(spec: MemberSpec, account: BankAccount, pool: PoolRow) -> MemberTerms:
    if account.currency != pool.currency:
        raise AccountCurrencyMismatch(
            f"member {account.id} is in {account.currency}, not {pool.currency}"
        )
    if account.id == pool.master_account_id:
        raise AccountNotEligible("the master account is not a member of its own pool")
    if spec.rule is SweepRule.TARGET_BALANCE and spec.target_minor is None:
        raise ValidationFailed(f"member {account.id}: target_balance needs a target")
    if (spec.target_minor or 0) < 0 or spec.minimum_transfer_minor < 0:
        raise ValidationFailed(f"member {account.id}: target and minimum_transfer are not negative")
    for ratio in (spec.concentration_ratio, spec.foreign_debt_ratio):
        if ratio is not None and not Decimal(0) <= ratio <= Decimal(1):
            raise ValidationFailed(f"member {account.id}: a ratio lies between 0 and 1")
    return member_terms(spec, account.entity_id)


def check_members(
    session: Session, pool: PoolRow, own: Sequence[MemberTerms], today_: date
) -> None:
    """The pool's members (`own`) with the rest of its filing: one ratio per entity across the
    filing, and the regime's eligibility over every member entity of the filing."""
    terms = [*own, *filings.sibling_terms(session, pool)]
    offenders = ratios_consistent(terms)
    if offenders:
        where = "" if pool.filing_ref is None else f" across filing {pool.filing_ref}"
        raise PoolRatiosInconsistent(
            f"entity {offenders[0]}: all its member accounts{where} carry the same ratios "
            "(a ratio belongs to the entity; change it with PATCH, at most once a year)"
        )
    entity_ids = {t.entity_id for t in terms} | {pool.host_entity_id}
    entities = accounts_repository.entities_by_id(session, pool.tenant_id, entity_ids)
    host = entities[pool.host_entity_id]
    regime = Regime(pool.regime)
    if regime is not Regime.DOMESTIC and pool.bop_code is None:
        accounts = accounts_repository.bank_accounts_by_id(
            session, pool.tenant_id, [t.account_id for t in own]
        )
        if any(
            not account_is_resident(
                entity_country=entities[a.entity_id].country, kind=AccountKind(a.kind)
            )
            for a in accounts.values()
        ):
            raise BopCodeRequired("a pool with cross-border members needs a bop_code")
    ratios = {t.entity_id: t.concentration_ratio for t in terms}
    parameters = in_force(session, today_)
    numbers = {name: value for name, value in parameters.items() if value is not None}
    missing = regime_missing(regime, numbers)
    if missing:
        since = next_in_force(session, missing[0], today_)
        raise PoolIneligible(
            f"§1.1: the {regime.value} regime is not in force on {today_} ({missing[0]} has no "
            "value)" + ("" if since is None else f"; it takes effect on {since}")
        )
    failures = eligibility_failures(
        regime=regime,
        host=host,
        members=[entities[entity_id] for entity_id in sorted(entity_ids)],
        ratios=ratios,
        parameters=numbers,
        on=today_,
        banks=_bank_count(session, pool, terms),
        partner_banks=filings.partner_banks(session, pool),
    )
    if failures:
        raise PoolIneligible("; ".join(str(failure) for failure in failures))


def _bank_count(session: Session, pool: PoolRow, terms: Sequence[MemberTerms]) -> int:
    """The settlement banks of the filing: its masters' and members' banks."""
    masters = [row.master_account_id for row in filings.pools(session, pool)]
    accounts = accounts_repository.bank_accounts_by_id(
        session, pool.tenant_id, [*masters, pool.master_account_id, *(t.account_id for t in terms)]
    )
    return len({account.bank_bic for account in accounts.values() if account.bank_bic})


def add_members(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    pool_id: str,
    members: Sequence[MemberSpec],
    timezone: str,
) -> Pool:
    """Add a batch of members; the pool's eligibility is checked again with them."""
    with uow:
        row = pool_row(uow.session, tenant_id, pool_id, for_update=True)
        _add(uow, row, members, today(uow.clock, timezone))
        pool = to_pool(uow.session, row)
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="pool.members_added",
            object_type="pool",
            object_id=pool_id,
            after={"accounts": [spec.account_id for spec in members]},
        )
        uow.commit()
        return pool


def add_rates(uow: UnitOfWork, *, tenant_id: str, actor: str, pool_id: str, rates: RateSet) -> Pool:
    """Add (or replace, for the same date) the pool's interest rates from a date on."""
    _check_rates(rates)
    with uow:
        row = pool_row(uow.session, tenant_id, pool_id, for_update=True)
        existing = uow.session.get(PoolRateRow, (pool_id, rates.effective_from))
        if existing is not None:
            uow.session.delete(existing)
            uow.session.flush()
        uow.session.add(_rate_row(pool_id, rates, rates.effective_from))
        uow.session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="pool.rates_set",
            object_type="pool",
            object_id=pool_id,
            after={
                "effective_from": rates.effective_from.isoformat(),
                "credit_rate": str(rates.credit_rate),
                "debit_rate": str(rates.debit_rate),
                "day_count": rates.day_count,
            },
        )
        pool = to_pool(uow.session, row)
        uow.commit()
        return pool


def get_pool(uow: UnitOfWork, *, tenant_id: str, pool_id: str) -> Pool:
    """One of the tenant's pools."""
    with uow:
        return to_pool(uow.session, pool_row(uow.session, tenant_id, pool_id))


def list_pools(uow: UnitOfWork, *, tenant_id: str) -> list[Pool]:
    """The tenant's pools."""
    with uow:
        return [
            to_pool(uow.session, row) for row in repository.list_pool_rows(uow.session, tenant_id)
        ]


def pool_row(
    session: Session, tenant_id: str, pool_id: str, *, for_update: bool = False
) -> PoolRow:
    row = repository.get_pool_row(session, tenant_id, pool_id, for_update=for_update)
    if row is None:
        raise NotFound(f"pool {pool_id} not found")
    return row


def to_pool(session: Session, row: PoolRow) -> Pool:
    return Pool(
        id=row.id,
        name=row.name,
        regime=Regime(row.regime),
        currency=row.currency,
        master_account_id=row.master_account_id,
        host_entity_id=row.host_entity_id,
        filing_ref=row.filing_ref,
        bop_code=row.bop_code,
        schedule=row.schedule,
        created_on=row.created_on,
        members=tuple(repository.to_terms(m) for m in repository.member_rows(session, row.id)),
        rates=tuple(repository.rate_sets(session, row.id)),
    )
