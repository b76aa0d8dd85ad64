"""Rows of settlement: versioned reference data, route decisions, ISO 20022 messages in and out.

Reference rows are appended, never updated: each load is a new version with `effective_from` and
a source note; the one in force on a date is the latest effective on or before it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import IdColumnType, UtcDateTime


class ParticipantRow(Base):
    """One version of a bank's directory entry (document as JSON)."""

    __tablename__ = "settlement_participant"
    __table_args__ = (UniqueConstraint("bic", "version"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    bic: Mapped[str] = mapped_column(String(11), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document_json: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RailRow(Base):
    """One version of a rail's configuration (document as JSON)."""

    __tablename__ = "settlement_rail"
    __table_args__ = (UniqueConstraint("rail_id", "version"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    rail_id: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document_json: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CalendarOverrideRow(Base):
    """One version of a calendar year: holidays and working days, with the notice behind them."""

    __tablename__ = "settlement_calendar_override"
    __table_args__ = (UniqueConstraint("calendar", "year", "version"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    calendar: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    holidays_json: Mapped[str] = mapped_column(Text)
    working_days_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RouteDecisionRow(Base):
    """The routing decision of a transfer: chosen route, candidates, reference-data version.

    `end_to_end_id` and `uetr` are fixed when the transfer is routed, so every payment file made
    of it later (or re-sent) carries the same identifiers.
    """

    __tablename__ = "settlement_route_decision"
    __table_args__ = (
        UniqueConstraint("transfer_id"),
        UniqueConstraint("tenant_id", "end_to_end_id"),
    )

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    transfer_id: Mapped[str] = mapped_column(IdColumnType())
    status: Mapped[str] = mapped_column(String(10))
    rail_id: Mapped[str | None] = mapped_column(String(40))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    decision_json: Mapped[str] = mapped_column(Text)
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    uetr: Mapped[str] = mapped_column(String(36))
    send_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PaymentMessageRow(Base):
    """A pain.001 file as generated (single transfer or a day's batch), kept as sent."""

    __tablename__ = "settlement_payment_message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "message_id"),
        Index("ix_settlement_payment_message_account_date", "debtor_account_id", "execution_date"),
    )

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    message_id: Mapped[str] = mapped_column(String(35))
    kind: Mapped[str] = mapped_column(String(10))  # single | batch
    debtor_account_id: Mapped[str] = mapped_column(IdColumnType())
    execution_date: Mapped[date] = mapped_column(Date)
    transfer_ids_json: Mapped[str] = mapped_column(Text)
    xml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BankReportRow(Base):
    """A status report (pain.002) or statement (camt.053) received, and what it changed."""

    __tablename__ = "settlement_bank_report"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "message_id"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    kind: Mapped[str] = mapped_column(String(10))  # pain.002 | camt.053
    message_id: Mapped[str] = mapped_column(String(35))
    sha256: Mapped[str] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatementMatchRow(Base):
    """A statement line matched to the transfer it confirms (each side matched once)."""

    __tablename__ = "settlement_statement_match"
    __table_args__ = (UniqueConstraint("statement_line_id"), UniqueConstraint("transfer_id"))

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    statement_line_id: Mapped[str] = mapped_column(ForeignKey("accounts_statement_line.id"))
    transfer_id: Mapped[str] = mapped_column(ForeignKey("payments_transfer.id"))
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime())
