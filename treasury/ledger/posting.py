"""Pipeline steps that write to the ledger inside the caller's unit of work (they never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from treasury.errors import (
    CurrencyMismatch,
    EntryAlreadyReversed,
    InsufficientFunds,
    NotFound,
)
from treasury.ledger import repository
from treasury.ledger.model import JournalEntry, balance_changes, reversal_of, within_limit
from treasury.ledger.tables import LedgerAccountRow


def post_entry(
    session: Session,
    *,
    tenant_id: str,
    entry: JournalEntry,
    posted_at: datetime,
    enforce_limits: bool = True,
) -> None:
    """Lock the touched accounts, check currencies and overdraft limits, append the entry.

    The one way an entry reaches the ledger, whatever its size: a sweep's entry touching tens of
    thousands of accounts is locked in ascending chunks (see `repository.lock_accounts`).

    Raises:
        NotFound: an account of another tenant or none at all.
        CurrencyMismatch: a posting whose currency differs from an account's.
        InsufficientFunds: an account with a limit would fall below it.
    """
    post_entries(
        session,
        tenant_id=tenant_id,
        entries=[entry],
        posted_at=posted_at,
        enforce_limits=enforce_limits,
    )


def post_entries(
    session: Session,
    *,
    tenant_id: str,
    entries: Sequence[JournalEntry],
    posted_at: datetime,
    enforce_limits: bool = True,
) -> None:
    """Post many entries in one go: every touched account locked once (ascending ids), every
    posting's currency checked, the limits checked on the entries' net effect, then appended.

    All or nothing: a refusal raises before anything is written.

    Raises:
        NotFound, CurrencyMismatch, InsufficientFunds: as `post_entry`.
    """
    changes = balance_changes(posting for entry in entries for posting in entry.postings)
    accounts = repository.lock_accounts(session, tenant_id, changes)
    missing = set(changes) - set(accounts)
    if missing:
        raise NotFound(f"ledger account {sorted(missing)[0]} not found")
    for entry in entries:
        _check_currencies(entry, accounts)
    if enforce_limits:
        _check_limits(changes, accounts)
    repository.append_entries(
        session, tenant_id=tenant_id, entries=entries, accounts=accounts, posted_at=posted_at
    )


def _check_currencies(entry: JournalEntry, accounts: dict[str, LedgerAccountRow]) -> None:
    for posting in entry.postings:
        for account_id in (posting.debit_account_id, posting.credit_account_id):
            if accounts[account_id].currency != posting.amount.currency.code:
                raise CurrencyMismatch(
                    f"posting of {posting.amount} on account {account_id} "
                    f"held in {accounts[account_id].currency}"
                )


def _check_limits(changes: dict[str, int], accounts: dict[str, LedgerAccountRow]) -> None:
    for account_id, change in changes.items():
        account = accounts[account_id]
        if change >= 0 or account.overdraft_limit_minor is None:
            continue
        if not within_limit(
            balance_minor=account.balance_minor + change,
            reserved_minor=account.reserved_minor,
            overdraft_limit_minor=account.overdraft_limit_minor,
        ):
            raise InsufficientFunds(f"account {account_id} would fall below its overdraft limit")


def reverse_entry(
    session: Session,
    *,
    tenant_id: str,
    entry_id: str,
    reversal_id: str,
    posted_at: datetime,
    value_date: date | None = None,
    reason: str | None = None,
) -> JournalEntry:
    """Append the reversal of an entry (on its value date unless another is given).

    Corrections are never refused for funds: a reversal restores what was, limits or not.

    Raises:
        NotFound: no such entry for this tenant.
        EntryAlreadyReversed: the entry has a reversal already.
    """
    original = repository.get_entry(session, tenant_id, entry_id)
    if original is None:
        raise NotFound(f"journal entry {entry_id} not found")
    if repository.reversal_id_of(session, entry_id) is not None:
        raise EntryAlreadyReversed(f"journal entry {entry_id} is already reversed")
    reversal = reversal_of(
        original, new_id=reversal_id, value_date=value_date or original.value_date, reason=reason
    )
    post_entry(
        session, tenant_id=tenant_id, entry=reversal, posted_at=posted_at, enforce_limits=False
    )
    return reversal
