"""Payment runs: an ERP's supplier payments as JSON transfer bodies or as its own pain.001.

Each item is validated exactly as `POST /v1/transfers` validates its body, then taken through
the same pipeline; an item that fails either carries its problem (code, detail, errors) as its
outcome and the others go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response, status
from pydantic import BaseModel, Field, ValidationError

from treasury.api.deps import (
    IdempotencyKeyDep,
    Reader,
    SettingsDep,
    UowFactoryDep,
    Writer,
    tenant_of,
)
from treasury.api.routes.transfers import FindingOut, TransferIn
from treasury.api.wire import COMMON_PROBLEMS, StrictModel, problem_responses
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import TreasuryError, ValidationFailed
from treasury.payments.service import payment_runs
from treasury.payments.service import transfers as service
from treasury.payments.service.payment_runs import ItemError, ItemIn, PaymentRun, Submission
from treasury.settlement import pain001_in

router = APIRouter(prefix="/v1/payment-runs", tags=["payment runs"], responses=COMMON_PROBLEMS)

JSON = "application/json"
XML = "application/xml"


class PaymentRunIn(StrictModel):
    """A run as JSON: each item a transfer body as `POST /v1/transfers` takes it."""

    name: str | None = Field(default=None, min_length=1, max_length=140)
    items: list[Any] = Field(min_length=1, max_length=payment_runs.MAX_ITEMS)


_JSON_SCHEMA = PaymentRunIn.model_json_schema()
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {"schema": _JSON_SCHEMA},
            XML: {"schema": {"type": "string", "description": "pain.001.001.03 or .001.09"}},
        },
    }
}


class ItemErrorOut(BaseModel):
    """Why an item did not become a transfer (the problem a single transfer would get)."""

    code: str
    detail: str
    errors: list[Any] | None = None


class RunItemOut(BaseModel):
    """One item's outcome: its transfer's status and findings, or `invalid` with its error."""

    index: int
    transfer_id: str | None
    status: str
    findings: list[FindingOut]
    error: ItemErrorOut | None
    reference: str | None = Field(description="the ERP's end-to-end id (pain.001)")


class PaymentRunOut(BaseModel):
    """A run: the count per status (and `total`) and every item in input order."""

    id: str
    name: str | None
    source: str
    message_id: str | None
    counts: dict[str, int]
    items: list[RunItemOut]
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, run: PaymentRun) -> PaymentRunOut:
        """Render a run."""
        return cls(
            id=run.id,
            name=run.name,
            source=run.source,
            message_id=run.message_id,
            counts=run.counts,
            items=[
                RunItemOut(
                    index=item.index,
                    transfer_id=item.transfer_id,
                    status=item.status,
                    findings=[FindingOut(**finding.to_document()) for finding in item.findings],
                    error=None if item.error is None else ItemErrorOut(**item.error.to_document()),
                    reference=item.reference,
                )
                for item in run.items
            ],
            created_by=run.created_by,
            created_at=run.created_at,
        )


@dataclass(frozen=True)
class Prepared:
    """A run ready for the use case, and the document its Idempotency-Key is bound to."""

    submission: Submission
    request_document: dict[str, Any]


def prepare(
    body: Any, content_type: str, uow_factory: Callable[[], UnitOfWork], tenant_id: str
) -> Prepared:
    """Read a run — the JSON document, or the bytes of a pain.001 — and validate each item as
    a transfer body.

    Raises:
        PaymentRunFileInvalid: a pain.001 that is not well-formed or not valid by its XSD.
        ValidationFailed: another media type, or JSON that is not a run.
    """
    media = content_type.split(";")[0].strip().lower()
    if media in (XML, "text/xml") and isinstance(body, bytes):
        return _from_pain001(body, uow_factory, tenant_id)
    if media != JSON:
        raise ValidationFailed(f"send the run as {JSON} or {XML} (pain.001), not {media!r}")
    try:
        run = PaymentRunIn.model_validate(body)
    except ValidationError as error:
        refused = _validation_error(error.errors())
        raise ValidationFailed(refused.detail, errors=list(refused.errors)) from None
    items = [_item(document) for document in run.items]
    submission = Submission(name=run.name, source="json", message_id=None, items=items)
    return Prepared(submission, run.model_dump(mode="json"))


def _from_pain001(body: bytes, uow_factory: Callable[[], UnitOfWork], tenant_id: str) -> Prepared:
    initiation = pain001_in.parse(body)
    numbers = {
        number
        for payment in initiation.payments
        for number in (payment.debtor_account, payment.creditor_account)
        if number
    }
    accounts = payment_runs.accounts_by_number(
        uow_factory(), tenant_id=tenant_id, numbers=sorted(numbers)
    )
    items = []
    for payment in initiation.payments:
        found = payment_runs.transfer_body(payment, accounts)
        reference = payment.end_to_end_id
        item = found if isinstance(found, ItemError) else _item(found, reference)
        items.append(item if isinstance(item, ItemIn) else ItemIn(None, item, reference))
    submission = Submission(
        name=initiation.message_id or None,
        source=initiation.version,
        message_id=initiation.message_id or None,
        items=items,
    )
    return Prepared(submission, {"pain001_sha256": hashlib.sha256(body).hexdigest()})


def _item(document: Any, reference: str | None = None) -> ItemIn:
    """An item validated as a single transfer's body would be: its request, or its error."""
    try:
        return ItemIn(TransferIn.model_validate(document).to_request(), reference=reference)
    except ValidationError as error:
        return ItemIn(None, _validation_error(error.errors()), reference)
    except TreasuryError as error:
        return ItemIn(None, ItemError.of(error), reference)


def _validation_error(errors: Sequence[Any]) -> ItemError:
    shown = [
        {
            "pointer": "/" + "/".join(str(part) for part in item.get("loc", ())),
            "message": str(item.get("msg", "")),
        }
        for item in errors
    ]
    detail = "; ".join(f"{e['pointer']}: {e['message']}" for e in shown)[:2000]
    return ItemError(ValidationFailed.code, detail or "invalid transfer", tuple(shown))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_BODY,
    responses=problem_responses(409),
)
def create_payment_run(
    body: Annotated[Any, Body()],
    response: Response,
    principal: Writer,
    key: IdempotencyKeyDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    content_type: Annotated[str, Header()] = JSON,
) -> PaymentRunOut:
    """Screen, route and book every item on its own (or record it held or rejected; an item
    that is not a valid transfer carries its error), as one run.

    Requires `Idempotency-Key`: a replay returns the run and books nothing; the same key with
    another body is 409 `IDEMPOTENCY_KEY_REUSED`.
    """
    prepared = prepare(body, content_type, uow_factory, tenant_of(principal))
    result = payment_runs.create_run(
        uow_factory(),
        principal=principal,
        submission=prepared.submission,
        idempotency_options=service.IdempotencyOptions(
            key=key,
            request_document=prepared.request_document,
            wait_seconds=settings.idempotency_wait_seconds,
        ),
        timezone=settings.timezone,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return PaymentRunOut.of(result.run)


@router.get("/{run_id}")
def get_payment_run(run_id: str, principal: Reader, uow_factory: UowFactoryDep) -> PaymentRunOut:
    """One run, each item as its transfer stands now."""
    run = payment_runs.get_run(uow_factory(), tenant_id=tenant_of(principal), run_id=run_id)
    return PaymentRunOut.of(run)


def document_of(result: payment_runs.RunResult) -> dict[str, Any]:
    """The run as the API shows it (for the CLI)."""
    document: dict[str, Any] = PaymentRunOut.of(result.run).model_dump(mode="json")
    return document
