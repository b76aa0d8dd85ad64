"""Queries for entities, counterparties, bank accounts and statement lines, and row ↔ value maps."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from treasury.accounts.model import (
    AccountKind,
    BankAccount,
    Counterparty,
    CrossBorderDebtMode,
    EntityKind,
    LegalEntity,
    RecordedLine,
    account_is_resident,
)
from treasury.accounts.tables import BankAccountRow, CounterpartyRow, EntityRow, StatementLineRow
from treasury.db.batches import chunks
from treasury.db.prepared import Prepared
from treasury.ledger.tables import LedgerAccountRow
from treasury.money import Money

# Entity figures kept in CNY minor units: field name → column name.
ENTITY_CNY_FIELDS = {
    "owners_equity": "owners_equity_minor",
    "net_assets": "net_assets_minor",
    "prior_year_revenue": "prior_year_revenue_minor",
    "prior_year_cross_border_volume": "prior_year_cross_border_volume_minor",
}


def _cny(minor: int | None) -> Money | None:
    return None if minor is None else Money.from_minor(minor, "CNY")


def to_entity(row: EntityRow) -> LegalEntity:
    """The value of an entity row."""
    investment = (
        None
        if row.total_investment_minor is None or row.total_investment_currency is None
        else Money.from_minor(row.total_investment_minor, row.total_investment_currency)
    )
    return LegalEntity(
        id=row.id,
        code=row.code,
        name=row.name,
        country=row.country,
        kind=EntityKind(row.kind),
        trade_fx_class=row.trade_fx_class,
        owners_equity=_cny(row.owners_equity_minor),
        net_assets=_cny(row.net_assets_minor),
        lending_in_business_scope=row.lending_in_business_scope,
        quality_enterprise=row.quality_enterprise,
        established_on=row.established_on,
        prior_year_revenue=_cny(row.prior_year_revenue_minor),
        prior_year_cross_border_volume=_cny(row.prior_year_cross_border_volume_minor),
        parent_entity_id=row.parent_entity_id,
        cross_border_debt_mode=CrossBorderDebtMode(row.cross_border_debt_mode),
        facilitation_certificate=(
            None
            if row.facilitation_certificate is None
            else json.loads(row.facilitation_certificate)
        ),
        shareholding_ratio=row.shareholding_ratio,
        total_investment=investment,
        last_fx_penalty_on=row.last_fx_penalty_on,
        capital_payment_facilitation=row.capital_payment_facilitation,
        independent_legal_person=row.independent_legal_person,
        registered_capital=(
            None
            if row.registered_capital_minor is None or row.registered_capital_currency is None
            else Money.from_minor(row.registered_capital_minor, row.registered_capital_currency)
        ),
        uscc=row.uscc,
        lei=row.lei,
        address=None if row.address is None else json.loads(row.address),
    )


def apply_entity_fields(row: EntityRow, fields: dict[str, Any]) -> None:
    """Copy validated entity fields (domain values) onto a row."""
    for name, value in fields.items():
        if name in ENTITY_CNY_FIELDS:
            setattr(row, ENTITY_CNY_FIELDS[name], None if value is None else value.minor)
        elif name == "registered_capital":
            row.registered_capital_minor = None if value is None else value.minor
            row.registered_capital_currency = None if value is None else value.currency.code
        elif name == "total_investment":
            row.total_investment_minor = None if value is None else value.minor
            row.total_investment_currency = None if value is None else value.currency.code
        elif name in ("facilitation_certificate", "address"):
            setattr(row, name, None if value is None else json.dumps(value))
        elif name in ("kind", "cross_border_debt_mode"):
            setattr(row, name, str(value))
        else:
            setattr(row, name, value)


def get_entity_row(
    session: Session, tenant_id: str, entity_id: str, *, for_update: bool = False
) -> EntityRow | None:
    """One of the tenant's entity rows."""
    row = session.get(EntityRow, entity_id, with_for_update=for_update)
    return row if row is not None and row.tenant_id == tenant_id else None


def lock_entity(session: Session, entity_id: str) -> None:
    """Lock the entity's row: work that must see one entity at a time queues behind it."""
    session.execute(select(EntityRow.id).where(EntityRow.id == entity_id).with_for_update())


def entity_account_ids(session: Session, entity_id: str, kinds: Iterable[str]) -> list[str]:
    """The ids of the entity's bank accounts of these kinds."""
    query = select(BankAccountRow.id).where(
        BankAccountRow.entity_id == entity_id, BankAccountRow.kind.in_(list(kinds))
    )
    return list(session.scalars(query))


def entities_by_id(
    session: Session, tenant_id: str, entity_ids: Iterable[str]
) -> dict[str, LegalEntity]:
    """The tenant's entities among these ids (others' and unknown ids are absent)."""
    ids = sorted(set(entity_ids))
    found: dict[str, LegalEntity] = {}
    for part in chunks(ids):
        query = select(EntityRow).where(EntityRow.id.in_(part), EntityRow.tenant_id == tenant_id)
        found.update({row.id: to_entity(row) for row in session.scalars(query)})
    return found


def find_entity_by_code(session: Session, tenant_id: str, code: str) -> EntityRow | None:
    """The tenant's entity with this code."""
    query = select(EntityRow).where(EntityRow.tenant_id == tenant_id, EntityRow.code == code)
    return session.scalars(query).one_or_none()


def list_entities(session: Session, tenant_id: str) -> list[LegalEntity]:
    """All of the tenant's entities by code."""
    query = select(EntityRow).where(EntityRow.tenant_id == tenant_id).order_by(EntityRow.code)
    return [to_entity(row) for row in session.scalars(query)]


def to_counterparty(row: CounterpartyRow) -> Counterparty:
    """The value of a counterparty row."""
    return Counterparty(
        id=row.id,
        name=row.name,
        country=row.country,
        bank_bic=row.bank_bic,
        account=row.account,
        address=None if row.address is None else json.loads(row.address),
        affiliated=row.affiliated,
        lei=row.lei,
    )


def apply_counterparty_fields(row: CounterpartyRow, fields: dict[str, Any]) -> None:
    """Copy validated counterparty fields onto a row."""
    for name, value in fields.items():
        if name == "address":
            row.address = None if value is None else json.dumps(value)
        else:
            setattr(row, name, value)


def get_counterparty_row(
    session: Session, tenant_id: str, counterparty_id: str
) -> CounterpartyRow | None:
    """One of the tenant's counterparty rows."""
    row = session.get(CounterpartyRow, counterparty_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def counterparties_by_id(
    session: Session, tenant_id: str, counterparty_ids: Iterable[str]
) -> dict[str, Counterparty]:
    """The tenant's counterparties among these ids (others' and unknown ids are absent)."""
    ids = sorted(set(counterparty_ids))
    found: dict[str, Counterparty] = {}
    for part in chunks(ids):
        query = select(CounterpartyRow).where(
            CounterpartyRow.id.in_(part), CounterpartyRow.tenant_id == tenant_id
        )
        found.update({row.id: to_counterparty(row) for row in session.scalars(query)})
    return found


def list_counterparties(session: Session, tenant_id: str) -> list[Counterparty]:
    """All of the tenant's counterparties by name."""
    query = (
        select(CounterpartyRow)
        .where(CounterpartyRow.tenant_id == tenant_id)
        .order_by(CounterpartyRow.name, CounterpartyRow.id)
    )
    return [to_counterparty(row) for row in session.scalars(query)]


def _bank_account_query(tenant_id: str) -> Select[*tuple[Any, ...]]:
    return _bank_account_columns().where(BankAccountRow.tenant_id == tenant_id)


def _bank_account_columns() -> Select[*tuple[Any, ...]]:
    # Plain columns, not ORM rows: accounts are read on every transfer, and building two ORM
    # objects per account costs more than the query. The join on the ledger's account (the
    # overdraft limit) is the one deliberate read of another package's table (tests/
    # test_project.py DELIBERATE_CROSSINGS): a second query would sit on every transfer.
    return (
        select(
            BankAccountRow.id,
            BankAccountRow.entity_id,
            BankAccountRow.currency,
            BankAccountRow.kind,
            BankAccountRow.bank_bic,
            BankAccountRow.number,
            BankAccountRow.branch_subdivision,
            LedgerAccountRow.overdraft_limit_minor,
            EntityRow.country,
        )
        .join(LedgerAccountRow, LedgerAccountRow.id == BankAccountRow.id)
        .join(EntityRow, EntityRow.id == BankAccountRow.entity_id)
    )


# Built once (every transfer reads its accounts): building the joined select and its cache key
# cost more than running it (1.1–1.7 ms a call in the ledger_service profile).
_BANK_ACCOUNTS_BY_ID = _bank_account_columns().where(
    BankAccountRow.tenant_id == bindparam("tenant_id"),
    BankAccountRow.id.in_(bindparam("account_ids", expanding=True)),
)


def _to_bank_account(row: Row[Any]) -> BankAccount:
    """The value of a bank account, with its overdraft limit from the ledger side."""
    kind = AccountKind(row.kind)
    return BankAccount(
        id=row.id,
        entity_id=row.entity_id,
        currency=row.currency,
        kind=kind,
        bank_bic=row.bank_bic,
        number=row.number,
        overdraft_limit=Money.from_minor(row.overdraft_limit_minor or 0, row.currency),
        resident=account_is_resident(entity_country=row.country, kind=kind),
        branch_subdivision=row.branch_subdivision,
    )


# The transfer's check of what `treasury.accounts.cache` holds, compiled once and run on the
# driver's cursor: each account's entity and that entity's version, by primary key, two accounts
# a run (a transfer's debtor and creditor; one account is asked for twice).
_ACCOUNT_ENTITY_VERSIONS = Prepared(
    select(BankAccountRow.id, BankAccountRow.entity_id, EntityRow.version)
    .join(EntityRow, EntityRow.id == BankAccountRow.entity_id)
    .where(
        BankAccountRow.tenant_id == bindparam("tenant_id"),
        BankAccountRow.id.in_([bindparam("first"), bindparam("second")]),
    ),
    ("tenant_id", "first", "second"),
)


def account_entity_versions(
    session: Session, tenant_id: str, account_ids: Sequence[str]
) -> dict[str, tuple[str, int]]:
    """The tenant's bank accounts among `account_ids` (others' and unknown ids are absent), each
    with its entity's id and that entity's current version: one read per two accounts."""
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(account_ids), 2):
        first, *rest = account_ids[start : start + 2]
        parameters = {"tenant_id": tenant_id, "first": first, "second": rest[0] if rest else first}
        rows = _ACCOUNT_ENTITY_VERSIONS.rows(session, parameters)
        found.update({account_id: (entity_id, version) for account_id, entity_id, version in rows})
    return found


def versioned_entities(
    session: Session, tenant_id: str, entity_ids: Iterable[str]
) -> dict[str, tuple[int, LegalEntity]]:
    """The tenant's entities among these ids, each with the version it was read at."""
    found: dict[str, tuple[int, LegalEntity]] = {}
    for part in chunks(sorted(set(entity_ids))):
        query = select(EntityRow).where(EntityRow.id.in_(part), EntityRow.tenant_id == tenant_id)
        found.update({row.id: (row.version, to_entity(row)) for row in session.scalars(query)})
    return found


def get_bank_account(session: Session, tenant_id: str, account_id: str) -> BankAccount | None:
    """One of the tenant's bank accounts."""
    accounts = bank_accounts_by_id(session, tenant_id, [account_id])
    return accounts.get(account_id)


def bank_accounts_by_id(
    session: Session, tenant_id: str, account_ids: Sequence[str]
) -> dict[str, BankAccount]:
    """The tenant's bank accounts among `account_ids` (others' and unknown ids are absent)."""
    parameters = {"tenant_id": tenant_id, "account_ids": list(account_ids)}
    rows = session.execute(_BANK_ACCOUNTS_BY_ID, parameters)
    return {row.id: _to_bank_account(row) for row in rows}


def list_bank_accounts(
    session: Session, tenant_id: str, entity_id: str | None
) -> list[BankAccount]:
    """The tenant's bank accounts, optionally of one entity."""
    query = _bank_account_query(tenant_id).order_by(BankAccountRow.created_at, BankAccountRow.id)
    if entity_id is not None:
        query = query.where(BankAccountRow.entity_id == entity_id)
    return [_to_bank_account(row) for row in session.execute(query)]


def seen_bank_refs(session: Session, account_id: str, bank_refs: Sequence[str]) -> set[str]:
    """Which of these bank references were imported on this account before (one read per
    1,000 references)."""
    wanted = sorted(set(bank_refs))
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        query = select(StatementLineRow.bank_ref).where(
            StatementLineRow.account_id == account_id,
            StatementLineRow.bank_ref.in_(wanted[start : start + 1000]),
        )
        found.update(session.scalars(query))
    return found


def add_statement_lines(session: Session, lines: Sequence[dict[str, Any]]) -> None:
    """Write statement lines (the columns of `accounts_statement_line`, unclassified) by one
    Core insert on the session's connection: a statement's thousands of lines cost no ORM
    flush each. A line already imported on its account raises IntegrityError (unique
    account and bank_ref)."""
    if lines:
        session.connection().execute(_INSERT_STATEMENT_LINE, list(lines))


_INSERT_STATEMENT_LINE = insert(cast(Table, StatementLineRow.__table__))  # built once


def lock_statement_line(session: Session, tenant_id: str, line_id: str) -> RecordedLine | None:
    """One of the tenant's statement lines, locked and read afresh (to classify it)."""
    query = (
        select(StatementLineRow)
        .where(StatementLineRow.id == line_id, StatementLineRow.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalars(query).one_or_none()
    if row is None:
        return None
    return RecordedLine(
        id=row.id,
        account_id=row.account_id,
        bank_ref=row.bank_ref,
        value_date=row.value_date,
        amount_minor=row.amount_minor,
        currency=row.currency,
        journal_entry_id=row.journal_entry_id,
        classified=row.classified_at is not None,
    )


def classify_line(
    session: Session,
    line_id: str,
    *,
    transfer_id: str | None,
    ledger_account_id: str,
    entry_id: str,
    reason: str,
    classified_by: str,
    classified_at: datetime,
) -> None:
    """Record where a line locked by `lock_statement_line` went out of suspense, why, by whom."""
    row = session.get(StatementLineRow, line_id)
    assert row is not None
    row.classified_transfer_id = transfer_id
    row.classified_ledger_account_id = ledger_account_id
    row.classification_entry_id = entry_id
    row.classification_reason = reason
    row.classified_by = classified_by
    row.classified_at = classified_at


def list_statement_lines(
    session: Session, tenant_id: str, account_id: str
) -> list[StatementLineRow]:
    """An account's statement lines by value date."""
    query = (
        select(StatementLineRow)
        .where(StatementLineRow.tenant_id == tenant_id, StatementLineRow.account_id == account_id)
        .order_by(StatementLineRow.value_date, StatementLineRow.imported_at)
    )
    return list(session.scalars(query))


def bank_accounts_by_number(
    session: Session, tenant_id: str, numbers: Sequence[str]
) -> dict[str, BankAccount]:
    """The tenant's bank accounts among these account numbers (IBAN or local), by number."""
    found: dict[str, BankAccount] = {}
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), 1000):
        query = _bank_account_query(tenant_id).where(
            BankAccountRow.number.in_(wanted[start : start + 1000])
        )
        found.update({row.number: _to_bank_account(row) for row in session.execute(query)})
    return found


def bank_accounts_numbered(
    session: Session, tenant_id: str, numbers: Iterable[str]
) -> list[BankAccount]:
    """The tenant's bank accounts with any of these numbers (one number may be held in several
    currencies or at several banks: all of them)."""
    query = _bank_account_query(tenant_id).where(BankAccountRow.number.in_(set(numbers)))
    return [_to_bank_account(row) for row in session.execute(query)]


def bank_account_labels(
    session: Session, tenant_id: str
) -> list[tuple[str, str, str, str, str, str | None]]:
    """Each of the tenant's bank accounts as a group view labels it: (account id, entity id,
    entity code, entity name, entity country, bank BIC), in one read of plain columns."""
    query = (
        select(
            BankAccountRow.id,
            BankAccountRow.entity_id,
            EntityRow.code,
            EntityRow.name,
            EntityRow.country,
            BankAccountRow.bank_bic,
        )
        .join(EntityRow, EntityRow.id == BankAccountRow.entity_id)
        .where(BankAccountRow.tenant_id == tenant_id)
    )
    return [
        cast(tuple[str, str, str, str, str, str | None], tuple(row))
        for row in session.execute(query)
    ]
