"""Gross settlement through the payment pipeline: a deliverable forward (远期结售汇) at maturity, an
option exercised in the money (and a combination's legs in the money), a gross swap's near and far
legs. Both currencies move through the entity's own bank accounts as one FX transfer of the
pipeline (screened, routed and booked like any transfer) at the deal's rate — selling the base,
the base account pays and the CNY account receives; buying it, the reverse.

The delivery is the real-demand flow: the base currency delivered may not exceed what remains of
the exposure (its amount less what the other deals on it delivered or hold for delivery). An
option out of the money lapses: nothing moves. A delivery the pipeline holds for review keeps its
transfer held (and its reservation): the hedge waits, `held`, for the officers; one it rejects
(short of funds, a block finding) is undone and the deal waits for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hedging import repository
from hedging.model import Combination, Direction, Forward, Instrument, Option, OptionType, Swap
from hedging.repository import BookRow
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import RealDemandExceeded
from treasury.money import Money
from treasury.payments.model import Purpose, TransferRequest
from treasury.payments.service import transfers as payments
from treasury.tenancy.model import Principal, Role

SYSTEM_TOKEN_ID = "system-revaluation"
BOOKED = frozenset({"booked", "accepted", "settled"})
HELD = "held"
TIMEZONE = "Asia/Shanghai"
# What a gross settlement's transfer says it is (references.hedge_settlement).
DELIVERY, EXERCISE, NEAR_LEG, FAR_LEG = "delivery", "exercise", "near_leg", "far_leg"


@dataclass(frozen=True)
class Leg:
    """What the entity delivers: it sells (or buys) `notional` of the base at `rate` CNY."""

    direction: Direction
    notional: Money
    rate: Decimal


@dataclass(frozen=True)
class Delivered:
    """A delivery's transfer and where it stands (`booked` or `held`); no transfer: lapsed."""

    transfer_id: str | None
    status: str
    delivered_minor: int
    kind: str = "gross"  # or NET: a payment to the dealing bank


LAPSED = Delivered(None, "lapsed", 0)


class DeliveryNotBooked(Exception):
    """The pipeline rejected the delivery (its findings say why); it was undone."""


def is_gross(instrument: object) -> bool:
    """A deal to settle gross (a combination: its legs)."""
    if isinstance(instrument, Combination):
        return instrument.legs[0].settlement == "gross"
    return isinstance(instrument, Forward | Option | Swap) and instrument.settlement == "gross"


def _exercised(option: Option, spot: Decimal) -> Leg | None:
    """An option in the money at expiry is exercised (bought: by the entity; sold: by the
    bank): a call buys the base from its seller at the strike, a put sells it to its seller."""
    payoff = spot - option.strike if option.option_type is OptionType.CALL else option.strike - spot
    if payoff <= 0:
        return None
    buys_base = (option.option_type is OptionType.CALL) == (option.direction is Direction.BUY)
    return Leg(Direction.BUY if buys_base else Direction.SELL, option.notional, option.strike)


def maturity_legs(instrument: Instrument, spot: Decimal) -> list[Leg]:
    """The base a gross deal delivers at its end: a forward's notional at its strike, a swap's far
    leg at its rate, the options in the money at their strikes (none: it lapses)."""
    if isinstance(instrument, Forward):
        return [Leg(instrument.direction, instrument.notional, instrument.strike)]
    if isinstance(instrument, Swap):
        far = Direction.SELL if instrument.direction is Direction.BUY else Direction.BUY
        return [Leg(far, instrument.notional, instrument.far_rate)]
    options = instrument.legs if isinstance(instrument, Combination) else (instrument,)
    exercised = [_exercised(option, spot) for option in options if isinstance(option, Option)]
    return [leg for leg in exercised if leg is not None]


def near_leg(swap: Swap) -> Leg:
    """A gross swap's near leg: the notional in the swap's direction at the near rate."""
    return Leg(swap.direction, swap.notional, swap.near_rate)


def _one(legs: list[Leg]) -> Leg:
    """Legs delivering the same way as one (at their notional-weighted rate); legs delivering
    opposite ways net to the larger."""
    signed = sum((leg.direction.sign * leg.notional.amount for leg in legs), Decimal(0))
    cny = sum((leg.direction.sign * leg.notional.amount * leg.rate for leg in legs), Decimal(0))
    currency = legs[0].notional.currency.code
    direction = Direction.BUY if signed > 0 else Direction.SELL
    if signed == 0:
        return Leg(direction, Money.of(0, currency), Decimal(1))
    rate = legs[0].rate if len(legs) == 1 else abs(cny / signed).quantize(Decimal("1E-10"))
    return Leg(direction, Money.of(abs(signed), currency), rate)


def deliver(
    uow: UnitOfWork,
    row: BookRow,
    legs: list[Leg],
    *,
    tenant_id: str,
    kind: str,
    value_date: date,
    counts_against_exposure: bool = True,
    may_hold: bool = True,
) -> Delivered:
    """Deliver `legs` through the pipeline as one transfer, in a savepoint of the run.

    Raises:
        RealDemandExceeded: the delivery exceeds what remains of the exposure.
        DeliveryNotBooked: the pipeline rejected it, or held it and `may_hold` is false (undone).
    """
    if not legs:
        return LAPSED
    leg = _one(legs)
    if not leg.notional.is_positive():
        return LAPSED
    session = uow.session
    hedge = repository.get_hedge(session, tenant_id, row.id)
    assert hedge is not None
    assert hedge.delivery_account_id is not None
    if counts_against_exposure:
        remaining = repository.undelivered_minor(session, row.exposure_id, excluding=row.id)
        if leg.notional.minor > remaining:
            raise RealDemandExceeded(
                f"delivering {leg.notional} exceeds the exposure's remaining "
                f"{Money.from_minor(remaining, leg.notional.currency.code)}"
            )
    request = _request(leg, hedge.delivery_account_id, row, kind, value_date)
    actor = Principal(SYSTEM_TOKEN_ID, tenant_id, Role.TREASURER, "revaluation")
    with session.begin_nested() as savepoint:
        transfer = payments.run_steps(uow, actor, request, today(uow.clock, TIMEZONE))
        if transfer.status not in BOOKED and not (may_hold and transfer.status == HELD):
            savepoint.rollback()
            raise DeliveryNotBooked(f"its delivery was {transfer.status}: {transfer.findings_json}")
    status = HELD if transfer.status == HELD else "booked"
    return Delivered(transfer.id, status, leg.notional.minor if counts_against_exposure else 0)


def _request(
    leg: Leg, fx_account: str, row: BookRow, kind: str, value_date: date
) -> TransferRequest:
    """Selling the base: the base account pays N at the rate into the CNY account; buying it:
    the CNY account pays N × rate into the base account at 1/rate."""
    references = {"hedge": row.id, "exposure": row.exposure_id, "hedge_settlement": kind}
    common = {
        "value_date": value_date,
        "purpose": Purpose.GOODS_TRADE,
        "references": references,
        "remark": f"hedge {kind} {row.id}"[:140],
    }
    if leg.direction is Direction.SELL:
        return TransferRequest(
            debtor_account_id=fx_account,
            creditor_account_id=row.settlement_account_id,
            amount=leg.notional,
            fx_rate=leg.rate,
            **common,  # type: ignore[arg-type]
        )
    paid = (leg.notional.amount * leg.rate).quantize(Decimal("0.01"))
    return TransferRequest(
        debtor_account_id=row.settlement_account_id,
        creditor_account_id=fx_account,
        amount=Money.of(paid, "CNY"),
        fx_rate=(leg.notional.amount / paid).quantize(Decimal("1E-12")),
        **common,  # type: ignore[arg-type]
    )


NET = "net"
# A net gain the dealing bank owes: an expected receipt (no transfer), booked when it arrives.
RECEIPT = "receipt"
EXPECTED = "expected"


def expect_receipt(uow: UnitOfWork, row: BookRow, *, tenant_id: str) -> Delivered | None:
    """What a net-settled deal gained is owed by its dealing bank: an expected receipt when the
    hedge names one (its value settles against the incoming payments until the credit is
    confirmed), None when it names none (the bank credits the settlement account directly)."""
    hedge = repository.get_hedge(uow.session, tenant_id, row.id)
    assert hedge is not None
    if hedge.counterparty_id is None:
        return None
    return Delivered(None, EXPECTED, 0, RECEIPT)


def pay_net(
    uow: UnitOfWork,
    row: BookRow,
    owed_minor: int,
    *,
    tenant_id: str,
    value_date: date,
    may_hold: bool = True,
) -> Delivered | None:
    """Pay what a net-settled deal owes its dealing bank (a counterparty of the tenant) from the
    settlement account, as a transfer of the pipeline in a savepoint of the run; None when the
    hedge names no dealing bank (the bank then debits the settlement account itself).

    Raises:
        DeliveryNotBooked: the pipeline rejected it, or held it and `may_hold` is false (undone).
    """
    if owed_minor <= 0:
        return None
    session = uow.session
    hedge = repository.get_hedge(session, tenant_id, row.id)
    assert hedge is not None
    if hedge.counterparty_id is None:
        return None
    request = TransferRequest(
        debtor_account_id=row.settlement_account_id,
        counterparty_id=hedge.counterparty_id,
        amount=Money.from_minor(owed_minor, "CNY"),
        value_date=value_date,
        purpose=Purpose.OTHER,
        references={"hedge": row.id, "exposure": row.exposure_id, "hedge_settlement": NET},
        remark=f"hedge net settlement {row.id}"[:140],
    )
    actor = Principal(SYSTEM_TOKEN_ID, tenant_id, Role.TREASURER, "revaluation")
    with session.begin_nested() as savepoint:
        transfer = payments.run_steps(uow, actor, request, today(uow.clock, TIMEZONE))
        if transfer.status not in BOOKED and not (may_hold and transfer.status == HELD):
            savepoint.rollback()
            raise DeliveryNotBooked(f"its payment was {transfer.status}: {transfer.findings_json}")
    return Delivered(transfer.id, HELD if transfer.status == HELD else "booked", 0, NET)
