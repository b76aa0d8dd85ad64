"""Rows of entities, counterparties, bank accounts and statement lines (amounts in minor units)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import DecimalText, IdColumnType, UtcDateTime


class EntityRow(Base):
    """A legal entity of a tenant's group. CNY figures are minor units of CNY."""

    __tablename__ = "accounts_entity"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(32))
    trade_fx_class: Mapped[str] = mapped_column(String(1))
    owners_equity_minor: Mapped[int | None] = mapped_column(BigInteger)
    net_assets_minor: Mapped[int | None] = mapped_column(BigInteger)
    lending_in_business_scope: Mapped[bool] = mapped_column(Boolean)
    quality_enterprise: Mapped[bool] = mapped_column(Boolean)
    established_on: Mapped[date | None] = mapped_column(Date)
    prior_year_revenue_minor: Mapped[int | None] = mapped_column(BigInteger)
    prior_year_cross_border_volume_minor: Mapped[int | None] = mapped_column(BigInteger)
    parent_entity_id: Mapped[str | None] = mapped_column(ForeignKey("accounts_entity.id"))
    cross_border_debt_mode: Mapped[str] = mapped_column(String(32))
    facilitation_certificate: Mapped[str | None] = mapped_column(Text)  # JSON
    shareholding_ratio: Mapped[Decimal] = mapped_column(DecimalText())
    total_investment_minor: Mapped[int | None] = mapped_column(BigInteger)
    total_investment_currency: Mapped[str | None] = mapped_column(String(3))
    registered_capital_minor: Mapped[int | None] = mapped_column(BigInteger)
    registered_capital_currency: Mapped[str | None] = mapped_column(String(3))
    last_fx_penalty_on: Mapped[date | None] = mapped_column(Date)
    capital_payment_facilitation: Mapped[bool] = mapped_column(Boolean, server_default=false())
    independent_legal_person: Mapped[bool] = mapped_column(Boolean, server_default=true())
    uscc: Mapped[str | None] = mapped_column(String(18))
    lei: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)  # JSON: accounts.model.PostalAddress
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Moved on by every ORM update of the row (the mapper's version counter): how the transfer's
    # cache of entities (`treasury.accounts.cache`) knows the one it holds is still current.
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once, by the mapper


class CounterpartyRow(Base):
    """An external party; `affiliated` is master data, never taken from a payment."""

    __tablename__ = "accounts_counterparty"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(2))
    bank_bic: Mapped[str | None] = mapped_column(String(11))
    account: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text)  # JSON
    affiliated: Mapped[bool] = mapped_column(Boolean)
    lei: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BankAccountRow(Base):
    """A bank account; its id is also its ledger account's id."""

    __tablename__ = "accounts_bank_account"
    __table_args__ = (UniqueConstraint("tenant_id", "bank_bic", "number", "currency"),)

    id: Mapped[str] = mapped_column(ForeignKey("ledger_account.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(32))
    bank_bic: Mapped[str | None] = mapped_column(String(11))
    number: Mapped[str] = mapped_column(String(64))
    # The province (CtrySubDvsn) of the branch holding the account: a 251 partner bank's location.
    branch_subdivision: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatementLineRow(Base):
    """A bank statement line, imported once per (account, bank_ref)."""

    __tablename__ = "accounts_statement_line"
    __table_args__ = (UniqueConstraint("account_id", "bank_ref"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts_bank_account.id"))
    bank_ref: Mapped[str] = mapped_column(String(64))
    value_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(500))
    counterparty: Mapped[str | None] = mapped_column(String(300))
    journal_entry_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_journal_entry.id"))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Out of suspense, once: to the transfer it belongs to or to a ledger account, by an entry.
    classified_transfer_id: Mapped[str | None] = mapped_column(IdColumnType())
    classified_ledger_account_id: Mapped[str | None] = mapped_column(IdColumnType())
    classification_entry_id: Mapped[str | None] = mapped_column(IdColumnType())
    classification_reason: Mapped[str | None] = mapped_column(String(500))
    classified_by: Mapped[str | None] = mapped_column(String(200))
    classified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
