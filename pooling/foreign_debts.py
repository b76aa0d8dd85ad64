"""Foreign-debt contracts of an entity under full-coverage cross-border financing (§2).

A draw is checked on its drawdown date against the rule in force then: the post-trade risk-weighted
balance may not exceed the cap (CROSS_BORDER_FINANCING_CAP_EXCEEDED); repayments always go
through and restore the headroom at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pooling.cross_border_financing import (
    CombineRule,
    DebtBalance,
    DebtKind,
    Headroom,
    Weights,
    certificate_valid,
    effective_cap,
    investment_gap_used,
    macro_cap,
    no_audited_base,
    risk_weighted_balance,
)
from pooling.parameters import Parameters, cny_rate, in_force
from pooling.tables import ForeignDebtRepaymentRow, ForeignDebtRow
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import CrossBorderDebtMode, EntityKind, LegalEntity
from treasury.audit import service as audit
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import CrossBorderFinancingCapExceeded, NotFound, ValidationFailed
from treasury.idempotency import repository as idempotency_repository
from treasury.money import Money

# Which leverage of `cbf.leverage` an entity kind takes (§2.1).
LEVERAGE_CLASS = {
    EntityKind.FINANCE_COMPANY: "nbfi",
    EntityKind.FINANCIAL_INSTITUTION: "bank",
}


@dataclass(frozen=True)
class DebtSpec:
    """A contract as recorded."""

    lender: str
    amount: Money
    drawdown_date: date
    maturity_date: date
    kind: DebtKind


@dataclass(frozen=True)
class IdempotentRequest:
    """An optional Idempotency-Key with the request it came with (path ids included)."""

    key: str
    request_document: dict[str, object]
    wait_seconds: float


def _replay(
    uow: UnitOfWork, tenant_id: str, scope: str, idempotency: IdempotentRequest, result_id: str
) -> ForeignDebt | None:
    """Claim the key (None), or the contract its first request left (a replay writes nothing)."""
    prior = idempotency_repository.claim(
        uow.session,
        tenant_id=tenant_id,
        scope=scope,
        key=idempotency.key,
        request_sha256=idempotency_repository.request_digest(idempotency.request_document),
        result_id=result_id,
        response_status=201,
        created_at=uow.clock.now(),
        wait_seconds=idempotency.wait_seconds,
    )
    if prior is None:
        return None
    row = uow.session.get(ForeignDebtRow, prior.result_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(f"foreign debt {prior.result_id} not found")
    return _debt(row, row.outstanding_minor)


@dataclass(frozen=True)
class ForeignDebt:
    """A contract and what is outstanding today."""

    id: str
    entity_id: str
    lender: str
    kind: DebtKind
    amount: Money
    outstanding: Money
    drawdown_date: date
    maturity_date: date


@dataclass(frozen=True)
class FinancingStatus:
    """Cap, risk-weighted use and headroom in CNY under the rule in force on `as_of`."""

    entity_id: str
    as_of: date
    mode: CrossBorderDebtMode
    headroom: Headroom
    macro_cap: Decimal
    facilitation_quota: Decimal


def record_debt(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    entity_id: str,
    spec: DebtSpec,
    idempotency: IdempotentRequest | None = None,
) -> ForeignDebt:
    """Record a contract drawn on its drawdown date, within the cap (a replay of an
    Idempotency-Key returns the contract recorded first and writes nothing).

    Raises:
        NotFound: no such entity.
        ValidationFailed: maturity not after drawdown.
        CrossBorderFinancingCapExceeded: beyond the headroom (or no audited base, rule 8).
        ReferenceRateMissing: an FX contract without a rate on the drawdown date.
    """
    if spec.maturity_date <= spec.drawdown_date:
        raise ValidationFailed("maturity_date must be after drawdown_date")
    debt_id = new_id()
    with uow:
        session = uow.session
        if idempotency is not None:
            replayed = _replay(uow, tenant_id, "foreign_debts", idempotency, debt_id)
            if replayed is not None:
                return replayed
        entity = _entity(session, tenant_id, entity_id, for_update=True)
        row = ForeignDebtRow(
            id=debt_id,
            tenant_id=tenant_id,
            entity_id=entity_id,
            lender=spec.lender,
            kind=spec.kind.value,
            currency=spec.amount.currency.code,
            amount_minor=spec.amount.minor,
            outstanding_minor=spec.amount.minor,
            drawdown_date=spec.drawdown_date,
            maturity_date=spec.maturity_date,
            created_at=uow.clock.now(),
        )
        before = status_on(session, entity, spec.drawdown_date)
        session.add(row)
        session.flush()
        after = status_on(session, entity, spec.drawdown_date)
        _check(entity, before, after, spec)
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="foreign_debt.recorded",
            object_type="foreign_debt",
            object_id=row.id,
            after={"entity_id": entity_id, "amount": row.amount_minor, "currency": row.currency},
        )
        debt = _debt(row, row.outstanding_minor)
        uow.commit()
        return debt


def _check(
    entity: LegalEntity, before: FinancingStatus, after: FinancingStatus, spec: DebtSpec
) -> None:
    added = after.headroom.used - before.headroom.used
    if added <= 0:
        return  # an excluded contract (trade credit, filed pool liability) weighs nothing
    if (
        before.mode is CrossBorderDebtMode.MACRO_PRUDENTIAL
        and before.facilitation_quota == 0
        and no_audited_base(
            net_assets=None if entity.net_assets is None else entity.net_assets.amount,
            established_on=entity.established_on,
            on=spec.drawdown_date,
        )
    ):
        raise CrossBorderFinancingCapExceeded(
            "§2.8 rule 8: younger than one year with no audited net assets, the macro-prudential "
            "mode has no cap to draw on"
        )
    if not before.headroom.admits(added):
        raise CrossBorderFinancingCapExceeded(
            f"the draw adds CNY {added:,.2f} risk-weighted to CNY {before.headroom.used:,.2f}; "
            f"the cap on {spec.drawdown_date} is CNY {before.headroom.cap:,.2f} "
            f"(headroom CNY {before.headroom.headroom:,.2f})"
        )


def repay(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    entity_id: str,
    debt_id: str,
    amount: Money,
    repayment_date: date,
    idempotency: IdempotentRequest | None = None,
) -> ForeignDebt:
    """Repay principal; the headroom comes back at once (a replay of an Idempotency-Key returns
    the contract and writes nothing).

    Raises:
        NotFound: no such contract of the entity.
        ValidationFailed: another currency, more than outstanding, a date before the drawdown.
    """
    with uow:
        session = uow.session
        if idempotency is not None:
            replayed = _replay(uow, tenant_id, "foreign_debt_repayments", idempotency, debt_id)
            if replayed is not None:
                return replayed
        _entity(session, tenant_id, entity_id, for_update=True)
        row = session.get(ForeignDebtRow, debt_id, with_for_update=True)
        if row is None or row.tenant_id != tenant_id or row.entity_id != entity_id:
            raise NotFound(f"foreign debt {debt_id} not found")
        if amount.currency.code != row.currency or not amount.is_positive():
            raise ValidationFailed(f"a repayment is a positive amount in {row.currency}")
        if amount.minor > row.outstanding_minor:
            outstanding = Money.from_minor(row.outstanding_minor, row.currency)
            raise ValidationFailed(f"{amount} is more than the outstanding {outstanding}")
        if repayment_date < row.drawdown_date:
            raise ValidationFailed("a repayment cannot precede the drawdown")
        row.outstanding_minor -= amount.minor
        session.add(
            ForeignDebtRepaymentRow(
                id=new_id(),
                debt_id=row.id,
                amount_minor=amount.minor,
                repayment_date=repayment_date,
                created_at=uow.clock.now(),
            )
        )
        session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="foreign_debt.repaid",
            object_type="foreign_debt",
            object_id=row.id,
            after={"amount": amount.minor, "date": repayment_date.isoformat()},
        )
        debt = _debt(row, row.outstanding_minor)
        uow.commit()
        return debt


def financing(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str, timezone: str, as_of: date | None = None
) -> FinancingStatus:
    """Cap, used and headroom under the rule in force today (or `as_of`)."""
    with uow:
        entity = _entity(uow.session, tenant_id, entity_id)
        return status_on(uow.session, entity, as_of or today(uow.clock, timezone))


def list_debts(uow: UnitOfWork, *, tenant_id: str, entity_id: str) -> list[ForeignDebt]:
    """The entity's contracts with what is outstanding now."""
    with uow:
        _entity(uow.session, tenant_id, entity_id)
        return [_debt(row, row.outstanding_minor) for row in _rows(uow.session, entity_id)]


def status_on(session: Session, entity: LegalEntity, on: date) -> FinancingStatus:
    """The entity's cap and use on `on` (contracts drawn by then, less repayments by then)."""
    parameters = in_force(session, on)
    balances = _balances(session, entity.id, on)
    facilitation = _facilitation(session, entity, parameters, on)
    if entity.cross_border_debt_mode is CrossBorderDebtMode.INVESTMENT_GAP:
        cap = _investment_gap(entity)
        used = investment_gap_used(
            (drawn, outstanding, tenor)
            for (drawn, outstanding, tenor, kind) in balances
            if kind not in (DebtKind.TRADE_CREDIT, DebtKind.POOL_LIABILITY)
        )
        return FinancingStatus(
            entity.id, on, entity.cross_border_debt_mode, Headroom(cap, used), cap, Decimal(0)
        )
    leverage = parameters.number(f"cbf.leverage.{LEVERAGE_CLASS.get(entity.kind, 'enterprise')}")
    net_assets = Decimal(0) if entity.net_assets is None else entity.net_assets.amount
    macro = macro_cap(net_assets=net_assets, leverage=leverage, mu=parameters.number("cbf.mu"))
    cap = (
        macro
        if facilitation == 0
        else effective_cap(
            macro=macro,
            facilitation=facilitation,
            rule=CombineRule(parameters.text("facil.combine_rule")),
        )
    )
    weights = Weights(
        term_short=parameters.number("cbf.term_factor.short"),
        term_long=parameters.number("cbf.term_factor.long"),
        on_balance_sheet=parameters.number("cbf.type_factor.on_balance_sheet"),
        fx_factor=parameters.number("cbf.fx_factor"),
    )
    used = risk_weighted_balance(
        (
            DebtBalance(outstanding, tenor, foreign, kind)
            for (_, outstanding, tenor, kind), foreign in zip(
                balances, _foreign(session, entity.id, on), strict=True
            )
        ),
        weights,
    )
    return FinancingStatus(
        entity.id, on, entity.cross_border_debt_mode, Headroom(cap, used), macro, facilitation
    )


def _investment_gap(entity: LegalEntity) -> Decimal:
    # 投注差: total investment less registered capital; owners' equity stands in for the
    # registered capital, which the entity record does not carry.
    total = Decimal(0) if entity.total_investment is None else entity.total_investment.amount
    equity = Decimal(0) if entity.owners_equity is None else entity.owners_equity.amount
    return max(total - equity, Decimal(0))


def _facilitation(
    session: Session, entity: LegalEntity, parameters: Parameters, on: date
) -> Decimal:
    if not certificate_valid(entity.facilitation_certificate, on):
        return Decimal(0)
    return parameters.number("facil.quota_usd") * cny_rate(session, "USD", on)


def _rows(session: Session, entity_id: str) -> list[ForeignDebtRow]:
    query = (
        select(ForeignDebtRow)
        .where(ForeignDebtRow.entity_id == entity_id)
        .order_by(ForeignDebtRow.drawdown_date, ForeignDebtRow.id)
    )
    return list(session.scalars(query))


def _balances(
    session: Session, entity_id: str, on: date
) -> list[tuple[Decimal, Decimal, int, DebtKind]]:
    """(drawn CNY, outstanding CNY, tenor days, kind) of each contract drawn by `on`."""
    rows = [row for row in _rows(session, entity_id) if row.drawdown_date <= on]
    repaid: dict[str, int] = defaultdict(int)
    if rows:
        query = select(ForeignDebtRepaymentRow).where(
            ForeignDebtRepaymentRow.debt_id.in_([row.id for row in rows]),
            ForeignDebtRepaymentRow.repayment_date <= on,
        )
        for repayment in session.scalars(query):
            repaid[repayment.debt_id] += repayment.amount_minor
    found = []
    for row in rows:
        rate = cny_rate(session, row.currency, on)
        drawn = Money.from_minor(row.amount_minor, row.currency).amount * rate
        left = Money.from_minor(row.amount_minor - repaid[row.id], row.currency).amount * rate
        found.append(
            (drawn, left, (row.maturity_date - row.drawdown_date).days, DebtKind(row.kind))
        )
    return found


def _foreign(session: Session, entity_id: str, on: date) -> list[bool]:
    return [row.currency != "CNY" for row in _rows(session, entity_id) if row.drawdown_date <= on]


def _entity(
    session: Session, tenant_id: str, entity_id: str, *, for_update: bool = False
) -> LegalEntity:
    row = accounts_repository.get_entity_row(session, tenant_id, entity_id, for_update=for_update)
    if row is None:
        raise NotFound(f"entity {entity_id} not found")
    return accounts_repository.to_entity(row)


def _debt(row: ForeignDebtRow, outstanding_minor: int) -> ForeignDebt:
    return ForeignDebt(
        id=row.id,
        entity_id=row.entity_id,
        lender=row.lender,
        kind=DebtKind(row.kind),
        amount=Money.from_minor(row.amount_minor, row.currency),
        outstanding=Money.from_minor(outstanding_minor, row.currency),
        drawdown_date=row.drawdown_date,
        maturity_date=row.maturity_date,
    )
