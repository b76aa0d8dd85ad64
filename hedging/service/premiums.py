"""An option's premium as a cash flow: a bought option's premium (a combination's net premium)
paid to the dealing bank through the payment pipeline on its premium date, from the entity's
account in the premium's currency — or, for a combination whose sold leg is worth more, received
from the bank into that account.

The premium is booked with the hedge: the payment is instructed then, valued on the premium date
(screened, routed and booked like any transfer; short of funds it is `rejected` by the pipeline,
and a treasurer re-instructs it with `reinstruct`; held for review it waits for the officers). A
zero premium (a zero-cost collar) moves nothing.

Accounting (`hedging.service.revaluation`): the premium is the deal's first cash flow, part of its
fair value — the option is designated in its entirety (IFRS 9 §6.2.4 allows it; the cost-of-hedging
election of §6.5.15 is not made). The revaluation on or after the premium date takes a paid
premium into the derivative asset out of the outgoing payments (the pipeline's transfer debited
them; a premium in the base currency through the FX clearing at that day's spot) as a cash flow
of −premium: an undesignated deal realises it as the cash it cost, its fair value staying in the
unrealised result; a cash-flow hedge's cumulative change is its value less the premium, split by
the lesser-of test like any other change. A received premium is credited to the account by the
same run, as the bank credits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from hedging.model import Combination, Direction, Instrument, Option
from hedging.requests import locked_for_request
from hedging.service.markets import value_dates
from hedging.tables import HedgeRow
from treasury.accounts import repository as accounts_repository
from treasury.audit import service as audit
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import Conflict, SettlementAccountMissing, ValidationFailed
from treasury.idempotency.requests import IdempotentRequest
from treasury.money import Money
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.service import transfers as payments
from treasury.tenancy.model import Principal

PAY, RECEIVE = "pay", "receive"
TIMEZONE = "Asia/Shanghai"
BOOKED = frozenset({"booked", "accepted", "settled"})
# The premium's transfer says what it is (references.hedge_premium).
REFERENCE = "hedge_premium"
NONE, EXPECTED, RECEIVED, HELD, REJECTED = "none", "expected", "received", "held", "rejected"


@dataclass(frozen=True)
class PremiumRequest:
    """The premium agreed with the dealing bank: what, which way, when (default: spot date)."""

    amount: Money
    direction: str = PAY
    on: date | None = None


@dataclass(frozen=True)
class Premium:
    """A hedge's premium as it stands."""

    amount: Money
    direction: str
    on: date
    account_id: str | None
    transfer_id: str | None
    status: str
    recognised_on: date | None


def of(row: HedgeRow) -> Premium | None:
    """The hedge's premium (None when it was booked without one)."""
    if row.premium_minor is None or row.premium_currency is None or row.premium_date is None:
        return None
    return Premium(
        amount=Money.from_minor(row.premium_minor, row.premium_currency),
        direction=row.premium_direction or PAY,
        on=row.premium_date,
        account_id=row.premium_account_id,
        transfer_id=row.premium_transfer_id,
        status=row.premium_status or NONE,
        recognised_on=row.premium_recognised_on,
    )


def check(instrument: Instrument, premium: PremiumRequest, *, counterparty_id: str | None) -> None:
    """A premium belongs to an option or a combination, in the pair's base or CNY; a bought
    option pays it; a non-zero one is paid to (or received from) a named dealing bank.

    Raises:
        ValidationFailed: naming the field.
    """
    if not isinstance(instrument, Option | Combination):
        raise ValidationFailed("only an option or a combination has a premium", field="premium")
    if premium.direction not in {PAY, RECEIVE}:
        raise ValidationFailed("a premium's direction is pay or receive", field="premium")
    currency = premium.amount.currency.code
    if currency not in {instrument.pair.ledger_base, "CNY"}:
        raise ValidationFailed(
            f"a {instrument.pair.code} premium is in {instrument.pair.ledger_base} or CNY",
            field="premium",
        )
    if premium.amount.amount < 0:
        raise ValidationFailed("a premium is not negative (receive one instead)", field="premium")
    if (
        isinstance(instrument, Option)
        and instrument.direction is Direction.BUY
        and premium.direction != PAY
    ):
        raise ValidationFailed("a bought option's premium is paid", field="premium")
    if premium.amount.is_positive() and counterparty_id is None:
        raise ValidationFailed(
            "a premium is paid to or received from the dealing bank: name it (counterparty_id)",
            field="counterparty_id",
        )
    if premium.on is not None and premium.on > instrument.last_date:
        raise ValidationFailed(
            f"the premium is due by the deal's expiry ({instrument.last_date})", field="premium"
        )


def premium_date(session: Session, instrument: Instrument, trade_date: date) -> date:
    """The premium's date when not given: the spot date of the trade (T+2 on the pair's
    calendars)."""
    return value_dates(session, trade_date).spot_date(instrument.pair, trade_date)


def account(
    session: Session,
    tenant_id: str,
    entity_id: str,
    currency: str,
    *,
    settlement_account_id: str,
    delivery_account_id: str | None,
) -> str:
    """The entity's account that pays or receives the premium: the settlement account for CNY,
    the delivery account (else the first) in the base currency.

    Raises:
        SettlementAccountMissing: the entity has no account in the premium's currency.
    """
    if currency == "CNY":
        return settlement_account_id
    if delivery_account_id is not None:
        return delivery_account_id
    accounts = accounts_repository.list_bank_accounts(session, tenant_id, entity_id)
    found = [a for a in accounts if a.currency == currency]
    if not found:
        raise SettlementAccountMissing(
            f"the entity has no {currency} bank account to pay the premium from",
            field="premium",
        )
    return found[0].id


def instruct(uow: UnitOfWork, row: HedgeRow, *, actor: Principal) -> None:
    """Pay the hedge's premium to its dealing bank through the pipeline (a received one is
    expected; a zero one moves nothing). The transfer's outcome is the pipeline's: booked on the
    premium date, held for review, or rejected (short of funds, a block finding)."""
    premium = of(row)
    if premium is None:
        return
    if not premium.amount.is_positive():
        row.premium_status = NONE
        return
    if premium.direction == RECEIVE:
        row.premium_status = EXPECTED
        return
    assert row.counterparty_id is not None
    assert row.premium_account_id is not None
    request = TransferRequest(
        debtor_account_id=row.premium_account_id,
        counterparty_id=row.counterparty_id,
        amount=premium.amount,
        value_date=premium.on,
        purpose=Purpose.OTHER,
        references={"hedge": row.id, "exposure": row.exposure_id, REFERENCE: PAY},
        remark=f"hedge premium {row.id}"[:140],
    )
    transfer = payments.run_steps(uow, actor, request, today(uow.clock, TIMEZONE))
    row.premium_transfer_id = transfer.id
    row.premium_status = "booked" if transfer.status in BOOKED else transfer.status
    uow.session.flush()


def reinstruct(
    uow: UnitOfWork,
    *,
    principal: Principal,
    hedge_id: str,
    idempotency: IdempotentRequest | None = None,
) -> HedgeRow:
    """A rejected premium paid again (say once the account is funded): a new transfer through
    the pipeline, whose outcome is again the pipeline's. A replay of an Idempotency-Key returns
    the hedge and writes nothing.

    Raises:
        NotFound: the hedge is not the tenant's.
        Conflict: its premium is not rejected (nothing to pay again).
    """
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    with uow:
        row, replayed = locked_for_request(
            uow, idempotency, tenant_id=tenant_id, hedge_id=hedge_id, scope="hedge_premiums"
        )
        if replayed:
            return row
        if row.premium_status != REJECTED:
            raise Conflict(
                f"hedge {hedge_id}'s premium is {row.premium_status or 'absent'}, not rejected"
            )
        before = {"premium_status": row.premium_status, "transfer_id": row.premium_transfer_id}
        instruct(uow, row, actor=principal)
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=principal.name,
            action="hedge.premium_reinstructed",
            object_type="hedge",
            object_id=row.id,
            before=before,
            after={"premium_status": row.premium_status, "transfer_id": row.premium_transfer_id},
        )
        uow.commit()
        return row


def on_decided(row: HedgeRow, *, transfer_id: str, booked: bool) -> bool:
    """An officer decided the premium's held transfer: booked, or rejected (to re-instruct).
    False when the transfer is not this hedge's held premium."""
    if row.premium_transfer_id != transfer_id or row.premium_status != HELD:
        return False
    row.premium_status = "booked" if booked else REJECTED
    return True


def to_cny(amount: Money, spot: Decimal) -> int:
    """A base-currency premium in CNY minor units at `spot` (CNY: as it is)."""
    if amount.currency.code == "CNY":
        return amount.minor
    return Money.of((amount.amount * spot).quantize(Decimal("0.01")), "CNY").minor
