"""Rows of pools, members, ratio changes, sweep runs and legs, interest periods, foreign debts.

Amounts are integer minor units beside their currency; rates and ratios exact decimal strings.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import DecimalText, IdColumnType, UtcDateTime


class PoolRow(Base):
    """A cash pool around one master account of its host entity."""

    __tablename__ = "pooling_pool"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    regime: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    master_account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts_bank_account.id"), unique=True
    )
    host_entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"))
    filing_ref: Mapped[str | None] = mapped_column(String(100))
    bop_code: Mapped[str | None] = mapped_column(String(6))
    schedule: Mapped[str] = mapped_column(String(5))  # HH:MM, local time of the service
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PoolRateRow(Base):
    """A pool's interest rates from a date on (effective-dated)."""

    __tablename__ = "pooling_rate"

    pool_id: Mapped[str] = mapped_column(ForeignKey("pooling_pool.id"), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    credit_rate: Mapped[Decimal] = mapped_column(DecimalText())
    debit_rate: Mapped[Decimal] = mapped_column(DecimalText())
    day_count: Mapped[str] = mapped_column(String(10))


class PoolMemberRow(Base):
    """A member account: its sweep rule and its entity's ratios. An account is in one pool."""

    __tablename__ = "pooling_member"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts_bank_account.id"), primary_key=True
    )
    pool_id: Mapped[str] = mapped_column(ForeignKey("pooling_pool.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType())
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"))
    rule: Mapped[str] = mapped_column(String(20))
    target_minor: Mapped[int] = mapped_column(BigInteger)
    minimum_transfer_minor: Mapped[int] = mapped_column(BigInteger)
    concentration_ratio: Mapped[Decimal | None] = mapped_column(DecimalText())
    foreign_debt_ratio: Mapped[Decimal | None] = mapped_column(DecimalText())
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RatioChangeRow(Base):
    """A change of an entity's concentration or foreign-debt ratio (at most one a year)."""

    __tablename__ = "pooling_ratio_change"
    __table_args__ = (Index("ix_pooling_ratio_change_entity", "entity_id", "changed_on"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pooling_pool.id"))
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"))
    ratio: Mapped[str] = mapped_column(String(32))  # concentration_ratio | foreign_debt_ratio
    old_value: Mapped[Decimal | None] = mapped_column(DecimalText())
    new_value: Mapped[Decimal | None] = mapped_column(DecimalText())
    changed_on: Mapped[date] = mapped_column(Date)


class SweepRunRow(Base):
    """One run per (pool, business date): the run key that makes a re-run post nothing."""

    __tablename__ = "pooling_sweep_run"
    __table_args__ = (UniqueConstraint("pool_id", "business_date"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pooling_pool.id"))
    business_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean)
    journal_entry_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_journal_entry.id"))
    intercompany_entry_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_journal_entry.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SweepLegRow(Base):
    """One leg of a run, with its transfer when it crossed the border."""

    __tablename__ = "pooling_sweep_leg"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("pooling_sweep_run.id"), index=True)
    account_id: Mapped[str] = mapped_column(IdColumnType())
    entity_id: Mapped[str] = mapped_column(IdColumnType())
    direction: Mapped[str] = mapped_column(String(16))
    requested_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    cross_border: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    transfer_id: Mapped[str | None] = mapped_column(IdColumnType(), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    # A held leg approved later has its intercompany loan recorded by a later run.
    loan_recorded: Mapped[bool] = mapped_column(Boolean)


class InterestPeriodRow(Base):
    """Interest posted for a pool up to a period end (one per pool and period end)."""

    __tablename__ = "pooling_interest_period"
    __table_args__ = (UniqueConstraint("pool_id", "period_end"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pooling_pool.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    journal_entry_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_journal_entry.id"))
    lines_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ForeignDebtRow(Base):
    """A foreign-debt contract of an entity (full-coverage cross-border financing)."""

    __tablename__ = "pooling_foreign_debt"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"), index=True)
    lender: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    outstanding_minor: Mapped[int] = mapped_column(BigInteger)
    drawdown_date: Mapped[date] = mapped_column(Date)
    maturity_date: Mapped[date] = mapped_column(Date)
    # the measure that admitted it: macro_prudential | facilitation (issue 12 item 3)
    basis: Mapped[str] = mapped_column(String(20), server_default="macro_prudential")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ForeignDebtRepaymentRow(Base):
    """A repayment of principal; the headroom comes back at once."""

    __tablename__ = "pooling_foreign_debt_repayment"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    debt_id: Mapped[str] = mapped_column(ForeignKey("pooling_foreign_debt.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    repayment_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RestoredRecordRow(Base):
    """One restored (还原) line of a centralised current-account flow through a pool's master:
    the member it belongs to, its direction and amount (regulation.md §1.6, §1.9 rule 15)."""

    __tablename__ = "pooling_restored_record"
    __table_args__ = (UniqueConstraint("transfer_id", "line_no"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pooling_pool.id"), index=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("payments_transfer.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"))
    direction: Mapped[str] = mapped_column(String(8))  # receipt | payment
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    bop_code: Mapped[str | None] = mapped_column(String(6))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
