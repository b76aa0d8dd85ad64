"""Review decisions: maker-checker on held transfers, and the queue officers read.

Deciding is a payments use case because an approval continues the transfer pipeline (screen again
with the attached references, then route and book) inside the same unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from compliance import repository as review_repository
from compliance.model import Decision, DecisionRefused, ReviewKind, ReviewStatus, decide
from compliance.repository import ReviewItem
from treasury.audit import service as audit
from treasury.clock import today
from treasury.db.paging import Page, PageRequest
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, Forbidden, NotFound, ReferenceRequired, ValidationFailed
from treasury.payments import extensions, outcomes, pipeline, repository
from treasury.payments.model import Transfer, TransferStatus, request_of
from treasury.payments.tables import TransferRow
from treasury.tenancy.model import Principal


class DecisionHook(Protocol):
    """Told, inside the decision's unit of work, how a held transfer ended (booked or rejected):
    what made the transfer (a hedge's delivery) finishes its own work. Passed by the caller."""

    def __call__(self, uow: UnitOfWork, *, transfer: Transfer) -> None: ...


@dataclass(frozen=True)
class DecisionResult:
    """The review after the decision and the transfer it concerns."""

    review: ReviewItem
    transfer: Transfer


def list_reviews(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: ReviewStatus | None,
    limit: int = 200,
    offset: int = 0,
) -> list[ReviewItem]:
    """The tenant's review items, oldest first."""
    with uow:
        rows = review_repository.list_rows(
            uow.session, tenant_id=tenant_id, status=status, limit=limit, offset=offset
        )
        return review_repository.to_items(uow.session, rows)


def review_page(
    uow: UnitOfWork, *, tenant_id: str, status: ReviewStatus | None, page: PageRequest
) -> Page[ReviewItem]:
    """A page of the tenant's review items, oldest first."""
    with uow:
        found = review_repository.row_page(
            uow.session, tenant_id=tenant_id, status=status, page=page
        )
        items = review_repository.to_items(uow.session, found.rows)
        return Page(rows=items, total=found.total, next_key=found.next_key)


def get_review(uow: UnitOfWork, *, tenant_id: str, review_id: str) -> ReviewItem:
    """One review item."""
    with uow:
        row = review_repository.get_row(uow.session, tenant_id, review_id)
        if row is None:
            raise NotFound(f"review {review_id} not found")
        return review_repository.to_items(uow.session, [row])[0]


def decide_review(
    uow: UnitOfWork,
    *,
    officer: Principal,
    review_id: str,
    decision: Decision,
    reason: str,
    references: dict[str, str],
    timezone: str,
    after_decision: Sequence[DecisionHook] = (),
) -> DecisionResult:
    """Record an officer's decision; when it completes the review, finish the transfer (and tell
    `after_decision` how it ended).

    Approve (with enough approvals): the attached references join the transfer, the rules run
    again, and the transfer is routed and booked — or rejected if a rule now blocks or funds fell
    short. Reject: the reservation is released and the transfer is rejected. A post-event item
    only records the decision: its payment was made by the bank already.

    Raises:
        NotFound: another tenant's or no such review.
        ValidationFailed: no reason.
        Forbidden: the officer created the transfer.
        Conflict: the review is closed, or this officer approved it already.
        TreasuryError: an approval check the entry point wired (`payments.extensions`) refused
            booking (e.g. pooling's POOL_QUOTA_EXCEEDED: a held pool leg still over its quota);
            nothing changes and the review stays pending.
    """
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason")
    assert officer.tenant_id is not None
    with uow:
        item = review_repository.get_item(
            uow.session, officer.tenant_id, review_id, for_update=True
        )
        if item is None:
            raise NotFound(f"review {review_id} not found")
        transfer_row = repository.get_transfer_row(
            uow.session, officer.tenant_id, item.transfer_id, for_update=True
        )
        assert transfer_row is not None
        # With dual approval, what the first officer attached counts as much as the second's.
        approved = {**review_repository.approval_references(uow.session, item.id), **references}
        if decision is Decision.APPROVE and item.kind is ReviewKind.HOLD:
            _require_references(repository.to_transfer(transfer_row), approved)
        status = _apply(uow, item, transfer_row, officer, decision, reason, references)
        if status is not ReviewStatus.PENDING and item.kind is ReviewKind.HOLD:
            _finish_transfer(uow, transfer_row, status, approved, officer, timezone)
            for hook in after_decision:
                hook(uow, transfer=repository.to_transfer(transfer_row))
        _flush_or_conflict(uow)
        decided = review_repository.get_item(uow.session, officer.tenant_id, item.id)
        assert decided is not None
        result = DecisionResult(decided, repository.to_transfer(transfer_row))
        uow.commit()
        return result


# A hold that only a document clears: approving it means the officer has that document, so the
# approval carries its reference (issue 3: "an officer approving it attaches the filing reference").
REFERENCE_REQUIRED_TO_APPROVE = {"TAX_FILING_MISSING": "tax_filing"}


def _require_references(transfer: Transfer, references: dict[str, str]) -> None:
    held_for = {finding.rule for finding in transfer.findings}
    for rule, reference in REFERENCE_REQUIRED_TO_APPROVE.items():
        given = references.get(reference) or transfer.references.get(reference)
        if rule in held_for and not (given and given.strip()):
            raise ReferenceRequired(
                f"approving {rule} needs references.{reference}", rule=rule, reference=reference
            )


def _apply(
    uow: UnitOfWork,
    item: ReviewItem,
    transfer_row: TransferRow,
    officer: Principal,
    decision: Decision,
    reason: str,
    references: dict[str, str],
) -> ReviewStatus:
    assert officer.tenant_id is not None
    state = review_repository.state_of(item, transfer_row.created_by_token_id)
    try:
        status = decide(state, officer_token_id=officer.token_id, decision=decision)
    except DecisionRefused as refused:
        raise (Forbidden if refused.kind == "forbidden" else Conflict)(str(refused)) from refused
    move = review_repository.record_decision(
        uow.session,
        tenant_id=officer.tenant_id,
        review_id=item.id,
        officer_token_id=officer.token_id,
        officer=officer.name,
        decision=decision,
        status=status,
        reason=reason,
        references=references,
        decided_at=uow.clock.now(),
    )
    audit.record(
        uow,
        tenant_id=officer.tenant_id,
        actor=officer.name,
        action=f"review.{decision.value}",
        object_type="review",
        object_id=item.id,
        before={"status": move.status_before, "approvals": move.approvals_before},
        after={
            "status": move.status,
            "approvals": move.approvals,
            "required_approvals": item.required_approvals,
            "reason": reason,
            "references": references,
            "transfer_id": item.transfer_id,
        },
    )
    return status


def _finish_transfer(
    uow: UnitOfWork,
    transfer_row: TransferRow,
    status: ReviewStatus,
    references: dict[str, str],
    officer: Principal,
    timezone: str,
) -> None:
    if transfer_row.status != TransferStatus.HELD.value:
        raise Conflict(f"transfer {transfer_row.id} is {transfer_row.status}, not held")
    transfer = repository.to_transfer(transfer_row)
    today_ = today(uow.clock, timezone)
    if status is ReviewStatus.APPROVED:
        for check in extensions.of(uow).approval_checks:
            check(
                uow.session,
                tenant_id=transfer_row.tenant_id,
                transfer=transfer,
                value_date=max(transfer.requested_value_date, today_),
            )
    outcomes.lock_both_sides(uow, transfer_row)  # before `release` locks the debtor alone
    pipeline.release(
        uow.session, transfer_row.tenant_id, transfer_row.debtor_account_id, transfer.amount
    )
    transfer_row.reserved_minor = 0
    if status is ReviewStatus.REJECTED:
        outcomes.reject(uow, transfer_row, list(transfer.findings), actor=officer)
        return
    merged = {**transfer.references, **references}
    transfer_row.references_json = json.dumps(merged, sort_keys=True)
    request = request_of(repository.to_transfer(transfer_row))
    outcomes.run(uow, transfer_row, request, actor=officer, today=today_, approved=True)


def _flush_or_conflict(uow: UnitOfWork) -> None:
    try:
        uow.session.flush()
    except IntegrityError as error:  # the same officer's decision raced itself
        raise Conflict("this officer has decided on this review already") from error
