"""Classifying a statement line out of suspense (DESIGN §4.4), once, by a ledger entry.

An unmatched line was posted between its bank account and the entity's suspense account. A
treasurer then says where it belongs:
- a ledger account of the same entity and currency (bank fees, interest, an intercompany account,
  another own bank account): the entry moves the amount from suspense to that account;
- a transfer on that account whose bank movement it is (the bank's reference did not match): the
  transfer's own entry moved the money already, so the entry takes the line's duplicate back off
  the bank account and out of suspense; a debit confirms the transfer (settled), as
  reconciliation would have.
- an internal account named by its kind (`bank_fees`, interest, realised FX result): the entity's
  account of that kind in the line's currency, made on first use (internal accounts are created on
  demand, so one never used has no id a treasurer could name).
Either way the line keeps the target, the reason, who and when; the audit trail records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import RecordedLine
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    ClassificationMismatch,
    NotFound,
    StatementLineClassified,
    ValidationFailed,
)
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Money
from treasury.payments import repository
from treasury.payments.model import TransferStatus
from treasury.payments.service import statements_in
from treasury.payments.tables import TransferRow
from treasury.settlement import repository as settlement_repository
from treasury.tenancy.model import Principal

ENTRY_KIND = "statement_classification"
# Where a line may go by kind: what a bank charges or pays, and realised FX differences.
CLASSIFIABLE_KINDS = frozenset(
    {
        LedgerAccountKind.BANK_FEES,
        LedgerAccountKind.INTEREST_INCOME,
        LedgerAccountKind.INTEREST_EXPENSE,
        LedgerAccountKind.FX_RESULT_REALISED,
    }
)
# A transfer whose money moved (and was not undone) can own a bank's line.
_MOVED = (TransferStatus.BOOKED.value, TransferStatus.ACCEPTED.value, TransferStatus.SETTLED.value)


@dataclass(frozen=True)
class Classification:
    """Where a line went out of suspense, why, by whom, and the entry that moved it."""

    line_id: str
    account_id: str
    bank_ref: str
    amount: Money
    transfer_id: str | None
    ledger_account_id: str
    journal_entry_id: str
    reason: str
    classified_by: str
    classified_at: datetime


def classify_statement_line(
    uow: UnitOfWork,
    *,
    principal: Principal,
    line_id: str,
    reason: str,
    transfer_id: str | None = None,
    ledger_account_id: str | None = None,
    ledger_account_kind: LedgerAccountKind | None = None,
) -> Classification:
    """Move an unmatched statement line out of suspense to a transfer or a ledger account.

    Raises:
        ValidationFailed: no reason, not exactly one target, or a kind a line cannot go to.
        NotFound: the line, transfer or ledger account is not the tenant's.
        StatementLineClassified: the line left suspense already (classified, or matched to a
            transfer on import).
        ClassificationMismatch: the target cannot own the line (see the module docstring).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a classification needs a reason")
    targets = (transfer_id, ledger_account_id, ledger_account_kind)
    if sum(target is not None for target in targets) != 1:
        raise ValidationFailed(
            "name exactly one of transfer_id, ledger_account_id, ledger_account_kind"
        )
    if ledger_account_kind is not None and ledger_account_kind not in CLASSIFIABLE_KINDS:
        raise ValidationFailed(
            f"ledger_account_kind is one of {', '.join(sorted(CLASSIFIABLE_KINDS))}"
        )
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    with uow:
        line = locked_suspense_line(uow, tenant_id, line_id)
        transfer = None
        if transfer_id is not None:
            transfer = _transfer(uow, tenant_id, transfer_id, line)
            target = line.account_id  # the line's duplicate of the transfer's movement goes
        elif ledger_account_id is not None:
            target = _ledger_account(uow, tenant_id, ledger_account_id, line)
        else:
            assert ledger_account_kind is not None
            target = _internal(uow, tenant_id, line, ledger_account_kind)
        classification = move_out_of_suspense(
            uow, principal, line, target=target, reason=reason, transfer_id=transfer_id
        )
        if transfer is not None and line.amount_minor < 0:
            statements_in.confirm(uow, principal, transfer, line.id)
        uow.commit()
        return classification


def locked_suspense_line(uow: UnitOfWork, tenant_id: str, line_id: str) -> RecordedLine:
    """The tenant's statement line, locked, that still sits in suspense.

    Raises:
        NotFound: not the tenant's line.
        StatementLineClassified: it left suspense already (classified, or matched on import).
    """
    line = accounts_repository.lock_statement_line(uow.session, tenant_id, line_id)
    if line is None:
        raise NotFound(f"statement line {line_id} not found")
    if line.classified or line.journal_entry_id is None:
        raise StatementLineClassified(
            f"statement line {line_id} is not in suspense: "
            + ("classified already" if line.classified else "it confirmed a transfer")
        )
    return line


def move_out_of_suspense(
    uow: UnitOfWork,
    principal: Principal,
    line: RecordedLine,
    *,
    target: str,
    reason: str,
    transfer_id: str | None = None,
) -> Classification:
    """Post a locked suspense line's amount from suspense to `target` (a ledger account of its
    entity and currency) and record where it went, why, by whom; the caller commits. Also how a
    hedge's expected receipt takes the bank's credit that arrived by statement first."""
    assert principal.tenant_id is not None
    entry = _post(uow, principal.tenant_id, line, target, reason)
    return _record(uow, principal, line, transfer_id, target, entry.id, reason)


def _transfer(uow: UnitOfWork, tenant_id: str, transfer_id: str, line: RecordedLine) -> TransferRow:
    row = repository.get_transfer_row(uow.session, tenant_id, transfer_id, for_update=True)
    if row is None:
        raise NotFound(f"transfer {transfer_id} not found")
    if row.status not in _MOVED:
        raise ClassificationMismatch(
            f"transfer {transfer_id} is {row.status}: no money of it moved for a bank line to show"
        )
    if line.amount_minor < 0:  # the debit the bank made for it
        fits = line.account_id == row.debtor_account_id and -line.amount_minor == row.amount_minor
        if fits and settlement_repository.transfer_matched(uow.session, row.id):
            raise ClassificationMismatch(f"transfer {transfer_id} is confirmed by another line")
    else:  # the credit an internal creditor account received
        received = row.creditor_amount_minor if row.creditor_currency else row.amount_minor
        fits = line.account_id == row.creditor_account_id and line.amount_minor == received
    if not fits:
        raise ClassificationMismatch(
            f"statement line {line.id} ({_money(line)} on account {line.account_id}) is not a "
            f"movement of transfer {transfer_id}"
        )
    return row


def _ledger_account(
    uow: UnitOfWork, tenant_id: str, ledger_account_id: str, line: RecordedLine
) -> str:
    account = ledger_repository.get_account(uow.session, tenant_id, ledger_account_id)
    if account is None:
        raise NotFound(f"ledger account {ledger_account_id} not found")
    bank = accounts_repository.get_bank_account(uow.session, tenant_id, line.account_id)
    assert bank is not None
    if account.entity_id != bank.entity_id or account.currency != line.currency:
        raise ClassificationMismatch(
            f"ledger account {ledger_account_id} is not one of the entity's {line.currency} "
            "accounts"
        )
    if account.id == line.account_id or account.kind == LedgerAccountKind.SUSPENSE.value:
        raise ClassificationMismatch(
            "a line leaves suspense for another account than suspense or its own bank account"
        )
    return account.id


def _internal(uow: UnitOfWork, tenant_id: str, line: RecordedLine, kind: LedgerAccountKind) -> str:
    """The id of the line's entity's internal account of `kind` in the line's currency (made if
    new)."""
    bank = accounts_repository.get_bank_account(uow.session, tenant_id, line.account_id)
    assert bank is not None
    return ledger_repository.internal_account(
        uow.session,
        tenant_id=tenant_id,
        entity_id=bank.entity_id,
        kind=kind,
        currency=line.currency,
        created_at=uow.clock.now(),
    ).id


def _post(
    uow: UnitOfWork, tenant_id: str, line: RecordedLine, target: str, reason: str
) -> JournalEntry:
    suspense = _internal(uow, tenant_id, line, LedgerAccountKind.SUSPENSE)
    money_in = line.amount_minor > 0  # in: suspense was credited; out: it was debited
    entry = JournalEntry(
        id=new_id(),
        value_date=line.value_date,
        kind=ENTRY_KIND,
        description=f"{line.bank_ref} out of suspense: {reason}"[:500],
        postings=(
            Posting(
                debit_account_id=suspense if money_in else target,
                credit_account_id=target if money_in else suspense,
                amount=Money.from_minor(abs(line.amount_minor), line.currency),
            ),
        ),
        source_id=line.id,
    )
    ledger_posting.post_entry(
        uow.session,
        tenant_id=tenant_id,
        entry=entry,
        posted_at=uow.clock.now(),
        enforce_limits=False,
    )
    return entry


def _record(
    uow: UnitOfWork,
    principal: Principal,
    line: RecordedLine,
    transfer_id: str | None,
    target: str,
    entry_id: str,
    reason: str,
) -> Classification:
    classified_at = uow.clock.now()
    accounts_repository.classify_line(
        uow.session,
        line.id,
        transfer_id=transfer_id,
        ledger_account_id=target,
        entry_id=entry_id,
        reason=reason,
        classified_by=principal.name,
        classified_at=classified_at,
    )
    assert principal.tenant_id is not None
    audit.record(
        uow,
        tenant_id=principal.tenant_id,
        actor=principal.name,
        action="statement_line.classified",
        object_type="statement_line",
        object_id=line.id,
        before={"ledger_account": "suspense"},
        after={
            "transfer_id": transfer_id,
            "ledger_account_id": target,
            "journal_entry_id": entry_id,
            "amount": line.amount_minor,
            "currency": line.currency,
            "reason": reason,
        },
    )
    return Classification(
        line_id=line.id,
        account_id=line.account_id,
        bank_ref=line.bank_ref,
        amount=Money.from_minor(line.amount_minor, line.currency),
        transfer_id=transfer_id,
        ledger_account_id=target,
        journal_entry_id=entry_id,
        reason=reason,
        classified_by=principal.name,
        classified_at=classified_at,
    )


def _money(line: RecordedLine) -> str:
    return str(Money.from_minor(line.amount_minor, line.currency))
