"""Queries for parameters and reference rates; writes append a new version."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from treasury.db.base import new_id
from treasury.refdata.model import (
    BopCode,
    Parameter,
    ParameterValue,
    ReferenceRate,
    in_force,
    latest_rate,
)
from treasury.refdata.tables import (
    BopCodeRow,
    BopCodeTableRow,
    ParameterRow,
    ReferenceRateRow,
)


def _to_parameter(row: ParameterRow) -> Parameter:
    return Parameter(
        name=row.name,
        value=json.loads(row.value_json),
        effective_from=row.effective_from,
        source=row.source,
        version=row.version,
        loaded_at=row.loaded_at,
    )


def add_parameter(
    session: Session,
    *,
    name: str,
    value: ParameterValue,
    effective_from: date,
    source: str,
    loaded_at: datetime,
) -> Parameter:
    """Append a version of a parameter's value from `effective_from` on."""
    latest = session.scalar(
        select(func.max(ParameterRow.version)).where(
            ParameterRow.name == name, ParameterRow.effective_from == effective_from
        )
    )
    row = ParameterRow(
        id=new_id(),
        name=name,
        value_json=json.dumps(value, sort_keys=True),
        effective_from=effective_from,
        source=source,
        version=(latest or 0) + 1,
        loaded_at=loaded_at,
    )
    session.add(row)
    session.flush()
    return _to_parameter(row)


def parameter_history(session: Session, name: str | None) -> list[Parameter]:
    """Every version of one parameter (or of all), by name and date."""
    query = select(ParameterRow).order_by(
        ParameterRow.name, ParameterRow.effective_from, ParameterRow.version
    )
    if name is not None:
        query = query.where(ParameterRow.name == name)
    return [_to_parameter(row) for row in session.scalars(query)]


def parameters_in_force(session: Session, on: date, name: str | None = None) -> list[Parameter]:
    """The value in force on `on` of every parameter (or of one)."""
    by_name: dict[str, list[Parameter]] = {}
    for parameter in parameter_history(session, name):
        by_name.setdefault(parameter.name, []).append(parameter)
    found = (in_force(values, on) for values in by_name.values())
    return [parameter for parameter in found if parameter is not None]


def _to_rate(row: ReferenceRateRow) -> ReferenceRate:
    return ReferenceRate(
        pair=row.pair,
        rate_date=row.rate_date,
        rate=row.rate,
        source=row.source,
        version=row.version,
    )


def add_reference_rate(
    session: Session, *, pair: str, rate_date: date, rate: Decimal, source: str, loaded_at: datetime
) -> ReferenceRate:
    """Append a version of a pair's official rate of a day."""
    latest = session.scalar(
        select(func.max(ReferenceRateRow.version)).where(
            ReferenceRateRow.pair == pair, ReferenceRateRow.rate_date == rate_date
        )
    )
    row = ReferenceRateRow(
        id=new_id(),
        pair=pair,
        rate_date=rate_date,
        rate=rate,
        source=source,
        version=(latest or 0) + 1,
        loaded_at=loaded_at,
    )
    session.add(row)
    session.flush()
    return _to_rate(row)


def reference_rate_on(session: Session, pair: str, on: date) -> ReferenceRate | None:
    """The pair's rate of the latest date on or before `on`."""
    latest_date = session.scalar(
        select(func.max(ReferenceRateRow.rate_date)).where(
            ReferenceRateRow.pair == pair, ReferenceRateRow.rate_date <= on
        )
    )
    if latest_date is None:
        return None
    query = select(ReferenceRateRow).where(
        ReferenceRateRow.pair == pair, ReferenceRateRow.rate_date == latest_date
    )
    return latest_rate([_to_rate(row) for row in session.scalars(query)], on)


def list_reference_rates(
    session: Session, *, pair: str | None, date_from: date | None, date_to: date | None
) -> list[ReferenceRate]:
    """Every version of the rates, by pair and date."""
    query = select(ReferenceRateRow).order_by(
        ReferenceRateRow.pair, ReferenceRateRow.rate_date, ReferenceRateRow.version
    )
    if pair is not None:
        query = query.where(ReferenceRateRow.pair == pair)
    if date_from is not None:
        query = query.where(ReferenceRateRow.rate_date >= date_from)
    if date_to is not None:
        query = query.where(ReferenceRateRow.rate_date <= date_to)
    return [_to_rate(row) for row in session.scalars(query)]


def bop_table_in_force(session: Session, on: date) -> str | None:
    """The version of the BOP code table in force on a date (latest effective on or before)."""
    query = (
        select(BopCodeTableRow.version)
        .where(BopCodeTableRow.effective_from <= on)
        .order_by(BopCodeTableRow.effective_from.desc(), BopCodeTableRow.loaded_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def bop_code(session: Session, *, table_version: str, code: str) -> BopCode | None:
    """One code of a table version."""
    row = session.get(BopCodeRow, (table_version, code))
    if row is None:
        return None
    return BopCode(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        category=row.category,
        directions=row.directions,
        table_version=row.table_version,
    )


def add_bop_table(
    session: Session,
    *,
    version: str,
    effective_from: date,
    source: str,
    rows: list[dict[str, str]],
    loaded_at: datetime,
) -> int:
    """Store a whole BOP code table as a new version; returns the number of codes."""
    session.add(
        BopCodeTableRow(
            version=version, effective_from=effective_from, source=source, loaded_at=loaded_at
        )
    )
    session.flush()
    session.execute(
        insert(BopCodeRow),
        [{**bop_row_values(row), "table_version": version} for row in rows],
    )
    return len(rows)


def bop_row_values(row: dict[str, str]) -> dict[str, str]:
    """The stored columns of one CSV row of a BOP code table."""
    return {
        "code": row["code"].strip(),
        "name_zh": row.get("name_zh", "") or "",
        "name_en": row.get("name_en", "") or "",
        "category": row.get("category", "") or "",
        "account": row.get("account", "") or "",
        "directions": (row.get("directions") or "both").strip(),
        "notes": row.get("notes", "") or "",
    }


def list_bop_codes(session: Session, table_version: str) -> list[BopCode]:
    """Every code of a table version."""
    query = (
        select(BopCodeRow)
        .where(BopCodeRow.table_version == table_version)
        .order_by(BopCodeRow.code)
    )
    return [
        BopCode(r.code, r.name_zh, r.name_en, r.category, r.directions, r.table_version)
        for r in session.scalars(query)
    ]


def bop_table_exists(session: Session, version: str) -> bool:
    """Whether a BOP code table version is stored already."""
    return session.get(BopCodeTableRow, version) is not None
