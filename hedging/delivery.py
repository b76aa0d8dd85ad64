"""Gross delivery of a deliverable forward (远期结售汇) at maturity: both currencies move through
the entity's own bank accounts as one FX transfer of the payment pipeline at the deal's rate —
selling the base, the base account pays and the CNY account receives; buying it, the reverse.

The delivery is the real-demand flow: the base currency delivered may not exceed what remains of
the exposure (its amount less what the deals on it already delivered). A delivery the pipeline
does not book (held for review, rejected) is undone; the deal waits for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hedging import repository
from hedging.model import Direction, Forward
from hedging.repository import BookRow
from treasury.clock import today
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import RealDemandExceeded
from treasury.money import Money
from treasury.payments import service as payments
from treasury.payments.model import Purpose, TransferRequest
from treasury.tenancy.model import Principal, Role

SYSTEM_TOKEN_ID = "system-revaluation"
BOOKED = frozenset({"booked", "accepted", "settled"})
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Delivered:
    """A booked delivery: its transfer."""

    transfer_id: str
    status: str


class DeliveryNotBooked(Exception):
    """The pipeline held or rejected the delivery (its findings say why)."""


def is_gross(instrument: object) -> bool:
    """A forward to deliver gross."""
    return isinstance(instrument, Forward) and instrument.settlement == "gross"


def deliver(uow: UnitOfWork, row: BookRow, forward: Forward, *, tenant_id: str) -> Delivered:
    """Deliver a matured gross forward through the pipeline, in a savepoint of the run.

    Raises:
        RealDemandExceeded: the delivery exceeds what remains of the exposure.
        DeliveryNotBooked: the pipeline held or rejected it (undone).
    """
    session = uow.session
    hedge = repository.get_hedge(session, tenant_id, row.id)
    assert hedge is not None
    assert hedge.delivery_account_id is not None
    remaining = repository.undelivered_minor(session, row.exposure_id, excluding=row.id)
    if forward.notional.minor > remaining:
        raise RealDemandExceeded(
            f"delivering {forward.notional} exceeds the exposure's remaining "
            f"{Money.from_minor(remaining, forward.notional.currency.code)}"
        )
    request = _request(forward, hedge.delivery_account_id, row, tenant_id)
    actor = Principal(SYSTEM_TOKEN_ID, tenant_id, Role.TREASURER, "revaluation")
    with session.begin_nested() as savepoint:
        transfer = payments.run_steps(uow, actor, request, today(uow.clock, TIMEZONE))
        if transfer.status not in BOOKED:
            savepoint.rollback()
            raise DeliveryNotBooked(f"its delivery was {transfer.status}: {transfer.findings_json}")
    return Delivered(transfer.id, transfer.status)


def _request(forward: Forward, fx_account: str, row: BookRow, tenant_id: str) -> TransferRequest:
    """Selling the base: the base account pays N at the strike into the CNY account; buying it:
    the CNY account pays N × strike into the base account at 1/strike."""
    references = {"hedge": row.id, "exposure": row.exposure_id}
    common = {
        "value_date": forward.delivery_date,
        "purpose": Purpose.GOODS_TRADE,
        "references": references,
        "remark": f"forward delivery {row.id}"[:140],
    }
    if forward.direction is Direction.SELL:
        return TransferRequest(
            debtor_account_id=fx_account,
            creditor_account_id=row.settlement_account_id,
            amount=forward.notional,
            fx_rate=forward.strike,
            **common,  # type: ignore[arg-type]
        )
    quote = forward.pair.ledger_quote
    paid = (forward.notional.amount * forward.strike).quantize(Decimal("0.01"))
    return TransferRequest(
        debtor_account_id=row.settlement_account_id,
        creditor_account_id=fx_account,
        amount=Money.of(paid, quote),
        fx_rate=(forward.notional.amount / paid).quantize(Decimal("1E-12")),
        **common,  # type: ignore[arg-type]
    )
