"""Queries for transfers and the row ↔ value map."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, cast

from sqlalchemy import Select, Table, func, insert, select
from sqlalchemy.orm import Session

from compliance.model import Finding
from treasury.db.paging import Page, PageRequest, keyset_page
from treasury.db.prepared import Prepared
from treasury.money import Money
from treasury.payments.model import (
    NEW,
    Cancellation,
    FxQuote,
    Purpose,
    Transfer,
    TransferRequest,
    TransferStatus,
)
from treasury.payments.tables import TransferRow
from treasury.tenancy.model import Principal


def to_transfer(row: TransferRow) -> Transfer:
    """The value of a transfer row."""
    creditor_amount = (
        None
        if row.creditor_amount_minor is None or row.creditor_currency is None
        else Money.from_minor(row.creditor_amount_minor, row.creditor_currency)
    )
    return Transfer(
        id=row.id,
        status=TransferStatus(row.status),
        debtor_account_id=row.debtor_account_id,
        creditor_account_id=row.creditor_account_id,
        counterparty_id=row.counterparty_id,
        creditor=None if row.creditor_json is None else json.loads(row.creditor_json),
        amount=Money.from_minor(row.amount_minor, row.currency),
        creditor_amount=creditor_amount,
        fx_rate=row.fx_rate,
        requested_value_date=row.requested_value_date,
        value_date=row.value_date,
        purpose=Purpose(row.purpose),
        bop_code=row.bop_code,
        wealth_product_risk_rating=row.wealth_product_risk_rating,
        references=json.loads(row.references_json),
        remark=row.remark,
        crosses_border=row.crosses_border,
        back_valued=row.back_valued,
        findings=tuple(Finding.from_document(item) for item in json.loads(row.findings_json)),
        route=None if row.route_json is None else json.loads(row.route_json),
        journal_id=row.journal_entry_id,
        review_id=row.review_id,
        market=row.market or row.currency,
        fx_quote=_fx_quote(row),
        cancellation=_cancellation(row),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _fx_quote(row: TransferRow) -> FxQuote | None:
    if row.fx_quote_pair is None or row.fx_quote_rate is None:
        return None
    return FxQuote(row.fx_quote_pair, row.fx_quote_rate)


def _cancellation(row: TransferRow) -> Cancellation | None:
    if row.cancelled_at is None:
        return None
    return Cancellation(
        reason=row.cancellation_reason or "",
        cancelled_by=row.cancelled_by or "",
        cancelled_at=row.cancelled_at,
        reversal_entry_id=row.cancellation_entry_id,
    )


def get_transfer_row(
    session: Session, tenant_id: str, transfer_id: str, *, for_update: bool = False
) -> TransferRow | None:
    """One of the tenant's transfers."""
    row = session.get(TransferRow, transfer_id, with_for_update=for_update)
    return row if row is not None and row.tenant_id == tenant_id else None


def lock_transfer_rows(
    session: Session, tenant_id: str, transfer_ids: Iterable[str]
) -> dict[str, TransferRow]:
    """The tenant's transfers among these ids, locked (SELECT … FOR UPDATE on PostgreSQL) and
    read afresh in ascending id order, a 1,000 per read: two bank files naming the same
    transfers in opposite orders never each hold one and wait for the other's (a deadlock).

    The session's pending changes are flushed first: read afresh, a row changed earlier in this
    unit of work (the unit of work does not autoflush) would lose its unwritten change."""
    session.flush()
    ids = sorted(set(transfer_ids))
    found: dict[str, TransferRow] = {}
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        query = (
            select(TransferRow)
            .where(TransferRow.id.in_(part), TransferRow.tenant_id == tenant_id)
            .order_by(TransferRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found.update({row.id: row for row in session.scalars(query)})
    return found


def account_transfer_rows(
    session: Session, tenant_id: str, debtor_account_id: str, transfer_ids: Iterable[str]
) -> list[TransferRow]:
    """The tenant's transfers among these ids paid from an account, oldest first (by creation,
    then id; a 1,000 ids per read)."""
    ids = sorted(set(transfer_ids))
    found: list[TransferRow] = []
    for start in range(0, len(ids), 1000):
        query = select(TransferRow).where(
            TransferRow.id.in_(ids[start : start + 1000]),
            TransferRow.tenant_id == tenant_id,
            TransferRow.debtor_account_id == debtor_account_id,
        )
        found.extend(session.scalars(query))
    return sorted(found, key=lambda row: (row.created_at, row.id))


def list_transfers(
    session: Session,
    *,
    tenant_id: str,
    status: TransferStatus | None,
    account_id: str | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    offset: int,
) -> list[Transfer]:
    """The tenant's transfers, newest first, filtered."""
    query = select(TransferRow).where(TransferRow.tenant_id == tenant_id)
    if status is not None:
        query = query.where(TransferRow.status == status.value)
    if account_id is not None:
        query = query.where(
            (TransferRow.debtor_account_id == account_id)
            | (TransferRow.creditor_account_id == account_id)
        )
    if date_from is not None:
        query = query.where(TransferRow.requested_value_date >= date_from)
    if date_to is not None:
        query = query.where(TransferRow.requested_value_date <= date_to)
    query = (
        query.order_by(TransferRow.created_at.desc(), TransferRow.id).limit(limit).offset(offset)
    )
    return [to_transfer(row) for row in session.scalars(query)]


@dataclass(frozen=True)
class TransferFilter:
    """What a transfer list is narrowed to; `account_ids` are an entity's accounts (either side)."""

    status: TransferStatus | None = None
    account_id: str | None = None
    account_ids: Sequence[str] | None = None
    debtor_account_id: str | None = None
    counterparty_id: str | None = None
    purpose: Purpose | None = None
    date_from: date | None = None
    date_to: date | None = None


def _filtered(query: Select[TransferRow], where: TransferFilter) -> Select[TransferRow]:
    if where.status is not None:
        query = query.where(TransferRow.status == where.status.value)
    if where.account_id is not None:
        query = query.where(
            (TransferRow.debtor_account_id == where.account_id)
            | (TransferRow.creditor_account_id == where.account_id)
        )
    if where.account_ids is not None:
        query = query.where(
            TransferRow.debtor_account_id.in_(where.account_ids)
            | TransferRow.creditor_account_id.in_(where.account_ids)
        )
    if where.debtor_account_id is not None:
        query = query.where(TransferRow.debtor_account_id == where.debtor_account_id)
    if where.counterparty_id is not None:
        query = query.where(TransferRow.counterparty_id == where.counterparty_id)
    if where.purpose is not None:
        query = query.where(TransferRow.purpose == where.purpose.value)
    if where.date_from is not None:
        query = query.where(TransferRow.requested_value_date >= where.date_from)
    if where.date_to is not None:
        query = query.where(TransferRow.requested_value_date <= where.date_to)
    return query


def transfer_page(
    session: Session, *, tenant_id: str, where: TransferFilter, page: PageRequest
) -> Page[Transfer]:
    """A page of the tenant's transfers, newest first (creation time, then id), filtered."""
    query = _filtered(select(TransferRow).where(TransferRow.tenant_id == tenant_id), where)
    found = keyset_page(
        session, query, order=(TransferRow.created_at, TransferRow.id), descending=True, page=page
    )
    return Page(
        rows=[to_transfer(row) for row in found.rows], total=found.total, next_key=found.next_key
    )


def recent_transfers(
    session: Session, tenant_id: str, *, created_by_token_id: str | None, limit: int
) -> list[Transfer]:
    """The tenant's latest transfers (of one token's making when given), newest first."""
    query = select(TransferRow).where(TransferRow.tenant_id == tenant_id)
    if created_by_token_id is not None:
        query = query.where(TransferRow.created_by_token_id == created_by_token_id)
    query = query.order_by(TransferRow.created_at.desc(), TransferRow.id).limit(limit)
    return [to_transfer(row) for row in session.scalars(query)]


class HeldAmount(NamedTuple):
    """What a held transfer will move once approved, and when."""

    debtor_account_id: str
    creditor_account_id: str | None
    amount_minor: int
    currency: str
    creditor_amount_minor: int | None
    creditor_currency: str | None
    value_date: date


def held_amounts(session: Session, tenant_id: str) -> list[HeldAmount]:
    """The tenant's held transfers (their amounts reserved on the debtor accounts), as plain
    columns: the value date set, else the one asked for."""
    query = select(
        TransferRow.debtor_account_id,
        TransferRow.creditor_account_id,
        TransferRow.amount_minor,
        TransferRow.currency,
        TransferRow.creditor_amount_minor,
        TransferRow.creditor_currency,
        func.coalesce(TransferRow.value_date, TransferRow.requested_value_date),
    ).where(TransferRow.tenant_id == tenant_id, TransferRow.status == TransferStatus.HELD.value)
    return [HeldAmount(*row) for row in session.execute(query)]


def spent_from(
    session: Session,
    tenant_id: str,
    *,
    debtor_account_ids: Sequence[str],
    purpose: str,
    statuses: Sequence[str],
    value_dates: tuple[date, date],
    exclude_transfer_id: str | None,
) -> list[tuple[int, str, date]]:
    """(amount_minor, currency, requested value date) of the transfers of `purpose` in
    `statuses` paid from those accounts with a requested value date in [start, end)."""
    start, end = value_dates
    query = select(
        TransferRow.amount_minor, TransferRow.currency, TransferRow.requested_value_date
    ).where(
        TransferRow.tenant_id == tenant_id,
        TransferRow.debtor_account_id.in_(list(debtor_account_ids)),
        TransferRow.purpose == purpose,
        TransferRow.status.in_(list(statuses)),
        TransferRow.requested_value_date >= start,
        TransferRow.requested_value_date < end,
    )
    if exclude_transfer_id is not None:
        query = query.where(TransferRow.id != exclude_transfer_id)
    return [(row[0], row[1], row[2]) for row in session.execute(query).all()]


def new_transfer_row(
    *,
    transfer_id: str,
    tenant_id: str,
    actor: Principal,
    request: TransferRequest,
    today: date,
    now: datetime,
    crosses_border: bool = False,
) -> TransferRow:
    """The row of a transfer about to enter the pipeline (status `new`), not yet added: for a
    transfer a treasurer asked for and for a pool's sweep leg (which crosses the border)."""
    return TransferRow(
        id=transfer_id,
        tenant_id=tenant_id,
        status=NEW,
        debtor_account_id=request.debtor_account_id,
        creditor_account_id=request.creditor_account_id,
        counterparty_id=request.counterparty_id,
        creditor_json=None if request.creditor is None else json.dumps(request.creditor),
        amount_minor=request.amount.minor,
        currency=request.amount.currency.code,
        fx_rate=request.fx_rate,
        fx_quote_pair=None if request.fx_quote is None else request.fx_quote.pair,
        fx_quote_rate=None if request.fx_quote is None else request.fx_quote.rate,
        requested_value_date=request.value_date,
        purpose=request.purpose.value,
        bop_code=request.bop_code,
        wealth_product_risk_rating=request.wealth_product_risk_rating,
        references_json=json.dumps(request.references, sort_keys=True),
        remark=request.remark,
        crosses_border=crosses_border,
        back_valued=request.value_date < today,
        findings_json="[]",
        reserved_minor=0,
        created_by_token_id=actor.token_id,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )


def insert_transfers(session: Session, rows: Sequence[TransferRow]) -> None:
    """Write transfer rows made by `new_transfer_row` (and taken to their outcome) by one prepared
    insert in the session's transaction: never read back as ORM objects in its unit of work, so
    they cost no flush each."""
    _INSERT_TRANSFER.run(
        session, [{key: row.__dict__.get(key) for key in _TRANSFER_COLUMNS} for row in rows]
    )


_TRANSFERS = cast(Table, TransferRow.__table__)
_TRANSFER_COLUMNS = tuple(column.key for column in _TRANSFERS.columns)
# Every column given (None where the row has none); compiled once, run on the driver's cursor.
_INSERT_TRANSFER = Prepared(insert(_TRANSFERS), _TRANSFER_COLUMNS)


def transfer_statuses(session: Session, transfer_ids: Sequence[str]) -> dict[str, str]:
    """The current status of these transfers, by id."""
    found: dict[str, str] = {}
    ids = list(transfer_ids)
    for start in range(0, len(ids), 1000):
        query = select(TransferRow.id, TransferRow.status).where(
            TransferRow.id.in_(ids[start : start + 1000])
        )
        found.update({row[0]: row[1] for row in session.execute(query)})
    return found


class AccountFlow(NamedTuple):
    """A transfer's movement through an account, as plain columns."""

    id: str
    debtor_account_id: str
    amount: Money
    value_date: date  # the value date, else the requested one
    creditor_account_id: str | None
    purpose: str


def cross_border_flows_through(
    session: Session,
    tenant_id: str,
    account_id: str,
    *,
    purposes: Iterable[str],
    statuses: Sequence[str],
    until: date | None = None,
) -> list[AccountFlow]:
    """The cross-border transfers of `purposes` in `statuses` into or out of one of the tenant's
    accounts, on or before `until` (by value date) when given, oldest first."""
    return cross_border_flows(
        session,
        [account_id],
        purposes=purposes,
        statuses=statuses,
        until=until,
        tenant_id=tenant_id,
    )


def cross_border_flows(
    session: Session,
    account_ids: Sequence[str],
    *,
    purposes: Iterable[str],
    statuses: Sequence[str],
    until: date | None = None,
    tenant_id: str | None = None,
) -> list[AccountFlow]:
    """The cross-border transfers of `purposes` in `statuses` into or out of any of these
    accounts (of `tenant_id` when given), on or before `until` (by value date) when given, oldest
    first."""
    if not account_ids:
        return []
    day = func.coalesce(TransferRow.value_date, TransferRow.requested_value_date)
    query = select(
        TransferRow.id,
        TransferRow.debtor_account_id,
        TransferRow.amount_minor,
        TransferRow.currency,
        day,
        TransferRow.creditor_account_id,
        TransferRow.purpose,
    ).where(
        TransferRow.crosses_border.is_(True),
        TransferRow.purpose.in_(sorted(purposes)),
        TransferRow.status.in_(list(statuses)),
        TransferRow.debtor_account_id.in_(list(account_ids))
        | TransferRow.creditor_account_id.in_(list(account_ids)),
    )
    if tenant_id is not None:
        query = query.where(TransferRow.tenant_id == tenant_id)
    if until is not None:
        query = query.where(day <= until)
    query = query.order_by(TransferRow.created_at, TransferRow.id)
    return [
        AccountFlow(row[0], row[1], Money.from_minor(row[2], row[3]), row[4], row[5], row[6])
        for row in session.execute(query)
    ]
