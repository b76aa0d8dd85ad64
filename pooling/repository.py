"""Every pooling query: pools, members, rates, runs, bulk balances and intercompany positions.

Balances and positions are read in bulk (a few statements per chunk of accounts, never one per
member), so a sweep of 10,000 members costs about what one of 1,000 does, ten times over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from pooling.interest import RateSet
from pooling.model import MemberTerms, SweepRule
from pooling.tables import (
    ForeignDebtRepaymentRow,
    ForeignDebtRow,
    InterestPeriodRow,
    PoolMemberRow,
    PoolRateRow,
    PoolRow,
    RatioChangeRow,
    RestoredRecordRow,
    SweepLegRow,
    SweepRunRow,
)
from treasury.db.batches import chunks
from treasury.db.paging import Page, PageRequest, keyset_page
from treasury.ledger.model import LedgerAccountKind
from treasury.ledger.repository import internal_account_key


def get_pool_row(
    session: Session, tenant_id: str, pool_id: str, *, for_update: bool = False
) -> PoolRow | None:
    """One of the tenant's pools."""
    row = session.get(PoolRow, pool_id, with_for_update=for_update)
    return row if row is not None and row.tenant_id == tenant_id else None


def get_pool_row_any_tenant(session: Session, pool_id: str) -> PoolRow | None:
    """A pool by id whatever its tenant (the scheduler's and the operator CLI's view)."""
    return session.get(PoolRow, pool_id)


def filing_pool_rows(
    session: Session, tenant_id: str, filing_ref: str, *, lock: bool = False
) -> list[PoolRow]:
    """The tenant's pools filed under `filing_ref`, by id (locked in that order when `lock`)."""
    query = (
        select(PoolRow)
        .where(PoolRow.tenant_id == tenant_id, PoolRow.filing_ref == filing_ref)
        .order_by(PoolRow.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def list_pool_rows(session: Session, tenant_id: str | None) -> list[PoolRow]:
    """The tenant's pools (every tenant's when None: the scheduler's view)."""
    query = select(PoolRow).order_by(PoolRow.created_at, PoolRow.id)
    if tenant_id is not None:
        query = query.where(PoolRow.tenant_id == tenant_id)
    return list(session.scalars(query))


def member_rows(session: Session, pool_id: str) -> list[PoolMemberRow]:
    """A pool's members by account id."""
    query = (
        select(PoolMemberRow)
        .where(PoolMemberRow.pool_id == pool_id)
        .order_by(PoolMemberRow.account_id)
    )
    return list(session.scalars(query))


def member_rows_of_pools(session: Session, pool_ids: Sequence[str]) -> list[PoolMemberRow]:
    """The members of these pools, by pool and account id."""
    found: list[PoolMemberRow] = []
    for part in chunks(sorted(set(pool_ids))):
        query = (
            select(PoolMemberRow)
            .where(PoolMemberRow.pool_id.in_(part))
            .order_by(PoolMemberRow.pool_id, PoolMemberRow.account_id)
        )
        found.extend(session.scalars(query))
    return found


def to_terms(row: PoolMemberRow) -> MemberTerms:
    """A member row as terms."""
    return MemberTerms(
        account_id=row.account_id,
        entity_id=row.entity_id,
        rule=SweepRule(row.rule),
        target_minor=row.target_minor,
        minimum_transfer_minor=row.minimum_transfer_minor,
        concentration_ratio=row.concentration_ratio,
        foreign_debt_ratio=row.foreign_debt_ratio,
    )


def rate_sets(session: Session, pool_id: str) -> list[RateSet]:
    """A pool's interest rate sets, oldest first."""
    query = (
        select(PoolRateRow)
        .where(PoolRateRow.pool_id == pool_id)
        .order_by(PoolRateRow.effective_from)
    )
    return [
        RateSet(row.effective_from, row.credit_rate, row.debit_rate, row.day_count)
        for row in session.scalars(query)
    ]


def pooled_accounts(session: Session, account_ids: Sequence[str]) -> set[str]:
    """Which of these accounts are already members or masters of a pool."""
    found: set[str] = set()
    for part in chunks(account_ids):
        found.update(
            session.scalars(
                select(PoolMemberRow.account_id).where(PoolMemberRow.account_id.in_(part))
            )
        )
        found.update(
            session.scalars(
                select(PoolRow.master_account_id).where(PoolRow.master_account_id.in_(part))
            )
        )
    return found


def intercompany_keys(entity_id: str, host_id: str, currency: str) -> tuple[str, str]:
    """The member entity's receivable from and payable to the host, as ledger natural keys."""
    return (
        internal_account_key(
            entity_id=entity_id,
            kind=LedgerAccountKind.INTERCOMPANY_RECEIVABLE,
            currency=currency,
            counterpart_entity_id=host_id,
        ),
        internal_account_key(
            entity_id=entity_id,
            kind=LedgerAccountKind.INTERCOMPANY_PAYABLE,
            currency=currency,
            counterpart_entity_id=host_id,
        ),
    )


def ratio_changes_in_year(session: Session, entity_id: str, ratio: str, year: int) -> int:
    """How often the entity's ratio has been changed in this calendar year."""
    query = select(func.count()).where(
        RatioChangeRow.entity_id == entity_id,
        RatioChangeRow.ratio == ratio,
        RatioChangeRow.changed_on >= date(year, 1, 1),
        RatioChangeRow.changed_on <= date(year, 12, 31),
    )
    return int(session.scalar(query) or 0)


def get_run(session: Session, pool_id: str, business_date: date) -> SweepRunRow | None:
    """The run of a pool on a business date."""
    query = select(SweepRunRow).where(
        SweepRunRow.pool_id == pool_id, SweepRunRow.business_date == business_date
    )
    return session.scalars(query).one_or_none()


def list_runs(session: Session, pool_id: str, limit: int, offset: int) -> list[SweepRunRow]:
    """A pool's runs, newest business date first."""
    query = (
        select(SweepRunRow)
        .where(SweepRunRow.pool_id == pool_id)
        .order_by(SweepRunRow.business_date.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def run_page(session: Session, pool_id: str, page: PageRequest) -> Page[SweepRunRow]:
    """A page of a pool's runs, newest business date first."""
    query = select(SweepRunRow).where(SweepRunRow.pool_id == pool_id)
    order = (SweepRunRow.business_date, SweepRunRow.id)
    return keyset_page(session, query, order=order, descending=True, page=page)


def last_run_date(session: Session, pool_id: str) -> date | None:
    """The latest business date a pool was swept for."""
    query = select(func.max(SweepRunRow.business_date)).where(SweepRunRow.pool_id == pool_id)
    return session.scalar(query)


def legs_of(session: Session, run_ids: Sequence[str]) -> dict[str, list[SweepLegRow]]:
    """Legs per run, by account."""
    found: dict[str, list[SweepLegRow]] = {run_id: [] for run_id in run_ids}
    for part in chunks(list(run_ids)):
        query = (
            select(SweepLegRow)
            .where(SweepLegRow.run_id.in_(part))
            .order_by(SweepLegRow.direction.desc(), SweepLegRow.account_id)
        )
        for row in session.scalars(query):
            found[row.run_id].append(row)
    return found


def unrecorded_held_legs(session: Session, pool_id: str) -> list[SweepLegRow]:
    """Held legs of a pool whose intercompany loan is not recorded yet."""
    query = (
        select(SweepLegRow)
        .join(SweepRunRow, SweepRunRow.id == SweepLegRow.run_id)
        .where(
            SweepRunRow.pool_id == pool_id,
            SweepLegRow.status == "held",
            SweepLegRow.loan_recorded.is_(False),
        )
    )
    return list(session.scalars(query))


def leg_of_transfer(session: Session, transfer_id: str) -> tuple[SweepLegRow, str] | None:
    """The sweep leg a transfer carries, with its pool's id (None: not a pool leg)."""
    query = (
        select(SweepLegRow, SweepRunRow.pool_id)
        .join(SweepRunRow, SweepRunRow.id == SweepLegRow.run_id)
        .where(SweepLegRow.transfer_id == transfer_id)
    )
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


def last_interest_period(session: Session, pool_id: str) -> InterestPeriodRow | None:
    """The latest interest period posted for a pool."""
    query = (
        select(InterestPeriodRow)
        .where(InterestPeriodRow.pool_id == pool_id)
        .order_by(InterestPeriodRow.period_end.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def interest_period(session: Session, pool_id: str, period_end: date) -> InterestPeriodRow | None:
    """The interest period of a pool ending on `period_end`."""
    query = select(InterestPeriodRow).where(
        InterestPeriodRow.pool_id == pool_id, InterestPeriodRow.period_end == period_end
    )
    return session.scalars(query).one_or_none()


def concentration_ratio(session: Session, entity_id: str) -> Decimal:
    """The share of its equity the entity concentrates in a 251 filing (0 outside one)."""
    query = (
        select(func.max(PoolMemberRow.concentration_ratio))
        .join(PoolRow, PoolRow.id == PoolMemberRow.pool_id)
        .where(PoolMemberRow.entity_id == entity_id, PoolRow.regime == "integrated_251")
    )
    found = session.scalar(query)
    return Decimal(0) if found is None else Decimal(found)


def foreign_debt_lenders(session: Session, entity_id: str) -> dict[str, str]:
    """The lender of each of the entity's foreign-debt contracts, by contract id."""
    query = select(ForeignDebtRow.id, ForeignDebtRow.lender).where(
        ForeignDebtRow.entity_id == entity_id
    )
    return {row[0]: row[1] for row in session.execute(query)}


# Centralised current-account flows through a pool's master (regulation.md §1.6, §1.9 rule 15).
def restored_records(
    session: Session, pool_id: str, transfer_ids: Sequence[str] | None = None
) -> list[RestoredRecordRow]:
    """A pool's restored records (of these transfers), by transfer and line."""
    query = select(RestoredRecordRow).where(RestoredRecordRow.pool_id == pool_id)
    if transfer_ids is not None:
        query = query.where(RestoredRecordRow.transfer_id.in_(sorted(set(transfer_ids))))
    order = (RestoredRecordRow.transfer_id, RestoredRecordRow.line_no)
    return list(session.scalars(query.order_by(*order)))


def foreign_debt_rows(session: Session, entity_id: str) -> list[ForeignDebtRow]:
    """The entity's recorded foreign-debt contracts, by drawdown date."""
    query = (
        select(ForeignDebtRow)
        .where(ForeignDebtRow.entity_id == entity_id)
        .order_by(ForeignDebtRow.drawdown_date, ForeignDebtRow.id)
    )
    return list(session.scalars(query))


def get_foreign_debt_row(
    session: Session, debt_id: str, *, for_update: bool = False
) -> ForeignDebtRow | None:
    """One foreign-debt contract (the caller checks its tenant and entity)."""
    return session.get(ForeignDebtRow, debt_id, with_for_update=for_update)


def foreign_debt_repayments(
    session: Session, debt_ids: Sequence[str]
) -> list[ForeignDebtRepaymentRow]:
    """The repayments recorded on those contracts."""
    query = select(ForeignDebtRepaymentRow).where(
        ForeignDebtRepaymentRow.debt_id.in_(list(debt_ids))
    )
    return list(session.scalars(query))


_SWEEP_LEGS = cast(Table, SweepLegRow.__table__)


def add_sweep_legs(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """Record a run's legs: a bulk Core insert (executemany), on the unit of work's connection."""
    for part in chunks(rows, 1000):
        session.connection().execute(insert(_SWEEP_LEGS), list(part))
