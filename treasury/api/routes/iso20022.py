"""ISO 20022 files: pain.001 out (per transfer, the day's batch), bank reports in."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel

from treasury.api.deps import Reader, UowFactoryDep, Writer, tenant_of
from treasury.api.wire import COMMON_PROBLEMS
from treasury.payments import bank_reports, payment_files, statements_in

router = APIRouter(tags=["ISO 20022"], responses=COMMON_PROBLEMS)

XML = "application/xml"
_XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XML: {}}, "description": "a pain.001.001.09 document"}
}


def _xml(found: payment_files.PaymentFile) -> Response:
    return Response(
        content=found.xml,
        media_type=XML,
        headers={"X-Message-Id": found.message_id},
    )


@router.get("/v1/transfers/{transfer_id}/pain001", responses=_XML_RESPONSE)
def transfer_pain001(transfer_id: str, principal: Reader, uow_factory: UowFactoryDep) -> Response:
    """The pain.001.001.09 of a routed outbound transfer (404 for any other), XSD-validated."""
    found = payment_files.transfer_file(
        uow_factory(), tenant_id=tenant_of(principal), transfer_id=transfer_id
    )
    return _xml(found)


@router.get("/v1/payment-files", responses=_XML_RESPONSE)
def payment_file(
    principal: Reader,
    uow_factory: UowFactoryDep,
    debtor_account_id: str,
    on: Annotated[date, Query(alias="date")],
) -> Response:
    """The day's batch of a debtor account: every routed outbound transfer sent that day."""
    found = payment_files.batch_file(
        uow_factory(), tenant_id=tenant_of(principal), debtor_account_id=debtor_account_id, on=on
    )
    return _xml(found)


class ReportOut(BaseModel):
    """What a bank report changed, per transaction."""

    message_id: str
    replayed: bool
    items: list[dict[str, Any]]


_XML_BODY: dict[str, Any] = {
    "requestBody": {"content": {XML: {"schema": {"type": "string"}}}, "required": True}
}


@router.post("/v1/payment-status/pain002", openapi_extra=_XML_BODY)
def payment_status(
    body: Annotated[bytes, Body(media_type=XML)],
    principal: Writer,
    uow_factory: UowFactoryDep,
) -> ReportOut:
    """Apply the bank's pain.002: transfers move to accepted, settled or returned (reversed).

    Applied once per report message id (a replay changes nothing). Nothing is applied, with 422,
    for a malformed report or one invalid by its XSD (`BANK_REPORT_INVALID`, naming the element),
    a DTD (`BANK_REPORT_DTD_REFUSED`) or a file beyond the parse bounds
    (`BANK_REPORT_LIMIT_EXCEEDED`).
    """
    result = bank_reports.apply_status_report(uow_factory(), principal=principal, xml=body)
    return ReportOut(
        message_id=result.message_id, replayed=result.replayed, items=list(result.items)
    )


class StatementOut(BaseModel):
    """What a statement import did."""

    message_id: str
    replayed: bool
    matched: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]
    skipped: list[str]
    not_booked: list[str]


@router.post("/v1/statements/camt053", openapi_extra=_XML_BODY)
def import_camt053(
    body: Annotated[bytes, Body(media_type=XML)],
    principal: Writer,
    uow_factory: UowFactoryDep,
) -> StatementOut:
    """Import a camt.053 statement: lines once per entry reference, matched to transfers.

    An entry without AcctSvcrRef or NtryRef is identified by a derived `derived:…` reference. A
    matched line confirms its transfer (settled) and posts nothing; unmatched lines post to
    suspense and are listed. Nothing is applied, with 422, for a malformed statement or one
    invalid by its XSD (`BANK_REPORT_INVALID`, naming the element and the entry), a DTD
    (`BANK_REPORT_DTD_REFUSED`) or a file beyond the parse bounds (`BANK_REPORT_LIMIT_EXCEEDED`).
    """
    result = statements_in.import_statement(uow_factory(), principal=principal, xml=body)
    return StatementOut(replayed=result.replayed, **result.document())
