"""camt.053 statements in: lines imported once per entry reference and matched to transfers.

An entry's reference is the bank's (AcctSvcrRef, else NtryRef) or, when it has neither, one
derived from its statement and content (`treasury.settlement.entry_identity`).

A booked debit that carries a transfer's EndToEndId with its amount and value date confirms that
transfer: the line is recorded against it, nothing new is posted (the transfer's entry already
moved the money) and the transfer is `settled`. Every other booked line posts against the
entity's suspense account and is listed for a treasurer, a second debit naming a transfer
confirmed already too (a bank's duplicate debit). One unit of work per file: all of it applies or
nothing; an entry seen before is skipped, so a replay changes nothing.

A statement's thousands of lines are read, matched and written together: the lines seen before,
the transfers the debits name (locked in id order) and their earlier matches in one read each; the
suspense lines' entries by one `post_entries` call, the lines, the matches and the transfers'
events by one insert each. The file's XSD validation runs meanwhile in the validation worker
(`treasury.settlement.validation`); nothing is committed or answered before its verdict.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError

from treasury.accounts import repository as accounts_repository
from treasury.accounts import statements
from treasury.accounts.model import BankAccount
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import BankReportInvalid, Conflict
from treasury.payments import lifecycle, repository
from treasury.payments.model import TransferStatus, may_move
from treasury.payments.tables import TransferRow
from treasury.settlement import camt053
from treasury.settlement import repository as settlement_repository
from treasury.tenancy.model import Principal

CAMT053 = "camt.053"


@dataclass(frozen=True)
class StatementResult:
    """What an import did: matched, unmatched (to suspense), skipped (seen before), not booked."""

    message_id: str
    matched: tuple[dict[str, Any], ...]
    unmatched: tuple[dict[str, Any], ...]
    skipped: tuple[str, ...]
    not_booked: tuple[str, ...]
    replayed: bool

    def document(self) -> dict[str, Any]:
        """The result as stored and shown."""
        return {
            "message_id": self.message_id,
            "matched": list(self.matched),
            "unmatched": list(self.unmatched),
            "skipped": list(self.skipped),
            "not_booked": list(self.not_booked),
        }


def import_statement(uow: UnitOfWork, *, principal: Principal, xml: bytes) -> StatementResult:
    """Import a camt.053 file of the tenant's accounts.

    Raises:
        BankReportInvalid: malformed, invalid by its XSD, an account that is not the tenant's, or
            an entry in another currency than its account (nothing applied).
        Conflict: the same statement (or one of its lines) applied concurrently (nothing applied).
    """
    assert principal.tenant_id is not None
    # The XSD validation (the dearest part) runs in the validation worker meanwhile; nothing is
    # committed or answered before its verdict, which wins over any other failure of the work.
    reading = camt053.begin(xml)
    with uow:
        try:
            return _apply(uow, principal, reading, xml)
        except IntegrityError:
            reading.check()
            # The same statement, or one of its lines, written by a concurrent request first.
            raise Conflict(
                "this statement is being applied by another request; retry to replay it"
            ) from None
        except Exception:
            reading.check()
            raise


def _apply(
    uow: UnitOfWork, principal: Principal, reading: camt053.Reading, xml: bytes
) -> StatementResult:
    assert principal.tenant_id is not None
    document = reading.statement()
    seen = settlement_repository.bank_report_result(
        uow.session, principal.tenant_id, CAMT053, document.message_id
    )
    if seen is not None:
        reading.check()
        return _result(json.loads(seen), replayed=True)
    totals: dict[str, list[Any]] = {"matched": [], "unmatched": [], "skipped": [], "not_booked": []}
    confirmed: set[str] = set()  # transfers a line of this file confirmed: once each
    for statement in document.statements:
        _import(uow, principal, statement, totals, confirmed)
    result = {"message_id": document.message_id, **totals}
    settlement_repository.add_bank_report(
        uow.session,
        tenant_id=principal.tenant_id,
        kind=CAMT053,
        message_id=document.message_id,
        sha256=hashlib.sha256(xml).hexdigest(),
        result_json=json.dumps(result),
        received_at=uow.clock.now(),
    )
    reading.check()
    uow.commit()
    return _result(result, replayed=False)


def _result(document: dict[str, Any], *, replayed: bool) -> StatementResult:
    return StatementResult(
        message_id=document["message_id"],
        matched=tuple(document["matched"]),
        unmatched=tuple(document["unmatched"]),
        skipped=tuple(document["skipped"]),
        not_booked=tuple(document["not_booked"]),
        replayed=replayed,
    )


def _account(uow: UnitOfWork, tenant_id: str, statement: camt053.AccountStatement) -> BankAccount:
    """The tenant's account of a statement: by number, then (one number in several currencies or
    at several banks) by the statement's account currency, or its entries' one currency, and BIC."""
    number = statement.account
    compact = number.replace(" ", "")
    rows = accounts_repository.bank_accounts_numbered(uow.session, tenant_id, {number, compact})
    currencies = {entry.amount.currency.code for entry in statement.entries}
    currency = statement.currency or (currencies.pop() if len(currencies) == 1 else None)
    if len(rows) > 1 and currency is not None:
        rows = [row for row in rows if row.currency == currency]
    if len(rows) > 1 and statement.servicer_bic is not None:
        rows = [row for row in rows if row.bank_bic == statement.servicer_bic]
    if len(rows) != 1:
        raise BankReportInvalid(f"account {number!r} is not one of the tenant's accounts")
    return rows[0]


def _import(
    uow: UnitOfWork,
    principal: Principal,
    statement: camt053.AccountStatement,
    totals: dict[str, list[Any]],
    confirmed: set[str],
) -> None:
    """Import one account's statement in bulk: the lines seen before read at once, every
    transfer the new lines may confirm read (and locked) at once, the lines to suspense posted
    by one `post_entries` call, the lines and matches written by one insert each."""
    assert principal.tenant_id is not None
    account = _account(uow, principal.tenant_id, statement)
    booked = [entry for entry in statement.entries if entry.booked]
    totals["not_booked"].extend(e.bank_ref for e in statement.entries if not e.booked)
    for entry in booked:
        if entry.amount.currency.code != account.currency:
            raise BankReportInvalid(
                f"{entry.where} in {entry.amount.currency}, account in {account.currency}"
            )
    refs = [entry.bank_ref for entry in booked]
    repeated = sorted(ref for ref, times in Counter(refs).items() if times > 1)
    if repeated:
        raise BankReportInvalid(
            f"entry reference {repeated[0]} appears twice in statement {statement.statement_id}"
        )
    seen = accounts_repository.seen_bank_refs(uow.session, account.id, refs)
    totals["skipped"].extend(entry.bank_ref for entry in booked if entry.bank_ref in seen)
    fresh = [entry for entry in booked if entry.bank_ref not in seen]
    candidates = _candidates(uow, principal.tenant_id, fresh)
    transfers = [_match(account.id, entry, candidates, confirmed) for entry in fresh]
    line_ids = statements.record_lines(
        uow,
        tenant_id=principal.tenant_id,
        account=account,
        lines=[
            statements.NewLine(_line(entry), to_suspense=transfer is None)
            for entry, transfer in zip(fresh, transfers, strict=True)
        ],
    )
    for entry, transfer, line_id in zip(fresh, transfers, line_ids, strict=True):
        item = {
            "bank_ref": entry.bank_ref,
            "line_id": line_id,
            "amount": entry.amount.to_wire(),
            "currency": entry.amount.currency.code,
            "value_date": entry.value_date.isoformat(),
            "end_to_end_id": entry.end_to_end_id,
        }
        if transfer is None:
            totals["unmatched"].append(item)
        else:
            totals["matched"].append({**item, "transfer_id": transfer.id})
    confirm_all(
        uow,
        principal,
        [(t, line_id) for t, line_id in zip(transfers, line_ids, strict=True) if t is not None],
    )


@dataclass(frozen=True)
class _Candidate:
    """A transfer a debit naming its EndToEndId may confirm, with its payment's send date."""

    row: TransferRow
    send_date: date | None
    matched_before: bool


def _candidates(
    uow: UnitOfWork, tenant_id: str, entries: list[camt053.Entry]
) -> dict[str, _Candidate]:
    """By EndToEndId, the transfers the debits among `entries` name: read and locked at once."""
    named = [e.end_to_end_id for e in entries if e.end_to_end_id and e.amount.minor < 0]
    if not named:
        return {}
    payments = settlement_repository.decisions_by_end_to_end(uow.session, tenant_id, named)
    rows = repository.lock_transfer_rows(
        uow.session, tenant_id, [payment.transfer_id for payment in payments.values()]
    )
    matched = settlement_repository.matched_transfers(uow.session, list(rows))
    return {
        end_to_end_id: _Candidate(rows[p.transfer_id], p.send_date, p.transfer_id in matched)
        for end_to_end_id, p in payments.items()
        if p.transfer_id in rows
    }


def _match(
    account_id: str,
    entry: camt053.Entry,
    candidates: dict[str, _Candidate],
    confirmed: set[str],
) -> TransferRow | None:
    """The transfer this debit confirms, not matched yet: same EndToEndId and amount, valued on
    the transfer's value date or the day it was sent (an FX debit is booked on the send date)."""
    if entry.end_to_end_id is None or entry.amount.minor >= 0:
        return None
    candidate = candidates.get(entry.end_to_end_id)
    if candidate is None:
        return None
    row = candidate.row
    if (
        row.debtor_account_id != account_id
        or row.amount_minor != -entry.amount.minor
        or entry.value_date not in (row.value_date, candidate.send_date)
        or not (
            may_move(row.status, TransferStatus.SETTLED)
            or row.status == TransferStatus.SETTLED.value
        )
        or candidate.matched_before
        or row.id in confirmed
    ):
        return None
    confirmed.add(row.id)
    return row


def _line(entry: camt053.Entry) -> statements.StatementLine:
    return statements.StatementLine(
        bank_ref=entry.bank_ref,
        value_date=entry.value_date,
        amount=entry.amount,
        description=entry.description,
        counterparty=entry.counterparty,
    )


def confirm(uow: UnitOfWork, principal: Principal, row: TransferRow, line_id: str) -> None:
    """Record that a statement line confirms the transfer: booked or accepted → settled."""
    confirm_all(uow, principal, [(row, line_id)])


def confirm_all(
    uow: UnitOfWork, principal: Principal, confirmations: list[tuple[TransferRow, str]]
) -> None:
    """Record that statement lines confirm transfers, `(transfer, line id)` each: booked or
    accepted → settled, a transfer the bank reported settled already only noted; the matches
    and the events written by one insert each."""
    if not confirmations:
        return
    settlement_repository.add_statement_matches(
        uow.session,
        confirmations[0][0].tenant_id,
        [(line_id, row.id) for row, line_id in confirmations],
        uow.clock.now(),
    )
    transitions = lifecycle.Transitions(uow, actor=principal.name)
    for row, line_id in confirmations:
        details = {"statement_line_id": line_id}
        if may_move(row.status, TransferStatus.SETTLED):
            transitions.move(
                row, TransferStatus.SETTLED, details=details, action="transfer.reconciled"
            )
        else:  # settled already by the bank's report: the statement only reconciles it
            transitions.note(row, action="transfer.reconciled", details=details)
    transitions.record()
