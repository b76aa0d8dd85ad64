"""Rows of tenants, tokens and tenant settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import IdColumnType, UtcDateTime


class TenantRow(Base):
    """A customer group; every business row carries its tenant_id."""

    __tablename__ = "tenancy_tenant"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TokenRow(Base):
    """A bearer token, stored only as the SHA-256 of its secret."""

    __tablename__ = "tenancy_token"

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenancy_tenant.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TenantSettingsRow(Base):
    """A tenant's settings as one JSON document (validated by the settings model on the way in)."""

    __tablename__ = "tenancy_settings"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenancy_tenant.id"), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
