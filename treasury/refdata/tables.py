"""Rows of reference data; each load appends a version, none is updated in place."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from treasury.db.base import Base
from treasury.db.types import DecimalText, IdColumnType, UtcDateTime


class ParameterRow(Base):
    """One version of one parameter's value from a date on (value as JSON, numbers as strings)."""

    __tablename__ = "refdata_parameter"
    __table_args__ = (UniqueConstraint("name", "effective_from", "version"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    value_json: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReferenceRateRow(Base):
    """One version of an official rate of a day."""

    __tablename__ = "refdata_reference_rate"
    __table_args__ = (UniqueConstraint("pair", "rate_date", "version"),)

    id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)
    pair: Mapped[str] = mapped_column(String(6), index=True)
    rate_date: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(DecimalText())
    source: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BopCodeTableRow(Base):
    """A version of the BOP code table, in force from a date (the operator loads whole tables)."""

    __tablename__ = "refdata_bop_code_table"

    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BopCodeRow(Base):
    """One code of one table version."""

    __tablename__ = "refdata_bop_code"

    table_version: Mapped[str] = mapped_column(
        ForeignKey("refdata_bop_code_table.version"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(40))
    directions: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text)
