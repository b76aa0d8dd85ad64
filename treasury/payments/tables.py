"""The transfer row: the instruction, its outcome, findings and route (JSON documents)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import DecimalText, IdColumnType, UtcDateTime


class TransferRow(Base):
    """A transfer on record."""

    __tablename__ = "payments_transfer"
    __table_args__ = (
        Index("ix_payments_transfer_tenant_status", "tenant_id", "status"),
        # lists page newest first by (created_at, id)
        Index("ix_payments_transfer_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    status: Mapped[str] = mapped_column(String(16))
    debtor_account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts_bank_account.id"), index=True
    )
    creditor_account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts_bank_account.id"))
    counterparty_id: Mapped[str | None] = mapped_column(ForeignKey("accounts_counterparty.id"))
    creditor_json: Mapped[str | None] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    creditor_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    creditor_currency: Mapped[str | None] = mapped_column(String(3))
    fx_rate: Mapped[Decimal | None] = mapped_column(DecimalText())
    requested_value_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(40))
    bop_code: Mapped[str | None] = mapped_column(String(6))
    wealth_product_risk_rating: Mapped[int | None] = mapped_column(Integer)
    references_json: Mapped[str] = mapped_column(Text)
    remark: Mapped[str | None] = mapped_column(String(500))
    market: Mapped[str | None] = mapped_column(String(3))  # CNH for offshore RMB, else currency
    crosses_border: Mapped[bool] = mapped_column(Boolean)
    back_valued: Mapped[bool] = mapped_column(Boolean)
    findings_json: Mapped[str] = mapped_column(Text)
    route_json: Mapped[str | None] = mapped_column(Text)
    journal_entry_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_journal_entry.id"))
    review_id: Mapped[str | None] = mapped_column(IdColumnType())
    reserved_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_token_id: Mapped[str] = mapped_column(IdColumnType())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The rate as the treasurer quoted it (market convention, e.g. USDCNY 7.10); fx_rate is the
    # creditor-per-debtor rate derived from it.
    fx_quote_pair: Mapped[str | None] = mapped_column(String(6))
    fx_quote_rate: Mapped[Decimal | None] = mapped_column(DecimalText())
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancellation_entry_id: Mapped[str | None] = mapped_column(IdColumnType())  # the reversal


class PaymentRunRow(Base):
    """A payment run: an ERP's day of supplier payments handed over at once (JSON or pain.001)."""

    __tablename__ = "payments_payment_run"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(140))
    # "json", or the pain.001 version it came in (e.g. "pain.001.001.03")
    source: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(35))  # the pain.001's GrpHdr/MsgId
    item_count: Mapped[int] = mapped_column(Integer)
    created_by_token_id: Mapped[str] = mapped_column(IdColumnType())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PaymentRunItemRow(Base):
    """One item of a run: the transfer it became, or the error that kept it from becoming one.

    Its status and findings are the transfer's (read from it, so they follow a review's decision).
    """

    __tablename__ = "payments_payment_run_item"

    run_id: Mapped[str] = mapped_column(ForeignKey("payments_payment_run.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0-based, in input order
    transfer_id: Mapped[str | None] = mapped_column(ForeignKey("payments_transfer.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(35))  # the ERP's end-to-end id
    error_json: Mapped[str | None] = mapped_column(Text)  # {code, detail, errors?}
