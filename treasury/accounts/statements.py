"""Bank statement lines: imported once per (account, bank_ref), posted against suspense.

A line is a fact the bank reports, so it is booked whatever the balance; it waits in the entity's
suspense account until a treasurer classifies it (or reconciliation matches it to a transfer).
The steps live here (`record_lines`, which the statement-lines endpoint and camt.053 imports
share); the use cases that import and list lines are in `treasury.accounts.service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from treasury.accounts import repository
from treasury.accounts.model import BankAccount
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Money


@dataclass(frozen=True)
class StatementLine:
    """One line as the bank reports it: + money in, − money out."""

    bank_ref: str
    value_date: date
    amount: Money
    description: str
    counterparty: str | None = None


@dataclass(frozen=True)
class NewLine:
    """A line to record and whether it goes to suspense: not when it confirms a transfer, whose
    entry moved the money already."""

    line: StatementLine
    to_suspense: bool


def record_lines(
    uow: UnitOfWork, *, tenant_id: str, account: BankAccount, lines: Sequence[NewLine]
) -> list[str]:
    """Record statement lines of one account and post those going to suspense between the
    account and the entity's suspense account in its currency (made on first use), whatever the
    balance (the bank reports a fact): one entry a line, all posted by one `post_entries` call,
    and the lines written by one insert. The one way a line is booked to suspense: the
    statement-lines endpoint and camt.053 imports both come here. Returns the lines' ids, in
    order.

    Raises:
        CurrencyMismatch: a line in another currency than the account's (nothing written).
    """
    now = uow.clock.now()
    entries: dict[int, JournalEntry] = {}
    if any(new.to_suspense for new in lines):
        suspense_id = _suspense_id(uow, tenant_id, account)
        entries = {
            index: _suspense_entry(account.id, suspense_id, new.line)
            for index, new in enumerate(lines)
            if new.to_suspense
        }
        ledger_posting.post_entries(
            uow.session,
            tenant_id=tenant_id,
            entries=list(entries.values()),
            posted_at=now,
            enforce_limits=False,
        )
    rows = [
        _line_values(tenant_id, account.id, new.line, entries.get(index), now)
        for index, new in enumerate(lines)
    ]
    repository.add_statement_lines(uow.session, rows)
    return [str(row["id"]) for row in rows]


def _line_values(
    tenant_id: str, account_id: str, line: StatementLine, entry: JournalEntry | None, now: datetime
) -> dict[str, object]:
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "account_id": account_id,
        "bank_ref": line.bank_ref,
        "value_date": line.value_date,
        "amount_minor": line.amount.minor,
        "currency": line.amount.currency.code,
        "description": line.description,
        "counterparty": line.counterparty,
        "journal_entry_id": None if entry is None else entry.id,
        "imported_at": now,
    }


def _suspense_id(uow: UnitOfWork, tenant_id: str, account: BankAccount) -> str:
    """The entity's suspense account in the account's currency (made on first use)."""
    suspense = ledger_repository.internal_account(
        uow.session,
        tenant_id=tenant_id,
        entity_id=account.entity_id,
        kind=LedgerAccountKind.SUSPENSE,
        currency=account.currency,
        created_at=uow.clock.now(),
    )
    return suspense.id


def _suspense_entry(account_id: str, suspense_id: str, line: StatementLine) -> JournalEntry:
    money_in = line.amount.minor > 0
    return JournalEntry(
        id=new_id(),
        value_date=line.value_date,
        kind="statement_line",
        description=f"{line.bank_ref} {line.description}"[:500],
        postings=(
            Posting(
                debit_account_id=account_id if money_in else suspense_id,
                credit_account_id=suspense_id if money_in else account_id,
                amount=line.amount if money_in else -line.amount,
            ),
        ),
    )
