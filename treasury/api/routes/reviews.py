"""The review queue: officers list held transfers and decide (maker-checker, dual approval)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from compliance.model import Decision, ReviewStatus
from compliance.repository import ReviewDecisionView, ReviewItem
from hedging.service import held_deliveries
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, requires, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.routes.transfers import FindingOut, References
from treasury.api.wire import COMMON_PROBLEMS, StrictModel, problem_responses
from treasury.payments.model import TransferStatus
from treasury.payments.service import reviews
from treasury.tenancy.model import Permission, Principal

router = APIRouter(prefix="/v1/reviews", tags=["reviews"], responses=COMMON_PROBLEMS)

Officer = Annotated[Principal, Depends(requires(Permission.DECIDE_REVIEWS))]


class DecisionOut(BaseModel):
    """One officer's decision."""

    officer: str
    decision: str
    reason: str
    references: dict[str, str]
    decided_at: datetime

    @classmethod
    def of(cls, view: ReviewDecisionView) -> DecisionOut:
        """Render a decision."""
        return cls(
            officer=view.officer,
            decision=view.decision,
            reason=view.reason,
            references=view.references,
            decided_at=view.decided_at,
        )


class ReviewOut(BaseModel):
    """A review item."""

    id: str
    transfer_id: str
    kind: str
    status: ReviewStatus
    findings: list[FindingOut]
    required_approvals: int
    approvals: list[DecisionOut]
    decisions: list[DecisionOut]
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, item: ReviewItem) -> ReviewOut:
        """Render a review item."""
        return cls(
            id=item.id,
            transfer_id=item.transfer_id,
            kind=item.kind.value,
            status=item.status,
            findings=[FindingOut(**finding.to_document()) for finding in item.findings],
            required_approvals=item.required_approvals,
            approvals=[DecisionOut.of(view) for view in item.approvals],
            decisions=[DecisionOut.of(view) for view in item.decisions],
            created_at=item.created_at,
            decided_at=item.decided_at,
        )


class ReviewList(ItemPage[ReviewOut]):
    """A page of review items, oldest first (creation time, then id)."""


class DecisionIn(StrictModel):
    """`{"decision": "approve" | "reject", "reason", "references"?}`."""

    decision: Decision
    reason: str = Field(min_length=1, max_length=2000)
    references: References = Field(default_factory=References)


class TransferStatusOut(BaseModel):
    """The transfer's id and status after the decision."""

    id: str
    status: TransferStatus


class DecisionResultOut(BaseModel):
    """`{id, status, transfer: {id, status}}` plus the approvals so far."""

    id: str
    status: ReviewStatus
    required_approvals: int
    approvals: int
    transfer: TransferStatusOut


@router.get("", response_model=ReviewList, responses=CSV_RESPONSE)
def list_reviews(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    status: ReviewStatus | None = None,
) -> Response:
    """Review items, oldest first (`?status=pending` for the queue)."""
    page = reviews.review_page(
        uow_factory(), tenant_id=tenant_of(principal), status=status, page=query.page
    )
    return respond(query, page, ReviewOut.of, ReviewList)


@router.get("/{review_id}")
def get_review(review_id: str, principal: Reader, uow_factory: UowFactoryDep) -> ReviewOut:
    """One review item with its decisions."""
    item = reviews.get_review(uow_factory(), tenant_id=tenant_of(principal), review_id=review_id)
    return ReviewOut.of(item)


@router.post("/{review_id}/decision", responses=problem_responses(409))
def decide(
    review_id: str,
    body: DecisionIn,
    officer: Officer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> DecisionResultOut:
    """Approve or reject with a reason; references attach to the transfer and the rules re-run."""
    result = reviews.decide_review(
        uow_factory(),
        officer=officer,
        review_id=review_id,
        decision=body.decision,
        reason=body.reason,
        references=body.references.model_dump(exclude_none=True),
        timezone=settings.timezone,
        after_decision=(held_deliveries.on_transfer_decided,),
    )
    return DecisionResultOut(
        id=result.review.id,
        status=result.review.status,
        required_approvals=result.review.required_approvals,
        approvals=len(result.review.approvals),
        transfer=TransferStatusOut(id=result.transfer.id, status=result.transfer.status),
    )
