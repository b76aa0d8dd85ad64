"""Corrections (DESIGN §4.4): cancelling a transfer and classifying a statement line out of
suspense. (A journal entry's reversal, the third correction, lives with the ledger's routes.)"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, model_validator

from treasury.api.deps import IdempotencyKeyDep, SettingsDep, UowFactoryDep, Writer
from treasury.api.routes.transfers import TransferOut
from treasury.api.wire import COMMON_PROBLEMS, MoneyOut, StrictModel, problem_responses
from treasury.ledger.model import LedgerAccountKind
from treasury.payments.model import TransferStatus
from treasury.payments.service import cancellation, classification
from treasury.payments.service.transfers import IdempotencyOptions

router = APIRouter(tags=["corrections"], responses=COMMON_PROBLEMS)


class CancellationIn(StrictModel):
    """Why the transfer is cancelled; optionally the state the treasurer saw it in."""

    reason: str = Field(min_length=1, max_length=500)
    expected_status: TransferStatus | None = Field(
        default=None,
        description="refuse (409 NOT_CANCELLABLE) unless the transfer is still in this state — "
        "e.g. `held`, so that a cancellation racing an officer's approval does not reverse the "
        "payment the approval just booked",
    )


class ClassificationIn(StrictModel):
    """Where an unmatched statement line belongs: exactly one of a transfer, a ledger account, or
    an internal account by kind (the entity's, in the line's currency, made on first use)."""

    transfer_id: str | None = None
    ledger_account_id: str | None = None
    ledger_account_kind: LedgerAccountKind | None = Field(
        default=None,
        description="bank_fees, interest_income, interest_expense or fx_result_realised",
    )
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> ClassificationIn:
        targets = (self.transfer_id, self.ledger_account_id, self.ledger_account_kind)
        if sum(target is not None for target in targets) != 1:
            raise ValueError(
                "name exactly one of transfer_id, ledger_account_id, ledger_account_kind"
            )
        return self


class ClassificationOut(BaseModel):
    """A statement line out of suspense: where to, why, by whom, and the entry that moved it."""

    statement_line_id: str
    account_id: str
    bank_ref: str
    amount: MoneyOut
    transfer_id: str | None
    ledger_account_id: str = Field(description="the account the line's amount moved to")
    journal_entry_id: str
    reason: str
    classified_by: str
    classified_at: datetime

    @classmethod
    def of(cls, done: classification.Classification) -> ClassificationOut:
        """Render a classification."""
        return cls(
            statement_line_id=done.line_id,
            account_id=done.account_id,
            bank_ref=done.bank_ref,
            amount=MoneyOut.of(done.amount),
            transfer_id=done.transfer_id,
            ledger_account_id=done.ledger_account_id,
            journal_entry_id=done.journal_entry_id,
            reason=done.reason,
            classified_by=done.classified_by,
            classified_at=done.classified_at,
        )


@router.post("/v1/transfers/{transfer_id}/cancellation", responses=problem_responses(409))
def cancel_transfer(
    transfer_id: str,
    body: CancellationIn,
    response: Response,
    principal: Writer,
    key: IdempotencyKeyDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> TransferOut:
    """Cancel a `held` transfer (its reservation released) or a `booked` one whose payment the
    bank has not accepted (its entry reversed); its open review item closes. Anything else is
    409 `NOT_CANCELLABLE`.

    Requires `Idempotency-Key`: a replay returns the transfer and changes nothing.
    """
    result = cancellation.cancel_transfer(
        uow_factory(),
        principal=principal,
        request=cancellation.CancellationRequest(
            transfer_id=transfer_id, reason=body.reason, expected_status=body.expected_status
        ),
        idempotency_options=IdempotencyOptions(
            key=key,
            request_document={"transfer_id": transfer_id, **body.model_dump(mode="json")},
            wait_seconds=settings.idempotency_wait_seconds,
        ),
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return TransferOut.of(result.transfer)


@router.post(
    "/v1/statement-lines/{line_id}/classification",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def classify_statement_line(
    line_id: str, body: ClassificationIn, principal: Writer, uow_factory: UowFactoryDep
) -> ClassificationOut:
    """Move an unmatched statement line out of suspense to the transfer it belongs to or to a
    ledger account of its entity (once: a second time is 409 `STATEMENT_LINE_NOT_IN_SUSPENSE`)."""
    done = classification.classify_statement_line(
        uow_factory(),
        principal=principal,
        line_id=line_id,
        reason=body.reason,
        transfer_id=body.transfer_id,
        ledger_account_id=body.ledger_account_id,
        ledger_account_kind=body.ledger_account_kind,
    )
    return ClassificationOut.of(done)
