"""Bank reports in: a pain.002 moves transfers to accepted, settled or returned.

One unit of work per report: every transaction of it applies, or none (a malformed report is
refused before anything is read). A report is applied once per message id; a replay returns
what the first application did and changes nothing. A rejection reverses the transfer's entry
and keeps the bank's reason as a finding on the transfer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from compliance.model import Finding, Severity
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict
from treasury.ledger import posting as ledger_posting
from treasury.payments import lifecycle, repository
from treasury.payments.model import TransferStatus, may_move
from treasury.payments.tables import TransferRow
from treasury.settlement import pain002, status_reasons
from treasury.settlement import repository as settlement_repository
from treasury.settlement.pain002 import Outcome
from treasury.settlement.repository import SentPayment
from treasury.tenancy.model import Principal

PAIN002 = "pain.002"


# A transfer booked between the group's own accounts has no payment file: no bank reports on it.
_NOT_SENT_TO_A_BANK = (None, "BOOK")


@dataclass(frozen=True)
class ReportResult:
    """What a report changed, per transaction, and whether this was a replay."""

    message_id: str
    items: tuple[dict[str, Any], ...]
    replayed: bool


def apply_status_report(uow: UnitOfWork, *, principal: Principal, xml: bytes) -> ReportResult:
    """Apply a pain.002 to the tenant's transfers.

    Raises:
        BankReportInvalid: malformed or invalid against its XSD (nothing applied).
    """
    assert principal.tenant_id is not None
    # The XSD validation runs in the validation worker meanwhile; nothing is committed or
    # answered before its verdict, which wins over any other failure of the work.
    reading = pain002.begin(xml)
    with uow:
        try:
            return _apply_report(uow, principal, reading, xml)
        except IntegrityError:
            reading.check()
            # The same report (or one of its lines) applied by a concurrent request first.
            raise Conflict(
                "this report is being applied by another request; retry to replay it"
            ) from None
        except Exception:
            reading.check()
            raise


def _apply_report(
    uow: UnitOfWork, principal: Principal, reading: pain002.Reading, xml: bytes
) -> ReportResult:
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    report = reading.report()
    seen = settlement_repository.bank_report_result(
        uow.session, tenant_id, PAIN002, report.message_id
    )
    if seen is not None:
        reading.check()
        return ReportResult(report.message_id, tuple(json.loads(seen)), True)
    statuses = list(report.transactions) or _group_statuses(uow, tenant_id, report)
    # One read of every payment the report names (a 10,000-line report made 20,000 reads),
    # then one locking read of their transfers in ascending id order: two reports naming the
    # same transfers in opposite orders never each hold one and wait (a PostgreSQL deadlock).
    payments = settlement_repository.decisions_by_end_to_end(
        uow.session, tenant_id, [s.end_to_end_id for s in statuses if s.end_to_end_id]
    )
    rows = repository.lock_transfer_rows(
        uow.session,
        tenant_id,
        [p.transfer_id for p in payments.values() if p.rail_id not in _NOT_SENT_TO_A_BANK],
    )
    transitions = lifecycle.Transitions(uow, actor=principal.name)
    items = tuple(
        _apply(uow, transitions, _named(status, payments, rows), status) for status in statuses
    )
    transitions.record()
    settlement_repository.add_bank_report(
        uow.session,
        tenant_id=tenant_id,
        kind=PAIN002,
        message_id=report.message_id,
        sha256=hashlib.sha256(xml).hexdigest(),
        result_json=json.dumps(list(items)),
        received_at=uow.clock.now(),
    )
    reading.check()
    uow.commit()
    return ReportResult(report.message_id, items, False)


def _group_statuses(
    uow: UnitOfWork, tenant_id: str, report: pain002.StatusReport
) -> list[pain002.TransactionStatus]:
    """A group-level status without transaction detail applies to every payment of the file."""
    if report.group_status is None:
        return []
    transfer_ids = settlement_repository.payment_file_transfer_ids(
        uow.session, tenant_id, report.original_message_id
    )
    if transfer_ids is None:
        return []
    payments = settlement_repository.sent_payments(uow.session, tenant_id, transfer_ids)
    return [
        pain002.TransactionStatus(
            payment.end_to_end_id, payment.uetr, report.group_status, report.group_reason, None
        )
        for payment in (payments.get(transfer_id) for transfer_id in transfer_ids)
        if payment is not None
    ]


def _named(
    status: pain002.TransactionStatus,
    payments: dict[str, SentPayment],
    rows: dict[str, TransferRow],
) -> TransferRow | None:
    """The transfer a status names by EndToEndId, if a file of it went to a bank."""
    payment = None if status.end_to_end_id is None else payments.get(status.end_to_end_id)
    if payment is None or payment.rail_id in _NOT_SENT_TO_A_BANK:
        return None
    return rows.get(payment.transfer_id)


def _apply(
    uow: UnitOfWork,
    transitions: lifecycle.Transitions,
    row: TransferRow | None,
    status: pain002.TransactionStatus,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "end_to_end_id": status.end_to_end_id,
        "status": status.code,
        "reason": status.reason_code,
        "reason_meaning": status_reasons.meaning_of(status.reason_code),
    }
    if row is None:
        return {**item, "result": "unmatched"}
    item["transfer_id"] = row.id
    outcome = status.outcome
    if row.status == TransferStatus.CANCELLED.value and outcome is not Outcome.PENDING:
        # Cancelled here after its file was made: the bank acting on it is for a treasurer.
        return {**item, "result": "refused: the transfer was cancelled; recall it at the bank"}
    if outcome is Outcome.PENDING:
        return {**item, "result": "unchanged"}
    if outcome is Outcome.REJECTED:
        return {**item, "result": _return(uow, transitions, row, status)}
    target = TransferStatus.ACCEPTED if outcome is Outcome.ACCEPTED else TransferStatus.SETTLED
    # Forward moves only (`model.TRANSITIONS`): a report never takes a transfer back.
    if not may_move(row.status, target):
        return {**item, "result": f"unchanged ({row.status})"}
    _move(transitions, row, target, status)
    return {**item, "result": target.value}


def _return(
    uow: UnitOfWork,
    transitions: lifecycle.Transitions,
    row: TransferRow,
    status: pain002.TransactionStatus,
) -> str:
    if row.status == TransferStatus.RETURNED.value:
        return "unchanged (returned)"
    if not may_move(row.status, TransferStatus.RETURNED) or row.journal_entry_id is None:
        return f"refused: a {row.status} transfer cannot be rejected"
    ledger_posting.reverse_entry(
        uow.session,
        tenant_id=row.tenant_id,
        entry_id=row.journal_entry_id,
        reversal_id=new_id(),
        posted_at=uow.clock.now(),
    )
    reason, reason_zh = status_reasons.described(status.reason_code, status.reason_text)
    findings = json.loads(row.findings_json)
    findings.append(
        Finding(
            rule="BANK_REJECTED",
            severity=Severity.INFO,
            message=f"the bank rejected the payment ({status.code}): {reason}",
            message_zh=f"银行退回付款（{status.code}）：{reason_zh}",
            rule_version="pain.002",
        ).to_document()
    )
    row.findings_json = json.dumps(findings)
    _move(transitions, row, TransferStatus.RETURNED, status)
    return TransferStatus.RETURNED.value


def _move(
    transitions: lifecycle.Transitions,
    row: TransferRow,
    target: TransferStatus,
    status: pain002.TransactionStatus,
) -> None:
    transitions.move(
        row,
        target,
        details={
            "bank_status": status.code,
            "reason": status.reason_code,
            "reason_meaning": status_reasons.meaning_of(status.reason_code),
            "reason_text": status.reason_text,
        },
    )
