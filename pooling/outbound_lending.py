"""Ordinary (non-pool) outbound lending (境外放款): regulation.md §1.4(e) and rule 9 of §1.9
(issue 12 item 8).

An onshore entity lends to offshore affiliates up to owners' equity × `ordinary_ol.coeff`, less
the share r of its equity it concentrates in a 251 filing (that part lends through the pool's
master, within the filing's quota; with r = 100 % a loan from its own account is refused). The
outstanding loans are its booked (or held) `loan` transfers to offshore affiliates less the
`loan_repayment` transfers it received from offshore, in CNY at each one's value-date rate; the
balance held against the cap adds the FX-denominated part × `rmb.ol_ccy_factor` (a USD loan uses
1.5× its value, an RMB one — CNY or CNH — 1×; `compliance.rules.outbound_lending_balance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from compliance.rules import outbound_lending_balance
from pooling import repository
from pooling.parameters import cny_rate, in_force
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import AccountKind, LegalEntity
from treasury.errors import NotFound, ReferenceRateMissing
from treasury.money import Money
from treasury.payments import repository as payments_repository
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.pipeline import Parties


@dataclass(frozen=True)
class OrdinaryLending:
    """An entity's ordinary outbound-lending cap, use and headroom (CNY) on a date.

    `used` is the balance held against the cap: `outstanding` (all currencies, CNY equivalent)
    plus `outstanding_foreign_currency` × `currency_factor`.
    """

    cap: Decimal
    used: Decimal
    concentration_ratio: Decimal
    outstanding: Decimal
    outstanding_foreign_currency: Decimal
    currency_factor: Decimal

    @property
    def headroom(self) -> Decimal:
        """cap − used, at least zero."""
        return max(self.cap - self.used, Decimal(0))


@dataclass(frozen=True)
class Outstanding:
    """Outbound loans outstanding (CNY equivalent): all of them, and the FX-denominated part."""

    total: Decimal
    foreign_currency: Decimal


def _affiliated(parties: Parties) -> bool:
    if parties.creditor_account is not None:
        return True
    return parties.counterparty is not None and parties.counterparty.affiliated


def outstanding_cny(
    session: Session, entity_id: str, on: date, exclude_transfer_id: str | None = None
) -> Outstanding:
    """The entity's outbound loans outstanding by `on`, in CNY at each value date's rate (a
    repayment reduces the part of its own currency)."""
    total = foreign = Decimal(0)
    for sign, money, value_date in _loan_movements(session, entity_id, on, exclude_transfer_id):
        change = sign * money.amount * cny_rate(session, money.currency.code, value_date)
        total += change
        if money.currency.code != "CNY":  # CNH is RMB too: Money carries it as CNY
            foreign += change
    total = max(total, Decimal(0))
    return Outstanding(total, min(max(foreign, Decimal(0)), total))


# Transfers that moved money (or hold it reserved): they count towards a balance cap.
_MOVED_OR_HELD = ("booked", "held", "accepted", "settled")


def _loan_movements(
    session: Session, entity_id: str, on: date, exclude_transfer_id: str | None
) -> list[tuple[int, Money, date]]:
    """(+1 lent | −1 repaid, amount, value date) of the entity's cross-border `loan` transfers
    out of its accounts and `loan_repayment` transfers into them, by `on` (the value date, or
    the requested one while none is set)."""
    own = set(accounts_repository.entity_account_ids(session, entity_id, list(AccountKind)))
    flows = payments_repository.cross_border_flows(
        session,
        sorted(own),
        purposes=(Purpose.LOAN.value, Purpose.LOAN_REPAYMENT.value),
        statuses=_MOVED_OR_HELD,
        until=on,
    )
    found = []
    for flow in flows:
        if flow.id == exclude_transfer_id:
            continue
        if flow.purpose == Purpose.LOAN.value and flow.debtor_account_id in own:
            found.append((1, flow.amount, flow.value_date))
        elif flow.purpose == Purpose.LOAN_REPAYMENT.value and flow.creditor_account_id in own:
            found.append((-1, flow.amount, flow.value_date))
    return found


def screening_facts(
    session: Session,
    tenant_id: str,
    request: TransferRequest,
    parties: Parties,
    value_date: date,
    exclude_transfer_id: str | None,
) -> dict[str, Any]:
    """`facts["ordinary_outbound_lending"]` for a loan to an offshore affiliate (else none)."""
    outbound = parties.crosses_border and parties.debtor_account.resident
    if request.purpose is not Purpose.LOAN or not outbound or not _affiliated(parties):
        return {}
    entity = parties.debtor_entity
    currency = request.amount.currency.code
    try:
        amount = request.amount.amount * cny_rate(session, currency, value_date)
        used = outstanding_cny(session, entity.id, value_date, exclude_transfer_id)
    except ReferenceRateMissing:
        amount, used = None, Outstanding(Decimal(0), Decimal(0))
    return {
        "ordinary_outbound_lending": {
            "equity": None if entity.owners_equity is None else str(entity.owners_equity.amount),
            "ratio": str(repository.concentration_ratio(session, entity.id)),
            "outstanding_cny": str(used.total),
            "outstanding_fx_cny": str(used.foreign_currency),
            "amount_cny": None if amount is None else str(amount),
            "foreign_currency": currency != "CNY",
            "from_pool_master": parties.debtor_account.kind is AccountKind.POOL_MASTER,
        }
    }


def position(session: Session, entity: LegalEntity, on: date) -> OrdinaryLending:
    """The entity's ordinary outbound-lending position on `on` (the entity's view)."""
    ratio = repository.concentration_ratio(session, entity.id)
    parameters = in_force(session, on)
    factor = parameters.number("rmb.ol_ccy_factor")
    equity = Decimal(0) if entity.owners_equity is None else entity.owners_equity.amount
    outstanding = outstanding_cny(session, entity.id, on)
    return OrdinaryLending(
        cap=equity * (1 - ratio) * parameters.number("ordinary_ol.coeff"),
        used=outbound_lending_balance(
            outstanding_cny=outstanding.total,
            foreign_currency_cny=outstanding.foreign_currency,
            currency_factor=factor,
        ),
        concentration_ratio=ratio,
        outstanding=outstanding.total,
        outstanding_foreign_currency=outstanding.foreign_currency,
        currency_factor=factor,
    )


def entity_position(session: Session, tenant_id: str, entity_id: str, on: date) -> OrdinaryLending:
    """`position` of one of the tenant's entities.

    Raises:
        NotFound: no such entity.
    """
    row = accounts_repository.get_entity_row(session, tenant_id, entity_id)
    if row is None:
        raise NotFound(f"entity {entity_id} not found")
    return position(session, accounts_repository.to_entity(row), on)
