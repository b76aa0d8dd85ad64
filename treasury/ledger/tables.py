"""Ledger rows. Entries and postings are append-only (database triggers refuse UPDATE, DELETE)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import IdColumnType, UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


class LedgerAccountRow(Base):
    """A ledger account with its running balance (the hot path never sums history)."""

    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("tenant_id", "account_key"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    # Natural key: "bank:<id>" or "<entity>:<kind>:<currency>[:<counterpart entity>]".
    account_key: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[str | None] = mapped_column(IdColumnType(), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    counterpart_entity_id: Mapped[str | None] = mapped_column(IdColumnType())
    name: Mapped[str] = mapped_column(String(200))
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # None: no limit is enforced (internal accounts); bank accounts carry 0 or their facility.
    overdraft_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JournalEntryRow(Base):
    """A balanced journal entry; a reversal points at the entry it undoes (at most one each)."""

    __tablename__ = "ledger_journal_entry"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    value_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500))
    reverses_entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_journal_entry.id"), unique=True
    )
    source_id: Mapped[str | None] = mapped_column(IdColumnType(), index=True)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Why a reversal corrects its original. Deferred: an earlier migration (ledger_guards) loads
    # entries through this class before the column exists; readers fetch it by id
    # (`repository.reasons_of`).
    reason: Mapped[str | None] = mapped_column(String(500), deferred=True)


class PostingRow(Base):
    """One movement of a positive amount from the credit account to the debit account."""

    __tablename__ = "ledger_posting"
    __table_args__ = (
        Index("ix_ledger_posting_debit_value", "debit_account_id", "value_date"),
        Index("ix_ledger_posting_credit_value", "credit_account_id", "value_date"),
        Index("ix_ledger_posting_tenant_value", "tenant_id", "value_date"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_journal_entry.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType())
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.id"))
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date] = mapped_column(Date)


class AccountDayRow(Base):
    """Net movement of one account on one value date: balance as of D = balance − later days."""

    __tablename__ = "ledger_account_day"

    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.id"), primary_key=True)
    value_date: Mapped[date] = mapped_column(Date, primary_key=True)
    movement_minor: Mapped[int] = mapped_column(BigInteger)
