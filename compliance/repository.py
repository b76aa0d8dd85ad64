"""Queries for the review queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.model import Decision, Finding, ReviewKind, ReviewState, ReviewStatus
from compliance.tables import ReviewDecisionRow, ReviewRow
from treasury.db.base import new_id
from treasury.db.paging import Page, PageRequest, keyset_page


@dataclass(frozen=True)
class ReviewDecisionView:
    """A recorded decision."""

    officer: str
    officer_token_id: str
    decision: str
    reason: str
    references: dict[str, str]
    decided_at: datetime


@dataclass(frozen=True)
class ReviewItem:
    """A review item with its decisions so far."""

    id: str
    transfer_id: str
    kind: ReviewKind
    status: ReviewStatus
    findings: tuple[Finding, ...]
    required_approvals: int
    approvals: tuple[ReviewDecisionView, ...]
    decisions: tuple[ReviewDecisionView, ...]
    created_at: datetime
    decided_at: datetime | None


def open_review(
    session: Session,
    *,
    tenant_id: str,
    transfer_id: str,
    kind: ReviewKind,
    findings: list[Finding],
    required_approvals: int,
    created_by_token_id: str,
    created_at: datetime,
) -> str:
    """Open a review item for a transfer; returns its id."""
    review_id = new_id()
    session.add(
        ReviewRow(
            id=review_id,
            tenant_id=tenant_id,
            transfer_id=transfer_id,
            kind=kind.value,
            status=ReviewStatus.PENDING.value,
            findings_json=json.dumps([finding.to_document() for finding in findings]),
            required_approvals=required_approvals,
            approvals=0,
            created_by_token_id=created_by_token_id,
            created_at=created_at,
        )
    )
    return review_id


def get_row(
    session: Session, tenant_id: str, review_id: str, *, for_update: bool = False
) -> ReviewRow | None:
    """One of the tenant's review rows (locked for a decision when asked)."""
    query = select(ReviewRow).where(ReviewRow.id == review_id, ReviewRow.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def _decisions(session: Session, review_ids: list[str]) -> dict[str, list[ReviewDecisionView]]:
    found: dict[str, list[ReviewDecisionView]] = {review_id: [] for review_id in review_ids}
    query = (
        select(ReviewDecisionRow)
        .where(ReviewDecisionRow.review_id.in_(review_ids))
        .order_by(ReviewDecisionRow.decided_at)
    )
    for row in session.scalars(query):
        found[row.review_id].append(
            ReviewDecisionView(
                officer=row.officer,
                officer_token_id=row.officer_token_id,
                decision=row.decision,
                reason=row.reason,
                references=json.loads(row.references_json),
                decided_at=row.decided_at,
            )
        )
    return found


def get_item(
    session: Session, tenant_id: str, review_id: str, *, for_update: bool = False
) -> ReviewItem | None:
    """One of the tenant's review items (its row locked for a decision when asked)."""
    row = get_row(session, tenant_id, review_id, for_update=for_update)
    return None if row is None else to_items(session, [row])[0]


def state_of(item: ReviewItem, creator_token_id: str) -> ReviewState:
    """The maker-checker state of a review item."""
    return ReviewState(
        status=item.status,
        required_approvals=item.required_approvals,
        approved_by=tuple(decision.officer_token_id for decision in item.approvals),
        creator_token_id=creator_token_id,
    )


def approval_references(session: Session, review_id: str) -> dict[str, str]:
    """The references every approval so far attached, merged in decision order (later wins)."""
    merged: dict[str, str] = {}
    for decision in _decisions(session, [review_id])[review_id]:
        if decision.decision == "approve":
            merged.update(decision.references)
    return merged


@dataclass(frozen=True)
class ReviewMove:
    """What one decision changed on a review: its status and approval count, before and after."""

    status_before: str
    approvals_before: int
    status: str
    approvals: int


def record_decision(
    session: Session,
    *,
    tenant_id: str,
    review_id: str,
    officer_token_id: str,
    officer: str,
    decision: Decision,
    status: ReviewStatus,
    reason: str,
    references: dict[str, str],
    decided_at: datetime,
) -> ReviewMove:
    """Record one officer's decision and move the review to `status` (decided at `decided_at`
    unless still pending); the unique constraint refuses a second decision by the same officer.

    The review's row is the one `get_item(..., for_update=True)` locked in this transaction.
    """
    row = session.get(ReviewRow, review_id)
    assert row is not None
    assert row.tenant_id == tenant_id
    session.add(
        ReviewDecisionRow(
            id=new_id(),
            review_id=row.id,
            tenant_id=row.tenant_id,
            officer_token_id=officer_token_id,
            officer=officer,
            decision=decision.value,
            reason=reason,
            references_json=json.dumps(references, sort_keys=True),
            decided_at=decided_at,
        )
    )
    status_before, approvals_before = row.status, row.approvals
    row.approvals += 1 if decision is Decision.APPROVE else 0
    row.status = status.value
    if status is not ReviewStatus.PENDING:
        row.decided_at = decided_at
    return ReviewMove(status_before, approvals_before, row.status, row.approvals)


def to_items(session: Session, rows: list[ReviewRow]) -> list[ReviewItem]:
    """Review items with their decisions."""
    decisions = _decisions(session, [row.id for row in rows])
    return [
        ReviewItem(
            id=row.id,
            transfer_id=row.transfer_id,
            kind=ReviewKind(row.kind),
            status=ReviewStatus(row.status),
            findings=tuple(Finding.from_document(item) for item in json.loads(row.findings_json)),
            required_approvals=row.required_approvals,
            approvals=tuple(d for d in decisions[row.id] if d.decision == "approve"),
            decisions=tuple(decisions[row.id]),
            created_at=row.created_at,
            decided_at=row.decided_at,
        )
        for row in rows
    ]


def row_page(
    session: Session, *, tenant_id: str, status: ReviewStatus | None, page: PageRequest
) -> Page[ReviewRow]:
    """A page of the tenant's review rows, oldest first (creation time, then id)."""
    query = select(ReviewRow).where(ReviewRow.tenant_id == tenant_id)
    if status is not None:
        query = query.where(ReviewRow.status == status.value)
    order = (ReviewRow.created_at, ReviewRow.id)
    return keyset_page(session, query, order=order, descending=False, page=page)


def list_rows(
    session: Session, *, tenant_id: str, status: ReviewStatus | None, limit: int, offset: int
) -> list[ReviewRow]:
    """The tenant's review rows, oldest first."""
    query = select(ReviewRow).where(ReviewRow.tenant_id == tenant_id)
    if status is not None:
        query = query.where(ReviewRow.status == status.value)
    query = query.order_by(ReviewRow.created_at, ReviewRow.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def review_statuses(session: Session, review_ids: list[str]) -> dict[str, tuple[str, int, int]]:
    """Status, approvals and required approvals of some review items, by id."""
    if not review_ids:
        return {}
    query = select(
        ReviewRow.id, ReviewRow.status, ReviewRow.approvals, ReviewRow.required_approvals
    ).where(ReviewRow.id.in_(review_ids))
    return {row[0]: (str(row[1]), int(row[2]), int(row[3])) for row in session.execute(query)}
