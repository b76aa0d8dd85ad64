"""The idempotency key row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import IdColumnType, UtcDateTime


class IdempotencyKeyRow(Base):
    """A used key: which request it carried (hash) and what that request produced."""

    __tablename__ = "idempotency_key"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[str] = mapped_column(IdColumnType())
    response_status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
