"""Rows of the hedge book: market snapshots, exposures, hedges, valuations, revaluation runs.

Amounts are integer minor units next to their currency; rates are decimal strings.
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

AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


class MarketSnapshotRow(Base):
    """One day's market data of a tenant (one snapshot per as_of)."""

    __tablename__ = "hedging_market_snapshot"
    __table_args__ = (UniqueConstraint("tenant_id", "as_of"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    as_of: Mapped[date] = mapped_column(Date)
    document_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ExposureRow(Base):
    """A documented FX exposure: an expected receipt or payment of the base currency."""

    __tablename__ = "hedging_exposure"
    __table_args__ = (Index("ix_hedging_exposure_tenant_entity", "tenant_id", "entity_id"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"))
    pair: Mapped[str] = mapped_column(String(6))
    direction: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expected_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HedgeRow(Base):
    """A hedge deal against one exposure (its fair value in the ledger is its last valuation)."""

    __tablename__ = "hedging_hedge"
    __table_args__ = (Index("ix_hedging_hedge_tenant_status", "tenant_id", "status"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    entity_id: Mapped[str] = mapped_column(ForeignKey("accounts_entity.id"))
    exposure_id: Mapped[str] = mapped_column(ForeignKey("hedging_exposure.id"), index=True)
    trade_date: Mapped[date] = mapped_column(Date)
    instrument_type: Mapped[str] = mapped_column(String(12))
    pair: Mapped[str] = mapped_column(String(6))
    # The notional; for a combination its maximum delivery (what real demand counts).
    notional_minor: Mapped[int] = mapped_column(BigInteger)
    notional_currency: Mapped[str] = mapped_column(String(3))
    instrument_json: Mapped[str] = mapped_column(Text)
    # What the daily revaluation needs of a forward or a European option without parsing the
    # document: the side, the strike, call or put, and whether it is such a plain ("vanilla") deal.
    direction: Mapped[str] = mapped_column(String(4))
    strike: Mapped[Decimal | None] = mapped_column(DecimalText())
    option_type: Mapped[str | None] = mapped_column(String(4))
    vanilla: Mapped[bool] = mapped_column(Boolean)
    last_date: Mapped[date] = mapped_column(Date)
    designation: Mapped[str] = mapped_column(String(12))
    locked_rate: Mapped[Decimal | None] = mapped_column(DecimalText())
    # live, matured, closed; held (its delivery waits for an officer), undelivered (refused).
    status: Mapped[str] = mapped_column(String(16))
    closed_date: Mapped[date | None] = mapped_column(Date)
    change_of_underlying_ref: Mapped[str | None] = mapped_column(String(200))
    # The entity's CNY bank account that receives or pays the net settlement.
    settlement_account_id: Mapped[str] = mapped_column(IdColumnType())
    # A gross-settled forward's bank account in the base currency (the CNY leg uses the above).
    delivery_account_id: Mapped[str | None] = mapped_column(IdColumnType())
    # A gross settlement's transfer and where it stands (held, delivered, rejected, lapsed), the
    # base it delivered (the real-demand flow), and the deal's value settled on `settled_on`.
    delivery_transfer_id: Mapped[str | None] = mapped_column(IdColumnType())
    delivery_status: Mapped[str | None] = mapped_column(String(12))
    delivered_minor: Mapped[int | None] = mapped_column(BigInteger)
    settled_minor: Mapped[int | None] = mapped_column(BigInteger)
    settled_on: Mapped[date | None] = mapped_column(Date)
    # The dealing bank (a counterparty of the tenant): what a net settlement owes is paid to it.
    counterparty_id: Mapped[str | None] = mapped_column(IdColumnType())
    # An option's premium (a combination's net premium), paid to or received from the dealing
    # bank on `premium_date` from or to `premium_account_id`: its transfer, where it stands
    # (none: zero-cost; booked, held, rejected; expected, received: a premium received), and
    # the revaluation date that put it into the deal's value.
    premium_minor: Mapped[int | None] = mapped_column(BigInteger)
    premium_currency: Mapped[str | None] = mapped_column(String(3))
    premium_direction: Mapped[str | None] = mapped_column(String(7))
    premium_date: Mapped[date | None] = mapped_column(Date)
    premium_account_id: Mapped[str | None] = mapped_column(IdColumnType())
    premium_transfer_id: Mapped[str | None] = mapped_column(IdColumnType())
    premium_status: Mapped[str | None] = mapped_column(String(12))
    premium_recognised_on: Mapped[date | None] = mapped_column(Date)
    # A swap's near leg held for the officers: its transfer and where it stands (held, booked,
    # rejected).
    near_transfer_id: Mapped[str | None] = mapped_column(IdColumnType())
    near_status: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ValuationRow(Base):
    """A hedge's value on a revaluation date (and its hypothetical derivative's, if designated)."""

    __tablename__ = "hedging_valuation"
    __table_args__ = (UniqueConstraint("hedge_id", "as_of"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(IdColumnType())
    hedge_id: Mapped[str] = mapped_column(ForeignKey("hedging_hedge.id"))
    run_id: Mapped[str] = mapped_column(ForeignKey("hedging_revaluation_run.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    npv_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    forward_rate: Mapped[str] = mapped_column(String(40))
    hypothetical_npv_minor: Mapped[int | None] = mapped_column(BigInteger)
    # A deal settled on `as_of` (matured or closed): the cash it moved (its value there); else null.
    settlement_minor: Mapped[int | None] = mapped_column(BigInteger)


class RevaluationRunRow(Base):
    """A tenant's revaluation of one date: its run key is (tenant, as_of)."""

    __tablename__ = "hedging_revaluation_run"
    __table_args__ = (UniqueConstraint("tenant_id", "as_of"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    as_of: Mapped[date] = mapped_column(Date)
    snapshot_as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(Integer)
    settled: Mapped[int] = mapped_column(Integer)
    npv_total_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
