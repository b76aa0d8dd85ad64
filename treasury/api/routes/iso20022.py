"""ISO 20022 files: pain.001 out (per transfer, the day's batch), bank reports in."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import BaseModel

from treasury.api.deps import Reader, UowFactoryDep, Writer, tenant_of
from treasury.api.wire import COMMON_PROBLEMS
from treasury.errors import ValidationFailed
from treasury.payments.service import bank_reports, payment_files, statements_in

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


class LeftOutOut(BaseModel):
    """A transfer of the day left out of the batch: its error code and why."""

    transfer_id: str
    code: str
    detail: str


class PaymentFileOut(BaseModel):
    """The day's batch as JSON (`Accept: application/json`): the XML and what was left out."""

    message_id: str
    transfer_ids: list[str]
    left_out: list[LeftOutOut]
    xml: str


JSON = "application/json"
_BATCH_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XML: {}},
        "model": PaymentFileOut,
        "description": "a pain.001.001.09 document (header X-Left-Out-Count: transfers of the "
        "day left out of it), or with Accept: application/json the document, its transfers "
        "and the left-out list",
    }
}


@router.get("/v1/payment-files", responses=_BATCH_RESPONSE)
def payment_file(
    principal: Reader,
    uow_factory: UowFactoryDep,
    debtor_account_id: str,
    send_date: Annotated[
        date | None,
        Query(
            description="the day the file goes to the bank (the routes' send date in "
            "Asia/Shanghai) — not the value date, which may be later"
        ),
    ] = None,
    on: Annotated[
        date | None,
        Query(alias="date", deprecated=True, description="the send date (the old name)"),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The batch a debtor account sends on a day: every routed outbound transfer whose send date
    is `send_date` (`date`, its older name, means the same) and that can go into a file. One that
    cannot (an address, an account number, a remark's characters) is left out:
    `X-Left-Out-Count` counts them; `Accept: application/json` lists each with its code."""
    sent_on = send_date if on is None else on
    if sent_on is None or (send_date is not None and on is not None):
        raise ValidationFailed("give the batch's send_date (or its older name, date), once")
    found = payment_files.batch_file(
        uow_factory(),
        tenant_id=tenant_of(principal),
        debtor_account_id=debtor_account_id,
        on=sent_on,
    )
    if _wants_json(accept):
        body = PaymentFileOut(
            message_id=found.message_id,
            transfer_ids=list(found.transfer_ids),
            left_out=[LeftOutOut(**item.to_document()) for item in found.left_out],
            xml=found.xml,
        )
        return Response(
            content=body.model_dump_json(),
            media_type=JSON,
            headers={"X-Message-Id": found.message_id, "X-Send-Date": sent_on.isoformat()},
        )
    response = _xml(found)
    response.headers["X-Left-Out-Count"] = str(len(found.left_out))
    response.headers["X-Send-Date"] = sent_on.isoformat()
    return response


def _wants_json(accept: str | None) -> bool:
    """JSON only when asked for and XML is not: the XML document stays the default."""
    media = {part.split(";")[0].strip().lower() for part in (accept or "").split(",")}
    return JSON in media and XML not in media


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
