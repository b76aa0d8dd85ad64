"""Foreign-debt contracts of an entity under full-coverage cross-border financing (§2).

A draw is checked over its whole life against the rule in force on each date: the risk-weighted
balance of every recorded contract, the new one included, may not exceed the cap on any date from
its drawdown to its maturity (CROSS_BORDER_FINANCING_CAP_EXCEEDED, naming the date); repayments
always go through and restore the headroom from their date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from pooling import outbound_lending, repository
from pooling.cross_border_financing import Basis, DebtKind
from pooling.financing_status import (
    FinancingStatus,
    check_draw,
    load_contracts,
    status_on,
    to_contract,
)
from pooling.tables import ForeignDebtRepaymentRow, ForeignDebtRow
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import LegalEntity
from treasury.audit import service as audit
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound, RepaymentMismatch, ValidationFailed
from treasury.idempotency.requests import IdempotentRequest as IdempotentRequest
from treasury.idempotency.requests import claim_or_replay
from treasury.money import Money


@dataclass(frozen=True)
class DebtSpec:
    """A contract as recorded."""

    lender: str
    amount: Money
    drawdown_date: date
    maturity_date: date
    kind: DebtKind


def _replay(
    uow: UnitOfWork, tenant_id: str, scope: str, idempotency: IdempotentRequest, result_id: str
) -> ForeignDebt | None:
    """Claim the key (None), or the contract its first request left (a replay writes nothing)."""
    prior = claim_or_replay(
        uow, idempotency, tenant_id=tenant_id, scope=scope, result_id=result_id, response_status=201
    )
    if prior is None:
        return None
    row = repository.get_foreign_debt_row(uow.session, prior)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(f"foreign debt {prior} not found")
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
    basis: Basis


def record_debt(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    entity_id: str,
    spec: DebtSpec,
    idempotency: IdempotentRequest | None = None,
) -> ForeignDebt:
    """Record a contract within the cap on every date of its life (a replay of an
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
            basis=Basis.MACRO_PRUDENTIAL.value,
            created_at=uow.clock.now(),
        )
        contracts = load_contracts(session, entity_id)
        row.basis = check_draw(session, entity, contracts, to_contract(row, ())).value
        session.add(row)
        session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="foreign_debt.recorded",
            object_type="foreign_debt",
            object_id=row.id,
            after={
                "entity_id": entity_id,
                "amount": row.amount_minor,
                "currency": row.currency,
                "basis": row.basis,
            },
        )
        debt = _debt(row, row.outstanding_minor)
        uow.commit()
        return debt


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
        ValidationFailed: an amount not positive.
        RepaymentMismatch: another currency, more than outstanding, a date before the drawdown.
    """
    with uow:
        session = uow.session
        if idempotency is not None:
            replayed = _replay(uow, tenant_id, "foreign_debt_repayments", idempotency, debt_id)
            if replayed is not None:
                return replayed
        _entity(session, tenant_id, entity_id, for_update=True)
        row = repository.get_foreign_debt_row(session, debt_id, for_update=True)
        if row is None or row.tenant_id != tenant_id or row.entity_id != entity_id:
            raise NotFound(f"foreign debt {debt_id} not found")
        if amount.currency.code != row.currency:
            raise RepaymentMismatch(f"a repayment in {amount.currency} of a {row.currency} debt")
        if not amount.is_positive():
            raise ValidationFailed("a repayment is a positive amount")
        if amount.minor > row.outstanding_minor:
            outstanding = Money.from_minor(row.outstanding_minor, row.currency)
            raise RepaymentMismatch(f"{amount} is more than the outstanding {outstanding}")
        if repayment_date < row.drawdown_date:
            raise RepaymentMismatch("a repayment cannot precede the drawdown")
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
        contracts = load_contracts(uow.session, entity_id)
        return status_on(uow.session, entity, as_of or today(uow.clock, timezone), contracts)


def outbound_lending_position(
    uow: UnitOfWork, *, tenant_id: str, entity_id: str, timezone: str, as_of: date | None = None
) -> outbound_lending.OrdinaryLending:
    """The entity's ordinary outbound-lending cap, use and headroom today (or `as_of`)."""
    with uow:
        on = as_of or today(uow.clock, timezone)
        return outbound_lending.entity_position(uow.session, tenant_id, entity_id, on)


def list_debts(uow: UnitOfWork, *, tenant_id: str, entity_id: str) -> list[ForeignDebt]:
    """The entity's contracts with what is outstanding now."""
    with uow:
        _entity(uow.session, tenant_id, entity_id)
        rows = repository.foreign_debt_rows(uow.session, entity_id)
        return [_debt(row, row.outstanding_minor) for row in rows]


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
        basis=Basis(row.basis),
    )
