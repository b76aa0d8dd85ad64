"""Audit rows: events (chain fields filled when sealed) and the chain head used by the sealer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import IdColumnType, UtcDateTime

AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEventRow(Base):
    """One state change. `chain_index`, `prev_hash` and `hash` are set once, by the sealer."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(IdColumnType(), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(IdColumnType(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(80), index=True)
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    chain_index: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHeadRow(Base):
    """Where the sealer continues: the number of sealed events and the last hash."""

    __tablename__ = "audit_chain_head"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
