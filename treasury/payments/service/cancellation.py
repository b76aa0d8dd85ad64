"""Cancelling a transfer (DESIGN §4.4): a held one gives back its reservation; a booked one whose
payment the bank has not accepted is undone by a reversing entry that points at its booking.

Either way the transfer's open review item closes (nothing is left to decide), the reason is kept
on the transfer, and the move goes through `lifecycle.transition` with its audit event. Locks are
taken in the order a review decision takes them — review item, then transfer, then balances — so
a cancellation racing an officer's approval waits for it (or it for the cancellation) and exactly
one of them finds the transfer still as it expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from compliance import repository as review_repository
from compliance.model import Finding, ReviewStatus, Severity
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotCancellable, NotFound, ValidationFailed
from treasury.idempotency.requests import claim_or_replay
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import within_limit
from treasury.money import Money
from treasury.payments import lifecycle, outcomes, pipeline, repository
from treasury.payments.model import Purpose, TransferStatus, may_move
from treasury.payments.service.transfers import IdempotencyOptions, TransferResult
from treasury.payments.tables import TransferRow
from treasury.settlement import repository as settlement_repository
from treasury.tenancy.model import Principal

IDEMPOTENCY_SCOPE = "transfer_cancellations"
OK = 200


@dataclass(frozen=True)
class CancellationRequest:
    """Which transfer, why, and (optionally) the state the treasurer saw it in."""

    transfer_id: str
    reason: str
    expected_status: TransferStatus | None = None


def cancel_transfer(
    uow: UnitOfWork,
    *,
    principal: Principal,
    request: CancellationRequest,
    idempotency_options: IdempotencyOptions,
) -> TransferResult:
    """Cancel a held transfer, or a booked one the bank has not accepted.

    Raises:
        ValidationFailed: no reason.
        NotFound: no such transfer of the tenant.
        NotCancellable: any other state; a back-valued record (the bank paid it already); a
            sweep leg or a forward's delivery (their run or hedge owns them); or not in
            `expected_status` any more (someone else moved it first).
        IdempotencyKeyReused, IdempotencyKeyInFlight: see `treasury.idempotency`.
    """
    reason = request.reason.strip()
    if not reason:
        raise ValidationFailed("a cancellation needs a reason")
    assert principal.tenant_id is not None
    with uow:
        # Only a transfer of the tenant can be cancelled, so only its id is worth a key's claim
        # (which stores it): an id of nothing is a 404 that leaves no trace.
        if (
            repository.get_transfer_row(uow.session, principal.tenant_id, request.transfer_id)
            is None
        ):
            raise NotFound(f"transfer {request.transfer_id} not found")
        prior = claim_or_replay(
            uow,
            idempotency_options,
            tenant_id=principal.tenant_id,
            scope=IDEMPOTENCY_SCOPE,
            result_id=request.transfer_id,
            response_status=OK,
        )
        if prior is not None:
            done = repository.get_transfer_row(uow.session, principal.tenant_id, prior)
            assert done is not None
            return TransferResult(repository.to_transfer(done), replayed=True)
        row = _locked(uow, principal.tenant_id, request.transfer_id)
        _check_cancellable(row, request.expected_status)
        details = _undo(uow, row, reason)
        _close_review(uow, row, principal, reason)
        row.cancellation_reason, row.cancelled_by = reason, principal.name
        row.cancelled_at = uow.clock.now()
        lifecycle.transition(
            uow, row, TransferStatus.CANCELLED, actor=principal.name, details=details
        )
        transfer = repository.to_transfer(row)
        uow.commit()
        return TransferResult(transfer, replayed=False)


def _locked(uow: UnitOfWork, tenant_id: str, transfer_id: str) -> TransferRow:
    """The transfer locked after its review item (the order a decision locks them in)."""
    seen = repository.get_transfer_row(uow.session, tenant_id, transfer_id)
    if seen is None:
        raise NotFound(f"transfer {transfer_id} not found")
    if seen.review_id is not None:
        review_repository.get_row(uow.session, tenant_id, seen.review_id, for_update=True)
    uow.session.expire(seen)  # read again under the lock: a decision may have moved it
    row = repository.get_transfer_row(uow.session, tenant_id, transfer_id, for_update=True)
    assert row is not None
    return row


def _check_cancellable(row: TransferRow, expected: TransferStatus | None) -> None:
    status = row.status
    if expected is not None and status != expected.value:
        raise NotCancellable(
            f"transfer {row.id} is {status} now, not {expected.value}: it changed meanwhile",
            transfer_status=status,
        )
    if not may_move(status, TransferStatus.CANCELLED):
        raise NotCancellable(
            f"transfer {row.id} is {status}: only a held transfer, or a booked one the bank has "
            "not accepted, can be cancelled",
            transfer_status=status,
        )
    why = _owned_elsewhere(row)
    if why is not None:
        raise NotCancellable(f"transfer {row.id} {why}", transfer_status=status)


def _owned_elsewhere(row: TransferRow) -> str | None:
    if row.back_valued:
        return "records a payment the bank already made; correct it with a statement line"
    if row.purpose == Purpose.CASH_POOL.value:
        return "is a leg of a cash-pool sweep; the sweep run owns it"
    if "hedge" in json.loads(row.references_json):
        return "delivers a forward; the hedge owns it"
    return None


def _undo(uow: UnitOfWork, row: TransferRow, reason: str) -> dict[str, Any]:
    """Give back a held transfer's reservation or reverse a booked one's entry."""
    outcomes.lock_both_sides(uow, row)
    if row.status == TransferStatus.HELD.value:
        released = row.reserved_minor
        pipeline.release(
            uow.session,
            row.tenant_id,
            row.debtor_account_id,
            Money.from_minor(released, row.currency),
        )
        row.reserved_minor = 0
        return {"reason": reason, "released": released, "currency": row.currency}
    assert row.journal_entry_id is not None
    _check_creditor_can_give_back(uow, row)
    reversal = ledger_posting.reverse_entry(
        uow.session,
        tenant_id=row.tenant_id,
        entry_id=row.journal_entry_id,
        reversal_id=new_id(),
        posted_at=uow.clock.now(),
        reason=f"transfer cancelled: {reason}"[:500],
    )
    row.cancellation_entry_id = reversal.id
    files = settlement_repository.payment_files_with(uow.session, row.tenant_id, row.id)
    if files:
        _warn_of_files(row, files)
    return {"reason": reason, "reversal_entry_id": reversal.id, "payment_files": files}


def _check_creditor_can_give_back(uow: UnitOfWork, row: TransferRow) -> None:
    """An own creditor account that spent what it received cannot give it back: reversing would
    take it below its limit (a reversal is never refused for funds, so refuse the cancellation)."""
    creditor_id = row.creditor_account_id
    if creditor_id is None:
        return
    credited = row.amount_minor if row.creditor_amount_minor is None else row.creditor_amount_minor
    locked = ledger_repository.lock_accounts(uow.session, row.tenant_id, [creditor_id])
    account = locked[creditor_id]
    if not within_limit(
        balance_minor=account.balance_minor - credited,
        reserved_minor=account.reserved_minor,
        overdraft_limit_minor=account.overdraft_limit_minor or 0,
    ):
        raise NotCancellable(
            f"transfer {row.id}: its creditor account {creditor_id} has spent what it received; "
            "reversing would take it below its limit",
            transfer_status=row.status,
        )


def _warn_of_files(row: TransferRow, files: list[str]) -> None:
    """A payment file already made may be at the bank: the treasurer must recall it there."""
    listed = ", ".join(files)
    findings = json.loads(row.findings_json)
    findings.append(
        Finding(
            rule="PAYMENT_FILE_ISSUED",
            severity=Severity.INFO,
            message=f"cancelled after its payment file {listed} was made: if it was sent, "
            "recall the payment at the bank",
            message_zh=f"付款文件 {listed} 生成后撤销：如已发送，请向银行申请撤回",
            rule_version="cancellation-1",
        ).to_document()
    )
    row.findings_json = json.dumps(findings)


def _close_review(uow: UnitOfWork, row: TransferRow, principal: Principal, reason: str) -> None:
    """The transfer's open review item closes: nothing is left for an officer to decide."""
    if row.review_id is None:
        return
    review = review_repository.get_row(uow.session, row.tenant_id, row.review_id)
    if review is None or review.status != ReviewStatus.PENDING.value:
        return
    before = {"status": review.status, "approvals": review.approvals}
    review.status = ReviewStatus.CANCELLED.value
    review.decided_at = uow.clock.now()
    audit.record(
        uow,
        tenant_id=row.tenant_id,
        actor=principal.name,
        action="review.cancelled",
        object_type="review",
        object_id=review.id,
        before=before,
        after={"status": review.status, "reason": reason, "transfer_id": row.id},
    )
