"""Transfers: the instruction in, the outcome out (booked, held or rejected, with findings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, model_validator

from treasury.api.deps import (
    IdempotencyKeyDep,
    Reader,
    SettingsDep,
    UowFactoryDep,
    Writer,
    tenant_of,
)
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    Address,
    DecimalString,
    MoneyOut,
    PositiveMoneyIn,
    StrictModel,
    money_out,
    problem_responses,
)
from treasury.errors import ValidationFailed
from treasury.identifiers import checked_bic, checked_country
from treasury.payments.model import (
    Cancellation,
    FxQuote,
    Purpose,
    Transfer,
    TransferRequest,
    TransferStatus,
)
from treasury.payments.repository import TransferFilter
from treasury.payments.service import transfers as service

router = APIRouter(prefix="/v1/transfers", tags=["transfers"], responses=COMMON_PROBLEMS)


class InlineCreditor(StrictModel):
    """A creditor named in the payment itself (never affiliated)."""

    name: str = Field(min_length=1, max_length=140)
    country: str = Field(min_length=2, max_length=2)
    bank_bic: str | None = None
    account: str | None = Field(default=None, max_length=64)
    address: Address | None = None
    lei: str | None = None


class References(StrictModel):
    """Documents a payment refers to."""

    customs_declaration: str | None = Field(default=None, max_length=100)
    tax_filing: str | None = Field(default=None, max_length=100)
    registration: str | None = Field(default=None, max_length=100)
    pool_filing: str | None = Field(default=None, max_length=100)
    payment_evidence: str | None = Field(
        default=None,
        max_length=100,
        description="the contract or invoice a capital-account income payment pays (§3.4)",
    )


class FxQuoteIn(StrictModel):
    """A rate in market convention: units of the pair's second currency per unit of its first."""

    pair: str = Field(pattern="^[A-Z]{6}$", description="e.g. USDCNY (CNH for offshore RMB)")
    rate: DecimalString

    @model_validator(mode="after")
    def _positive(self) -> FxQuoteIn:
        if self.rate <= 0:
            raise ValueError("fx_quote.rate must be positive")
        return self


class TransferIn(StrictModel):
    """A transfer instruction: exactly one of creditor_account_id, counterparty_id, creditor."""

    debtor_account_id: str
    creditor_account_id: str | None = None
    counterparty_id: str | None = None
    creditor: InlineCreditor | None = None
    amount: PositiveMoneyIn
    fx_rate: DecimalString | None = Field(
        default=None, description="creditor-currency units per debtor-currency unit"
    )
    fx_quote: FxQuoteIn | None = Field(
        default=None,
        description="instead of fx_rate: the rate as quoted, e.g. {pair: USDCNY, rate: 7.10} for "
        "a CNY → USD transfer",
    )
    value_date: date
    purpose: Purpose
    bop_code: str | None = Field(default=None, description="six digits; required cross-border")
    wealth_product_risk_rating: int | None = Field(default=None, ge=1, le=5)
    references: References = Field(default_factory=References)
    remark: str | None = Field(default=None, max_length=140)

    @model_validator(mode="after")
    def _one_creditor(self) -> TransferIn:
        named = [self.creditor_account_id, self.counterparty_id, self.creditor]
        if sum(item is not None for item in named) != 1:
            raise ValueError("name exactly one of creditor_account_id, counterparty_id, creditor")
        if self.fx_rate is not None and self.fx_rate <= 0:
            raise ValueError("fx_rate must be positive")
        if self.fx_rate is not None and self.fx_quote is not None:
            raise ValueError("give fx_rate or fx_quote, not both")
        return self

    def to_request(self) -> TransferRequest:
        """The domain request."""
        return TransferRequest(
            debtor_account_id=self.debtor_account_id,
            creditor_account_id=self.creditor_account_id,
            counterparty_id=self.counterparty_id,
            creditor=_creditor(self.creditor),
            amount=self.amount.to_money(),
            fx_rate=self.fx_rate,
            fx_quote=None
            if self.fx_quote is None
            else FxQuote(self.fx_quote.pair, self.fx_quote.rate),
            value_date=self.value_date,
            purpose=self.purpose,
            bop_code=self.bop_code,
            wealth_product_risk_rating=self.wealth_product_risk_rating,
            references=self.references.model_dump(exclude_none=True),
            remark=self.remark,
        )


def _creditor(creditor: InlineCreditor | None) -> dict[str, Any] | None:
    if creditor is None:
        return None
    document = creditor.model_dump(exclude_none=True)
    document["country"] = checked_country(creditor.country)
    if creditor.bank_bic is not None:
        document["bank_bic"] = checked_bic(creditor.bank_bic)
    if "affiliated" in document:
        raise ValidationFailed("an inline creditor is never affiliated")
    return document


class FindingOut(BaseModel):
    """A rule's verdict."""

    rule: str
    severity: str
    message: str
    message_zh: str
    rule_version: str


class RouteOut(BaseModel):
    """How the payment moves."""

    rail: str
    rail_id: str
    send_at: datetime
    value_date: date
    fee_estimate: MoneyOut | None
    explanation: str | None = None
    ruleset_version: str | None = None


class FxQuoteOut(BaseModel):
    """The rate as quoted; `fx_rate` is the creditor-per-debtor rate derived from it."""

    pair: str
    rate: str

    @classmethod
    def of(cls, quote: FxQuote | None) -> FxQuoteOut | None:
        """Render a quote."""
        return None if quote is None else cls(pair=quote.pair, rate=str(quote.rate))


class CancellationOut(BaseModel):
    """Who cancelled the transfer, when and why; the entry that reversed its booking, if any."""

    reason: str
    cancelled_by: str
    cancelled_at: datetime
    reversal_journal_id: str | None

    @classmethod
    def of(cls, cancellation: Cancellation | None) -> CancellationOut | None:
        """Render a cancellation."""
        if cancellation is None:
            return None
        return cls(
            reason=cancellation.reason,
            cancelled_by=cancellation.cancelled_by,
            cancelled_at=cancellation.cancelled_at,
            reversal_journal_id=cancellation.reversal_entry_id,
        )


class TransferOut(BaseModel):
    """A transfer on record."""

    id: str
    status: TransferStatus
    debtor_account_id: str
    creditor_account_id: str | None
    counterparty_id: str | None
    creditor: dict[str, Any] | None
    amount: MoneyOut
    market: str = Field(description="CNH when the RMB is offshore (the amount carries CNY)")
    creditor_amount: MoneyOut | None
    fx_rate: str | None
    requested_value_date: date
    value_date: date | None
    purpose: str
    bop_code: str | None
    wealth_product_risk_rating: int | None
    references: dict[str, str]
    remark: str | None
    crosses_border: bool
    back_valued: bool
    findings: list[FindingOut]
    review_id: str | None
    route: RouteOut | None
    journal_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    fx_quote: FxQuoteOut | None = None
    cancellation: CancellationOut | None = None

    @classmethod
    def of(cls, transfer: Transfer) -> TransferOut:
        """Render a transfer."""
        return cls(
            id=transfer.id,
            status=transfer.status,
            debtor_account_id=transfer.debtor_account_id,
            creditor_account_id=transfer.creditor_account_id,
            counterparty_id=transfer.counterparty_id,
            creditor=transfer.creditor,
            amount=MoneyOut.of(transfer.amount),
            market=transfer.market or transfer.amount.currency.code,
            creditor_amount=money_out(transfer.creditor_amount),
            fx_rate=None if transfer.fx_rate is None else str(transfer.fx_rate),
            requested_value_date=transfer.requested_value_date,
            value_date=transfer.value_date,
            purpose=transfer.purpose.value,
            bop_code=transfer.bop_code,
            wealth_product_risk_rating=transfer.wealth_product_risk_rating,
            references=transfer.references,
            remark=transfer.remark,
            crosses_border=transfer.crosses_border,
            back_valued=transfer.back_valued,
            findings=[FindingOut(**finding.to_document()) for finding in transfer.findings],
            review_id=transfer.review_id,
            route=None if transfer.route is None else RouteOut(**transfer.route),
            journal_id=transfer.journal_id,
            created_by=transfer.created_by,
            created_at=transfer.created_at,
            updated_at=transfer.updated_at,
            fx_quote=FxQuoteOut.of(transfer.fx_quote),
            cancellation=CancellationOut.of(transfer.cancellation),
        )


class TransferList(ItemPage[TransferOut]):
    """A page of transfers, newest first (creation time, then id)."""


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def create_transfer(
    body: TransferIn,
    response: Response,
    principal: Writer,
    key: IdempotencyKeyDep,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
) -> TransferOut:
    """Screen, route and book a transfer (or record it held or rejected, with its findings).

    Requires `Idempotency-Key`: a replay returns the original transfer and writes nothing; the
    same key with another body is 409 `IDEMPOTENCY_KEY_REUSED`.
    """
    result = service.create_transfer(
        uow_factory(),
        principal=principal,
        request=body.to_request(),
        idempotency_options=service.IdempotencyOptions(
            key=key,
            request_document=body.model_dump(mode="json"),
            wait_seconds=settings.idempotency_wait_seconds,
        ),
        timezone=settings.timezone,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return TransferOut.of(result.transfer)


@router.get("", response_model=TransferList, responses=CSV_RESPONSE)
def list_transfers(
    principal: Reader,
    uow_factory: UowFactoryDep,
    query: ListQueryDep,
    status_filter: Annotated[TransferStatus | None, Query(alias="status")] = None,
    entity_id: Annotated[
        str | None, Query(description="from or to a bank account of this entity")
    ] = None,
    account_id: Annotated[
        str | None, Query(description="this account as debtor or creditor")
    ] = None,
    debtor_account_id: str | None = None,
    counterparty_id: str | None = None,
    purpose: Purpose | None = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="requested value date on or after")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="requested value date on or before")
    ] = None,
) -> Response:
    """The tenant's transfers, newest first, by status, entity, account, counterparty, purpose
    and requested value date."""
    where = TransferFilter(
        status=status_filter,
        account_id=account_id,
        debtor_account_id=debtor_account_id,
        counterparty_id=counterparty_id,
        purpose=purpose,
        date_from=date_from,
        date_to=date_to,
    )
    page = service.transfer_page(
        uow_factory(),
        tenant_id=tenant_of(principal),
        where=where,
        page=query.page,
        entity_id=entity_id,
    )
    return respond(query, page, TransferOut.of, TransferList)


@router.get("/{transfer_id}")
def get_transfer(transfer_id: str, principal: Reader, uow_factory: UowFactoryDep) -> TransferOut:
    """One transfer."""
    transfer = service.get_transfer(
        uow_factory(), tenant_id=tenant_of(principal), transfer_id=transfer_id
    )
    return TransferOut.of(transfer)
