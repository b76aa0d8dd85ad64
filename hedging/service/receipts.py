"""What a net-settled deal gained, expected from its dealing bank, and booked when it arrives.

The revaluation that settles a net deal with a gain (at maturity or on its close-out) and names its
dealing bank (`counterparty_id`) moves the deal's value from the derivative account to the entity's
`incoming_payments` (CNY) and leaves the hedge's delivery `expected`, with the amount and the date
the bank owes it (`settled`, `settled_on`); a net swap's near leg gained is expected the same way
(`near_leg.status` expected, its value the near date's valuation's `settlement`). The group's
liquidity ladder shows them as inflows on their dates. A treasurer books the receipt when the bank's
credit arrives (`receive`): the settlement account is debited, `incoming_payments` cleared, the
delivery (or near leg) `received` — a near leg's first, being due first. When the bank statement
brought the credit first, it sits in suspense (a credit names no transfer); the receipt then names
that statement line and takes it out of suspense into `incoming_payments` instead, so the bank
balance is not counted twice. A hedge naming no dealing bank keeps the older behaviour: the
revaluation credits its settlement account directly.
"""

from __future__ import annotations

from datetime import date

from hedging import delivery, repository
from hedging.requests import locked_for_request
from hedging.tables import HedgeRow
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import ClassificationMismatch, Conflict, ValidationFailed
from treasury.idempotency.requests import IdempotentRequest
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Money
from treasury.payments.service import classification
from treasury.tenancy.model import Principal

RECEIVED = "received"
CURRENCY = "CNY"


def receive(
    uow: UnitOfWork,
    *,
    principal: Principal,
    hedge_id: str,
    value_date: date | None,
    bank_ref: str | None,
    idempotency: IdempotentRequest | None = None,
    statement_line_id: str | None = None,
) -> HedgeRow:
    """Book the dealing bank's credit of an expected receipt on `value_date` (default: the date
    it was due). A replay of an Idempotency-Key returns the hedge and writes nothing.

    Raises:
        NotFound: the hedge is not the tenant's.
        Conflict: nothing is expected from the bank for it (none, or received already).
        ValidationFailed: a value date before the date the receipt fell due.
    """
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    with uow:
        row, replayed = locked_for_request(
            uow, idempotency, tenant_id=tenant_id, hedge_id=hedge_id, scope="hedge_receipts"
        )
        if replayed:
            return row
        due = _due(uow, row)
        if due is None:
            raise Conflict(
                f"hedge {hedge_id} expects nothing from its dealing bank "
                f"(delivery {row.delivery_status or 'none'}, near leg {row.near_status or 'none'})"
            )
        kind, due_on, amount = due
        if statement_line_id is not None:
            on, bank_ref = _take_from_suspense(uow, principal, row, amount, statement_line_id)
        else:
            on = value_date or due_on
            if on < due_on:
                raise ValidationFailed(
                    f"the receipt fell due on {due_on}; it is not credited before",
                    field="value_date",
                )
            _book(uow, row, amount, on, bank_ref)
        if kind == NEAR_LEG:
            row.near_status = RECEIVED
        else:
            row.delivery_status = RECEIVED
        uow.session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=principal.name,
            action="hedge.receipt_received",
            object_type="hedge",
            object_id=row.id,
            before={f"{kind}_status": delivery.EXPECTED},
            after={
                f"{kind}_status": RECEIVED,
                "amount": str(Money.from_minor(amount, CURRENCY)),
                "value_date": on.isoformat(),
                "bank_ref": bank_ref,
                "statement_line_id": statement_line_id,
            },
        )
        uow.commit()
        return row


NEAR_LEG, DELIVERY = "near", "delivery"


def _due(uow: UnitOfWork, row: HedgeRow) -> tuple[str, date, int] | None:
    """What the dealing bank owes first: a net swap's near-leg gain, else the deal's end's (which
    of them, when it fell due, how much); None when nothing is expected."""
    if row.near_status == delivery.EXPECTED:
        settled = repository.near_leg_settled(uow.session, row.id)
        if settled is not None:
            return NEAR_LEG, settled[0], settled[1]
    if row.delivery_status == delivery.EXPECTED:
        assert row.settled_minor is not None
        assert row.settled_on is not None
        return DELIVERY, row.settled_on, row.settled_minor
    return None


def _take_from_suspense(
    uow: UnitOfWork, principal: Principal, row: HedgeRow, amount: int, line_id: str
) -> tuple[date, str]:
    """The bank's credit that a statement put in suspense, moved to the incoming payments it
    clears; its value date and reference are the receipt's.

    Raises:
        NotFound: not the tenant's statement line.
        StatementLineClassified: the line is not in suspense.
        ClassificationMismatch: not a credit of exactly what is due on the settlement account.
    """
    assert principal.tenant_id is not None
    line = classification.locked_suspense_line(uow, principal.tenant_id, line_id)
    wanted = Money.from_minor(amount, CURRENCY)
    if line.account_id != row.settlement_account_id or (line.amount_minor, line.currency) != (
        amount,
        CURRENCY,
    ):
        raise ClassificationMismatch(
            f"statement line {line_id} is not a credit of {wanted} on the hedge's settlement "
            "account"
        )
    classification.move_out_of_suspense(
        uow,
        principal,
        line,
        target=_incoming(uow, row),
        reason=f"hedge {row.id} received from its dealing bank",
    )
    return line.value_date, line.bank_ref


def _incoming(uow: UnitOfWork, row: HedgeRow) -> str:
    """The id of the entity's incoming payments in CNY (made on first use)."""
    return ledger_repository.internal_account(
        uow.session,
        tenant_id=row.tenant_id,
        entity_id=row.entity_id,
        kind=LedgerAccountKind.INCOMING_PAYMENTS,
        currency=CURRENCY,
        created_at=uow.clock.now(),
    ).id


def _book(uow: UnitOfWork, row: HedgeRow, amount: int, on: date, bank_ref: str | None) -> None:
    """The settlement account debited, the incoming payments cleared."""
    incoming = _incoming(uow, row)
    entry = JournalEntry(
        id=new_id(),
        value_date=on,
        kind="hedge_settlement",
        description=f"hedge {row.id} received from its dealing bank"
        + (f" ({bank_ref})" if bank_ref else ""),
        postings=(
            Posting(
                debit_account_id=row.settlement_account_id,
                credit_account_id=incoming,
                amount=Money.from_minor(amount, CURRENCY),
            ),
        ),
        source_id=row.id,
    )
    ledger_posting.post_entry(
        uow.session, tenant_id=row.tenant_id, entry=entry, posted_at=uow.clock.now()
    )
