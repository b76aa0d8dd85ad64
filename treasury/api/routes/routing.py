"""Route quotes: `POST /v1/routes/quote` → status, reasons, the chosen route and every candidate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field, StrictStr, model_validator

from treasury.api.deps import SettingsDep, UowFactoryDep, Writer
from treasury.api.routes.transfers import FindingOut, InlineCreditor, References, _creditor
from treasury.api.wire import COMMON_PROBLEMS, MoneyOut, StrictModel
from treasury.money import Money, MoneyError, check_storable
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.service import quotes
from treasury.settlement.model import Candidate, RouteDecision
from treasury.settlement.service import inbound

router = APIRouter(prefix="/v1/routes", tags=["routing"], responses=COMMON_PROBLEMS)


class QuoteMoneyIn(StrictModel):
    """Money as sent; `CNH` is kept as the market and carried as CNY."""

    amount: StrictStr = Field(pattern=r"^[0-9]+(\.[0-9]+)?$", examples=["1000000.00"])
    currency: str = Field(min_length=3, max_length=3)

    @model_validator(mode="after")
    def _is_money(self) -> QuoteMoneyIn:
        try:
            money = check_storable(Money.of(self.amount, self.currency))
        except MoneyError as error:
            raise ValueError(str(error)) from error
        if not money.is_positive():
            raise ValueError("amount must be positive")
        return self


class QuoteIn(StrictModel):
    """A payment to route: the transfer's fields, when it is submitted and the value wanted."""

    debtor_account_id: str
    counterparty_id: str | None = None
    creditor: InlineCreditor | None = None
    creditor_account_id: str | None = None
    amount: QuoteMoneyIn
    purpose: Purpose
    bop_code: str | None = None
    wealth_product_risk_rating: int | None = Field(
        default=None, ge=1, le=5, description="required with purpose wealth_product"
    )
    references: References = Field(default_factory=References)
    remark: str | None = Field(default=None, max_length=140)
    submitted_at: AwareDatetime | None = None
    value_date: date | None = Field(default=None, description="requested value date")
    charge_bearer: Literal["SHAR", "DEBT", "CRED"] = "SHAR"
    urgent: bool = False

    @model_validator(mode="after")
    def _one_creditor(self) -> QuoteIn:
        named = [self.creditor_account_id, self.counterparty_id, self.creditor]
        if sum(item is not None for item in named) != 1:
            raise ValueError("name exactly one of creditor_account_id, counterparty_id, creditor")
        years = [d.year for d in (self.submitted_at, self.value_date) if d is not None]
        if any(not 2000 <= year <= 2199 for year in years):
            raise ValueError("submitted_at and value_date must lie in the years 2000-2199")
        return self

    def to_quote(self) -> quotes.QuoteRequest:
        """The domain quote request."""
        transfer = TransferRequest(
            debtor_account_id=self.debtor_account_id,
            creditor_account_id=self.creditor_account_id,
            counterparty_id=self.counterparty_id,
            creditor=_creditor(self.creditor),
            amount=Money.of(self.amount.amount, self.amount.currency),  # CNH → CNY
            value_date=self.value_date or date.min,
            purpose=self.purpose,
            bop_code=self.bop_code,
            wealth_product_risk_rating=self.wealth_product_risk_rating,
            references=self.references.model_dump(exclude_none=True),
            remark=self.remark,
        )
        return quotes.QuoteRequest(
            transfer=transfer,
            submitted_at=self.submitted_at,
            requested_value_date=self.value_date,
            market="CNH" if self.amount.currency == "CNH" else None,
            charge_bearer=self.charge_bearer,
            urgent=self.urgent,
        )


class ChosenOut(BaseModel):
    """The chosen route."""

    rail: str
    rail_id: str
    send_at: datetime
    value_date: date
    fee_estimate: MoneyOut | None
    explanation: str


class CandidateOut(BaseModel):
    """One rail's figures, or why it cannot carry the payment."""

    rail: str
    rail_id: str
    policy_rank: int
    send_at: datetime | None
    settle_at: datetime | None
    credit_at: datetime | None
    value_date: date | None
    fee_estimate: MoneyOut | None
    cost_cny: str | None
    excluded_reason: str | None
    detail: str | None
    calendars: list[str]
    notes: list[str]

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateOut:
        """Render a candidate."""
        document: dict[str, Any] = candidate.to_document()
        return cls(**document)


class QuoteOut(BaseModel):
    """The decision."""

    status: str
    reasons: list[str]
    chosen: ChosenOut | None
    candidates: list[CandidateOut]
    ruleset_version: str
    warnings: list[str]
    market: str | None
    findings: list[FindingOut]

    @classmethod
    def of(cls, quote: quotes.Quote) -> QuoteOut:
        """Render a quote."""
        decision: RouteDecision = quote.decision
        chosen = decision.chosen
        return cls(
            status=decision.status.value,
            reasons=list(decision.reasons),
            chosen=None if chosen is None else ChosenOut(**chosen.to_document()),
            candidates=[CandidateOut.of(candidate) for candidate in decision.candidates],
            ruleset_version=decision.ruleset_version,
            warnings=list(decision.warnings),
            market=decision.market,
            findings=[FindingOut(**finding.to_document()) for finding in quote.findings],
        )


@router.post("/quote")
def quote_route(
    body: QuoteIn, principal: Writer, uow_factory: UowFactoryDep, settings: SettingsDep
) -> QuoteOut:
    """Screen and route a payment without booking it: `routed`, `hold` or `reject`, with reasons.

    A date past the loaded holiday calendars is a `reject` with reason `CALENDAR_NOT_LOADED`.
    """
    quote = quotes.quote_route(
        uow_factory(), principal=principal, quote=body.to_quote(), timezone=settings.timezone
    )
    return QuoteOut.of(quote)


class InboundIn(StrictModel):
    """An inbound payment: the value date the nostro bank gives it."""

    currency: str = Field(min_length=3, max_length=3)
    nostro_value_date: date

    @model_validator(mode="after")
    def _in_range(self) -> InboundIn:
        if not 2000 <= self.nostro_value_date.year <= 2199:
            raise ValueError("nostro_value_date must lie in the years 2000-2199")
        return self


class InboundOut(BaseModel):
    """When the onshore account is credited."""

    status: str
    reasons: list[str]
    credit_date: date | None
    explanation: str
    warnings: list[str]


@router.post("/inbound-quote")
def inbound_quote(
    body: InboundIn, principal: Writer, uow_factory: UowFactoryDep, settings: SettingsDep
) -> InboundOut:
    """The onshore credit date of an inbound payment: the first China interbank business day on
    or after the nostro value date (settlement.md E8); `reject` / `CALENDAR_NOT_LOADED` past the
    loaded calendars."""
    found = inbound.credit_date(
        uow_factory(), nostro_value_date=body.nostro_value_date, timezone=settings.timezone
    )
    return InboundOut(**found)
