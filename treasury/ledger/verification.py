"""Checking the ledger against itself and against the audit chain, in aggregate SQL.

Running balances against the sum of their postings (debit +, credit −), each account's day
movements against its postings by value date, and every journal entry and its postings against
the `journal_entry.posted` record the chain keeps of it (`attestation`). Each check is one
statement (a consistent snapshot on PostgreSQL too) that returns only the disagreements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Select,
    String,
    cast,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy import true as sql_true
from sqlalchemy.orm import Session

from treasury.audit import repository as audit_repository
from treasury.ledger.attestation import AMOUNT_MINOR, CREDIT, CURRENCY, DEBIT, ENTRY_POSTED
from treasury.ledger.tables import AccountDayRow, JournalEntryRow, LedgerAccountRow, PostingRow

# Disagreements listed per check (the first ones by id; one is enough to fail).
LISTED = 20


@dataclass(frozen=True)
class LedgerFinding:
    """One disagreement: the account or entry, and what disagrees."""

    object_id: str
    detail: str

    def __str__(self) -> str:
        return self.detail


def counts(session: Session) -> tuple[int, int, int]:
    """How many accounts, entries and postings the ledger holds."""
    query = select(
        select(func.count()).select_from(LedgerAccountRow).scalar_subquery(),
        select(func.count()).select_from(JournalEntryRow).scalar_subquery(),
        select(func.count()).select_from(PostingRow).scalar_subquery(),
    )
    accounts, entries, postings = session.execute(query).one()
    return int(accounts), int(entries), int(postings)


def balance_disagreements(session: Session) -> list[LedgerFinding]:
    """Accounts whose running balance is not the sum of their postings."""
    signed = union_all(
        select(PostingRow.debit_account_id.label("account_id"), PostingRow.amount_minor),
        select(PostingRow.credit_account_id, -PostingRow.amount_minor),
    ).subquery()
    totals = (
        select(signed.c.account_id, func.sum(signed.c.amount_minor).label("total"))
        .group_by(signed.c.account_id)
        .subquery()
    )
    total = func.coalesce(totals.c.total, 0)
    query = (
        select(LedgerAccountRow.id, LedgerAccountRow.balance_minor, total)
        .outerjoin(totals, totals.c.account_id == LedgerAccountRow.id)
        .where(LedgerAccountRow.balance_minor != total)
        .order_by(LedgerAccountRow.id)
        .limit(LISTED)
    )
    return [
        LedgerFinding(
            account_id,
            f"account {account_id}: running balance {balance} minor units, "
            f"but its postings sum to {posted}",
        )
        for account_id, balance, posted in session.execute(query)
    ]


def day_disagreements(session: Session) -> list[LedgerFinding]:
    """Account days whose recorded movement is not the net of that day's postings."""
    zero = literal_column("0", BigInteger)
    rows = union_all(
        select(
            AccountDayRow.account_id,
            AccountDayRow.value_date,
            AccountDayRow.movement_minor.label("recorded"),
            zero.label("posted"),
        ),
        select(PostingRow.debit_account_id, PostingRow.value_date, zero, PostingRow.amount_minor),
        select(PostingRow.credit_account_id, PostingRow.value_date, zero, -PostingRow.amount_minor),
    ).subquery()
    recorded, posted = func.sum(rows.c.recorded), func.sum(rows.c.posted)
    query = (
        select(rows.c.account_id, rows.c.value_date, recorded, posted)
        .group_by(rows.c.account_id, rows.c.value_date)
        .having(recorded != posted)
        .order_by(rows.c.account_id, rows.c.value_date)
        .limit(LISTED)
    )
    return [
        LedgerFinding(
            account_id,
            f"account {account_id}: day movement on {value_date} of {day} minor units, "
            f"but that day's postings net {net}",
        )
        for account_id, value_date, day, net in session.execute(query)
    ]


def entry_disagreements(session: Session) -> list[LedgerFinding]:
    """Entries that differ from the chain's record of them, or have none, or only a record."""
    dialect = session.get_bind().dialect.name
    recorded = audit_repository.recorded(ENTRY_POSTED).subquery("recorded")
    document = recorded.c.after_json
    stored: Select[*tuple[Any, ...]] = select(
        JournalEntryRow.id,
        JournalEntryRow.tenant_id,
        cast(JournalEntryRow.value_date, String),
        JournalEntryRow.kind,
        JournalEntryRow.description,
        JournalEntryRow.reverses_entry_id,
        JournalEntryRow.source_id,
        JournalEntryRow.reason,
        JournalEntryRow.posted_at,
        literal_column("1").label("side"),
    )
    chained: Select[*tuple[Any, ...]] = select(
        recorded.c.object_id,
        recorded.c.tenant_id,
        *(
            _field(dialect, document, key)
            for key in (
                "value_date",
                "kind",
                "description",
                "reverses_entry_id",
                "source_id",
                "reason",
            )
        ),
        recorded.c.occurred_at,
        literal_column("-1"),
    )
    return _one_sided(session, stored, chained, "its record in the audit chain")


def posting_disagreements(session: Session) -> list[LedgerFinding]:
    """Entries whose postings differ from those the chain recorded for them."""
    dialect = session.get_bind().dialect.name
    recorded = audit_repository.recorded(ENTRY_POSTED).subquery("recorded")
    document = recorded.c.after_json
    if dialect == "postgresql":
        listed = func.json_extract_path(cast(document, JSON), "postings")
        posting = func.json_array_elements(listed).table_valued("value")
    else:
        posting = func.json_each(document, "$.postings").table_valued("value")
    stored: Select[*tuple[Any, ...]] = select(
        PostingRow.entry_id,
        PostingRow.tenant_id,
        cast(PostingRow.value_date, String),
        PostingRow.debit_account_id,
        PostingRow.credit_account_id,
        PostingRow.amount_minor,
        PostingRow.currency,
        literal_column("1").label("side"),
    )
    chained: Select[*tuple[Any, ...]] = select(
        recorded.c.object_id,
        recorded.c.tenant_id,
        _field(dialect, document, "value_date"),
        _element(dialect, posting.c.value, DEBIT),
        _element(dialect, posting.c.value, CREDIT),
        cast(_element(dialect, posting.c.value, AMOUNT_MINOR), BigInteger),
        _element(dialect, posting.c.value, CURRENCY),
        literal_column("-1"),
    ).select_from(recorded.join(posting, sql_true()))
    return _one_sided(session, stored, chained, "the postings recorded in the audit chain")


def _one_sided(session: Session, stored: Any, chained: Any, what: str) -> list[LedgerFinding]:
    """Rows of `stored` (side 1) and `chained` (side −1), grouped whole: a group that does not
    sum to zero is on one side only. The first column is the entry's id."""
    both = union_all(stored, chained).subquery()
    columns = list(both.c)
    entry_id, side = columns[0], func.sum(columns[-1])
    query = (
        select(entry_id, side)
        .group_by(*columns[:-1])
        .having(side != 0)
        .order_by(entry_id)
        .limit(LISTED * 2)
    )
    sides: dict[str, set[bool]] = {}
    for found, balance in session.execute(query):
        sides.setdefault(found, set()).add(balance > 0)
    return [
        LedgerFinding(found, f"entry {found}: {_difference(seen, what)}")
        for found, seen in list(sides.items())[:LISTED]
    ]


def _difference(seen: set[bool], what: str) -> str:
    if seen == {True, False}:
        return f"differs from {what}"
    if True in seen:
        return f"not in {what} (written behind the ledger's back)"
    return f"missing or changed: only {what} has it"


def _field(dialect: str, document: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.json_extract_path_text(cast(document, JSON), key)
    return func.json_extract(document, f"$.{key}")


def _element(dialect: str, array: ColumnElement[Any], index: int) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.json_extract_path_text(array, str(index))
    return func.json_extract(array, f"$[{index}]")
