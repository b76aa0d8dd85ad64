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
from treasury.settlement.tables import RouteDecisionRow
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
    tenant_id = principal.tenant_id
    report = pain002.parse(xml)
    with uow:
        seen = settlement_repository.bank_report_result(
            uow.session, tenant_id, PAIN002, report.message_id
        )
        if seen is not None:
            return ReportResult(report.message_id, tuple(json.loads(seen)), True)
        statuses = list(report.transactions) or _group_statuses(uow, tenant_id, report)
        # One read of every decision the report names (a 10,000-line report made 20,000 reads).
        decisions = settlement_repository.decisions_by_end_to_end(
            uow.session, tenant_id, [s.end_to_end_id for s in statuses if s.end_to_end_id]
        )
        _lock_transfers_in_id_order(uow, tenant_id, decisions)
        items = tuple(_apply(uow, principal, status, decisions) for status in statuses)
        settlement_repository.add_bank_report(
            uow.session,
            tenant_id=tenant_id,
            kind=PAIN002,
            message_id=report.message_id,
            sha256=hashlib.sha256(xml).hexdigest(),
            result_json=json.dumps(list(items)),
            received_at=uow.clock.now(),
        )
        try:
            uow.commit()
        except IntegrityError:
            # The same report (or one of its lines) applied by a concurrent request first.
            raise Conflict(
                "this report is being applied by another request; retry to replay it"
            ) from None
        return ReportResult(report.message_id, items, False)


def _lock_transfers_in_id_order(
    uow: UnitOfWork, tenant_id: str, decisions: dict[str, RouteDecisionRow]
) -> None:
    """Lock every transfer the report names, in ascending id order, before changing any.

    Two reports naming the same transfers in opposite orders would otherwise each hold one row
    and wait for the other's (a deadlock on PostgreSQL).
    """
    transfer_ids = {decision.transfer_id for decision in decisions.values()}
    for transfer_id in sorted(transfer_ids):
        repository.get_transfer_row(uow.session, tenant_id, transfer_id, for_update=True)


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
    statuses = []
    for transfer_id in transfer_ids:
        decision = settlement_repository.decision_of(uow.session, tenant_id, transfer_id)
        if decision is not None:
            statuses.append(
                pain002.TransactionStatus(
                    decision.end_to_end_id,
                    decision.uetr,
                    report.group_status,
                    report.group_reason,
                    None,
                )
            )
    return statuses


def _apply(
    uow: UnitOfWork,
    principal: Principal,
    status: pain002.TransactionStatus,
    decisions: dict[str, RouteDecisionRow],
) -> dict[str, Any]:
    assert principal.tenant_id is not None
    item: dict[str, Any] = {
        "end_to_end_id": status.end_to_end_id,
        "status": status.code,
        "reason": status.reason_code,
        "reason_meaning": status_reasons.meaning_of(status.reason_code),
    }
    decision = None if status.end_to_end_id is None else decisions.get(status.end_to_end_id)
    row = (
        None
        if decision is None or decision.rail_id in _NOT_SENT_TO_A_BANK
        else repository.get_transfer_row(
            uow.session, principal.tenant_id, decision.transfer_id, for_update=True
        )
    )
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
        return {**item, "result": _return(uow, principal, row, status)}
    target = TransferStatus.ACCEPTED if outcome is Outcome.ACCEPTED else TransferStatus.SETTLED
    # Forward moves only (`model.TRANSITIONS`): a report never takes a transfer back.
    if not may_move(row.status, target):
        return {**item, "result": f"unchanged ({row.status})"}
    _move(uow, principal, row, target, status)
    return {**item, "result": target.value}


def _return(
    uow: UnitOfWork, principal: Principal, row: TransferRow, status: pain002.TransactionStatus
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
    _move(uow, principal, row, TransferStatus.RETURNED, status)
    return TransferStatus.RETURNED.value


def _move(
    uow: UnitOfWork,
    principal: Principal,
    row: TransferRow,
    target: TransferStatus,
    status: pain002.TransactionStatus,
) -> None:
    lifecycle.transition(
        uow,
        row,
        target,
        actor=principal.name,
        details={
            "bank_status": status.code,
            "reason": status.reason_code,
            "reason_meaning": status_reasons.meaning_of(status.reason_code),
            "reason_text": status.reason_text,
        },
    )
