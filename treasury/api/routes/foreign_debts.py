"""Full-coverage cross-border financing: an entity's foreign-debt contracts and its headroom."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, Field

from pooling.cross_border_financing import Basis, DebtKind
from pooling.financing_status import FacilitationView
from pooling.service import foreign_debts
from treasury.api.deps import Reader, SettingsDep, UowFactoryDep, Writer, tenant_of
from treasury.api.listing import CSV_RESPONSE, ItemPage, ListQueryDep, respond
from treasury.api.wire import (
    COMMON_PROBLEMS,
    CurrencyCode,
    MoneyIn,
    MoneyOut,
    PositiveMoneyIn,
    StrictModel,
    problem_responses,
)
from treasury.db.paging import sequence_page
from treasury.errors import ValidationFailed
from treasury.money import Money, MoneyError, check_storable
from treasury.settings import Settings

router = APIRouter(
    prefix="/v1/entities", tags=["cross-border financing"], responses=COMMON_PROBLEMS
)


class ForeignDebtIn(StrictModel):
    """A foreign-debt contract: `amount` is a decimal string in `currency`."""

    lender: str = Field(min_length=1, max_length=300)
    currency: CurrencyCode | None = None
    amount: (
        Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?$", examples=["100000000.00"])] | MoneyIn
    )
    drawdown_date: date
    maturity_date: date
    kind: DebtKind = DebtKind.LOAN


class RepaymentIn(StrictModel):
    """A repayment of principal."""

    amount: PositiveMoneyIn
    date: date


class ForeignDebtOut(BaseModel):
    """A contract with what is outstanding."""

    id: str
    entity_id: str
    lender: str
    kind: DebtKind
    amount: MoneyOut
    outstanding: MoneyOut
    drawdown_date: date
    maturity_date: date
    basis: Basis = Field(description="the measure that admitted it (§2.6)")

    @classmethod
    def of(cls, debt: foreign_debts.ForeignDebt) -> ForeignDebtOut:
        """Render a contract."""
        return cls(
            id=debt.id,
            entity_id=debt.entity_id,
            lender=debt.lender,
            kind=debt.kind,
            amount=MoneyOut.of(debt.amount),
            outstanding=MoneyOut.of(debt.outstanding),
            drawdown_date=debt.drawdown_date,
            maturity_date=debt.maturity_date,
            basis=debt.basis,
        )


class ForeignDebtList(ItemPage[ForeignDebtOut]):
    """A page of an entity's contracts, by drawdown date and id."""


class FacilitationOut(BaseModel):
    """The certificate's USD quota on `as_of` and the USD face amount used against it."""

    kind: str
    area: str | None
    valid_until: date
    quota: MoneyOut
    used: MoneyOut
    headroom: MoneyOut


class OutboundLendingOut(BaseModel):
    """Ordinary (non-pool) outbound lending (CNY): the cap, owners' equity × (1 − concentration
    ratio) × ordinary_ol.coeff; `used`, the balance held against it — the loans to offshore
    affiliates outstanding plus their FX-denominated part × rmb.ol_ccy_factor
    (`currency_factor`)."""

    cap: MoneyOut
    used: MoneyOut
    headroom: MoneyOut
    concentration_ratio: str
    outstanding: MoneyOut
    outstanding_foreign_currency: MoneyOut
    currency_factor: str


class FinancingOut(BaseModel):
    """Cap, use and headroom (CNY) of the measure that applies on `as_of` (`basis`): the macro
    cap over the risk-weighted balance, the facilitation quota over the face amounts (converted
    at the day's USDCNY) or, under `sum`, both; the macro figures and the certificate's USD
    figures beside."""

    entity_id: str
    as_of: date
    mode: str
    basis: str
    cap: MoneyOut
    used: MoneyOut
    headroom: MoneyOut
    macro_cap: MoneyOut
    macro_used: MoneyOut
    facilitation_quota: MoneyOut
    facilitation: FacilitationOut | None
    outbound_lending: OutboundLendingOut


def _cny(value: Decimal, currency: str = "CNY") -> MoneyOut:
    return MoneyOut.of(
        Money.of(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), currency)
    )


def _facilitation(view: FacilitationView | None) -> FacilitationOut | None:
    if view is None:
        return None
    return FacilitationOut(
        kind=view.kind,
        area=view.area,
        valid_until=view.valid_until,
        quota=_cny(view.quota_usd, "USD"),
        used=_cny(view.used_usd, "USD"),
        headroom=_cny(view.headroom_usd, "USD"),
    )


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Optional: a replay returns the first request's contract and writes nothing",
    ),
]


def _idempotency(
    key: str | None, settings: Settings, document: dict[str, object]
) -> foreign_debts.IdempotentRequest | None:
    if key is None:
        return None
    return foreign_debts.IdempotentRequest(
        key=key, request_document=document, wait_seconds=settings.idempotency_wait_seconds
    )


def _amount(body: ForeignDebtIn) -> Money:
    if isinstance(body.amount, MoneyIn):
        amount = body.amount.to_money()
        if body.currency is not None and body.currency != amount.currency.code:
            raise ValidationFailed("amount and currency disagree")
        return amount
    if body.currency is None:
        raise ValidationFailed("currency is required with a plain amount")
    try:
        return check_storable(Money.of(body.amount, body.currency))
    except MoneyError as error:
        raise ValidationFailed(str(error)) from error


@router.post(
    "/{entity_id}/foreign-debts",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def record_debt(
    entity_id: str,
    body: ForeignDebtIn,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ForeignDebtOut:
    """Record a contract; beyond the headroom → 422 CROSS_BORDER_FINANCING_CAP_EXCEEDED."""
    amount = _amount(body)
    if not amount.is_positive():
        raise ValidationFailed("amount must be positive")
    debt = foreign_debts.record_debt(
        uow_factory(),
        tenant_id=tenant_of(principal),
        actor=principal.name,
        entity_id=entity_id,
        spec=foreign_debts.DebtSpec(
            lender=body.lender,
            amount=amount,
            drawdown_date=body.drawdown_date,
            maturity_date=body.maturity_date,
            kind=body.kind,
        ),
        idempotency=_idempotency(
            idempotency_key,
            settings,
            {"entity_id": entity_id, **body.model_dump(mode="json")},
        ),
    )
    return ForeignDebtOut.of(debt)


@router.get("/{entity_id}/foreign-debts", response_model=ForeignDebtList, responses=CSV_RESPONSE)
def list_debts(
    entity_id: str, principal: Reader, uow_factory: UowFactoryDep, query: ListQueryDep
) -> Response:
    """The entity's contracts with what is outstanding now, by drawdown date."""
    debts = foreign_debts.list_debts(
        uow_factory(), tenant_id=tenant_of(principal), entity_id=entity_id
    )
    page = sequence_page(debts, key=lambda d: (d.drawdown_date, d.id), page=query.page)
    return respond(query, page, ForeignDebtOut.of, ForeignDebtList)


@router.post(
    "/{entity_id}/foreign-debts/{debt_id}/repayments",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def repay(
    entity_id: str,
    debt_id: str,
    body: RepaymentIn,
    principal: Writer,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ForeignDebtOut:
    """Repay principal; the headroom is restored at once."""
    debt = foreign_debts.repay(
        uow_factory(),
        tenant_id=tenant_of(principal),
        actor=principal.name,
        entity_id=entity_id,
        debt_id=debt_id,
        amount=body.amount.to_money(),
        repayment_date=body.date,
        idempotency=_idempotency(
            idempotency_key,
            settings,
            {"entity_id": entity_id, "debt_id": debt_id, **body.model_dump(mode="json")},
        ),
    )
    return ForeignDebtOut.of(debt)


@router.get("/{entity_id}/cross-border-financing")
def financing(
    entity_id: str,
    principal: Reader,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    as_of: date | None = None,
) -> FinancingOut:
    """`{cap, used, headroom}` in CNY under the rule in force today (`used` is risk-weighted)."""
    found = foreign_debts.financing(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        timezone=settings.timezone,
        as_of=as_of,
    )
    lending = foreign_debts.outbound_lending_position(
        uow_factory(),
        tenant_id=tenant_of(principal),
        entity_id=entity_id,
        timezone=settings.timezone,
        as_of=found.as_of,
    )
    return FinancingOut(
        entity_id=found.entity_id,
        as_of=found.as_of,
        mode=found.mode.value,
        basis=found.basis,
        cap=_cny(found.headroom.cap),
        used=_cny(found.headroom.used),
        headroom=_cny(found.headroom.headroom),
        macro_cap=_cny(found.macro_cap),
        macro_used=_cny(found.macro_used),
        facilitation_quota=_cny(found.facilitation_quota),
        facilitation=_facilitation(found.facilitation),
        outbound_lending=OutboundLendingOut(
            cap=_cny(lending.cap),
            used=_cny(lending.used),
            headroom=_cny(lending.headroom),
            concentration_ratio=str(lending.concentration_ratio),
            outstanding=_cny(lending.outstanding),
            outstanding_foreign_currency=_cny(lending.outstanding_foreign_currency),
            currency_factor=str(lending.currency_factor),
        ),
    )
