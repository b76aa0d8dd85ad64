"""Rows of the review queue: review items and the officers' decisions on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import IdColumnType, UtcDateTime


class ReviewRow(Base):
    """A review item: a held transfer (`hold`) or a back-valued one seen after the event."""

    __tablename__ = "compliance_review"
    __table_args__ = (Index("ix_compliance_review_tenant_status", "tenant_id", "status"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    transfer_id: Mapped[str] = mapped_column(ForeignKey("payments_transfer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    findings_json: Mapped[str] = mapped_column(Text)
    required_approvals: Mapped[int] = mapped_column(Integer)
    approvals: Mapped[int] = mapped_column(Integer, default=0)
    created_by_token_id: Mapped[str] = mapped_column(IdColumnType())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReviewDecisionRow(Base):
    """One officer's decision on one review item (an officer decides an item at most once)."""

    __tablename__ = "compliance_review_decision"
    __table_args__ = (UniqueConstraint("review_id", "officer_token_id"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("compliance_review.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"))
    officer_token_id: Mapped[str] = mapped_column(IdColumnType())
    officer: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    references_json: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
