"""Ledger use cases: read balances and entries, reverse an entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.paging import Page, PageRequest
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, NotFound, ValidationFailed
from treasury.ledger import posting, repository, verification
from treasury.ledger.model import JournalEntry
from treasury.ledger.tables import LedgerAccountRow
from treasury.ledger.verification import LedgerFinding
from treasury.money import Money
from treasury.tenancy.model import Principal


@dataclass(frozen=True)
class AccountBalance:
    """A ledger account's booked balance by value date and what is available to spend."""

    account_id: str
    entity_id: str | None
    kind: str
    currency: str
    name: str
    counterpart_entity_id: str | None
    as_of: date
    balance: Money
    available: Money
    overdraft_limit: Money | None


def account_balance(
    uow: UnitOfWork, *, tenant_id: str, account_id: str, as_of: date
) -> AccountBalance:
    """Balance by value date; available = balance − reservations of held transfers.

    Raises:
        NotFound: no such account for this tenant.
    """
    with uow:
        row = repository.get_account(uow.session, tenant_id, account_id)
        if row is None:
            raise NotFound(f"account {account_id} not found")
        balance_minor = repository.balance_as_of(uow.session, row, as_of)
        return _balance(row, as_of, balance_minor)


def _balance(row: LedgerAccountRow, as_of: date, balance_minor: int) -> AccountBalance:
    limit = row.overdraft_limit_minor
    return AccountBalance(
        account_id=row.id,
        entity_id=row.entity_id,
        kind=row.kind,
        currency=row.currency,
        name=row.name,
        counterpart_entity_id=row.counterpart_entity_id,
        as_of=as_of,
        balance=Money.from_minor(balance_minor, row.currency),
        available=Money.from_minor(balance_minor - row.reserved_minor, row.currency),
        overdraft_limit=None if limit is None else Money.from_minor(limit, row.currency),
    )


def entity_ledger_accounts(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str, as_of: date
) -> list[AccountBalance]:
    """All of an entity's ledger accounts with their balances as of a value date."""
    with uow:
        rows = repository.list_accounts(uow.session, tenant_id, entity_id)
        return [
            _balance(row, as_of, repository.balance_as_of(uow.session, row, as_of)) for row in rows
        ]


def journal_entry_page(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    account_id: str | None,
    date_from: date | None,
    date_to: date | None,
    page: PageRequest,
) -> Page[JournalEntry]:
    """A page of journal entries by value date (then posting time), by account and period."""
    with uow:
        if (
            account_id is not None
            and repository.get_account(uow.session, tenant_id, account_id) is None
        ):
            raise NotFound(f"account {account_id} not found")
        return repository.entry_page(
            uow.session,
            tenant_id=tenant_id,
            account_id=account_id,
            date_from=date_from,
            date_to=date_to,
            page=page,
        )


def journal_entry(uow: UnitOfWork, *, tenant_id: str, entry_id: str) -> JournalEntry:
    """One journal entry."""
    with uow:
        entry = repository.get_entry(uow.session, tenant_id, entry_id)
        if entry is None:
            raise NotFound(f"journal entry {entry_id} not found")
        return entry


def reverse_journal_entry(
    uow: UnitOfWork,
    *,
    principal: Principal,
    entry_id: str,
    value_date: date | None,
    reason: str,
) -> JournalEntry:
    """Correct a posted entry by appending its reversal, which keeps the reason; the audit trail
    records who reversed it and why.

    Raises:
        ValidationFailed: no reason.
        NotFound: no such entry.
        EntryAlreadyReversed: it has been reversed before.
    """
    if not reason.strip():
        raise ValidationFailed("a reversal needs a reason")
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    with uow:
        original = repository.get_entry(uow.session, tenant_id, entry_id)
        if original is not None and original.kind == "transfer":
            # A transfer's entry is undone through the transfer's own life (a bank return), so
            # the transfer and its money never disagree.
            raise Conflict(
                f"journal entry {entry_id} belongs to a transfer; it is not reversed here"
            )
        reversal = posting.reverse_entry(
            uow.session,
            tenant_id=tenant_id,
            entry_id=entry_id,
            reversal_id=new_id(),
            posted_at=uow.clock.now(),
            value_date=value_date,
            reason=reason.strip(),
        )
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=principal.name,
            action="journal_entry.reversed",
            object_type="journal_entry",
            object_id=entry_id,
            after={"reversal_entry_id": reversal.id, "reason": reversal.reason},
        )
        uow.commit()
        return reversal


@dataclass(frozen=True)
class LedgerVerification:
    """What `verify_ledger` checked and every disagreement it found (the first few per check)."""

    accounts: int
    entries: int
    postings: int
    findings: tuple[LedgerFinding, ...]

    @property
    def ok(self) -> bool:
        """Balances, day movements, entries and postings all agree."""
        return not self.findings

    def summary(self) -> str | None:
        """The line saying everything agrees, or None."""
        if not self.ok:
            return None
        return (
            f"ledger ok: {self.accounts} accounts, {self.entries} entries, {self.postings} "
            "postings agree with their balances and the audit chain"
        )

    def problems(self) -> list[str]:
        """Each disagreement, one line each, the first naming the ledger broken."""
        return [
            f"{'ledger broken:' if index == 0 else '  and'} {finding}"
            for index, finding in enumerate(self.findings)
        ]


def verify_ledger(uow: UnitOfWork) -> LedgerVerification:
    """Check every running balance and day movement against the postings, and every entry and
    its postings against the audit chain's record of it. Reads only."""
    with uow:
        session = uow.session
        accounts, entries, postings = verification.counts(session)
        findings = (
            *verification.balance_disagreements(session),
            *verification.day_disagreements(session),
            *verification.entry_disagreements(session),
            *verification.posting_disagreements(session),
        )
        return LedgerVerification(accounts, entries, postings, findings)
