"""The officers' path of a hedge's transfer held for review — a gross delivery, a net payment to
the dealing bank, a swap's near leg, or a premium (say FX_RATE_OFF_MARKET: a forward's strike is
rarely the day's reference rate, or a capital account's evidence): the review queue decides its
transfer like any other, and the hedge follows.

- A delivery or net payment at the deal's end: approved and booked, the settlement completes (the
  hedge `matured`, or `closed` when closed out early; its value settled and result realised);
  rejected, the hedge stays undelivered (`undelivered`, delivery `rejected`), its value carried
  until a treasurer acts.
- A premium: approved, the next revaluation on or after its date takes it into the deal's value;
  rejected, a treasurer pays it again.

`on_transfer_decided` is handed to `treasury.payments.service.reviews.decide_review` by the entry
points that decide reviews (the API and the officers' page).
"""

from __future__ import annotations

from hedging import delivery
from hedging.service import premiums, revaluation
from hedging.tables import HedgeRow
from treasury.audit import service as audit
from treasury.db.unit_of_work import UnitOfWork
from treasury.payments.model import Transfer


def on_transfer_decided(uow: UnitOfWork, *, transfer: Transfer) -> None:
    """Finish the hedge whose held delivery `transfer` is (nothing for any other transfer)."""
    hedge_id = transfer.references.get("hedge")
    if hedge_id is not None and premiums.REFERENCE in transfer.references:
        _premium_decided(uow, hedge_id, transfer)
        return
    if hedge_id is None or "hedge_settlement" not in transfer.references:
        return
    hedge = uow.session.get(HedgeRow, hedge_id, with_for_update=True)
    if (
        hedge is not None
        and hedge.near_transfer_id == transfer.id
        and hedge.near_status == delivery.HELD
    ):
        _near_leg_decided(uow, hedge, transfer)
        return
    if hedge is None or hedge.status != "held" or hedge.delivery_transfer_id != transfer.id:
        return
    before = {"status": hedge.status, "delivery_status": hedge.delivery_status}
    net = transfer.references.get("hedge_settlement") == delivery.NET
    if transfer.status.value in delivery.BOOKED:
        assert hedge.settled_on is not None
        revaluation.settle_held_delivery(
            uow, hedge, value_date=transfer.value_date or hedge.settled_on, net=net
        )
        # A deal closed out early stays closed; one that ran to its end has matured.
        if hedge.change_of_underlying_ref is None:
            hedge.status, hedge.closed_date = "matured", hedge.settled_on
        else:
            hedge.status = "closed"
        hedge.delivery_status = "paid" if net else "delivered"
        action = "hedge.delivered"
    else:
        hedge.status, hedge.delivery_status = "undelivered", "rejected"
        hedge.delivered_minor = 0
        action = "hedge.delivery_rejected"
    uow.session.flush()
    audit.record(
        uow,
        tenant_id=hedge.tenant_id,
        actor="review",
        action=action,
        object_type="hedge",
        object_id=hedge.id,
        before=before,
        after={
            "status": hedge.status,
            "delivery_status": hedge.delivery_status,
            "transfer_id": transfer.id,
            "settled": hedge.settled_minor,
        },
    )


def _premium_decided(uow: UnitOfWork, hedge_id: str, transfer: Transfer) -> None:
    """A held premium decided: booked, the next revaluation on or after its date takes it into
    the deal's value; rejected, a treasurer pays it again (POST /v1/hedges/{id}/premium)."""
    hedge = uow.session.get(HedgeRow, hedge_id, with_for_update=True)
    if hedge is None:
        return
    booked = transfer.status.value in premiums.BOOKED
    if not premiums.on_decided(hedge, transfer_id=transfer.id, booked=booked):
        return
    uow.session.flush()
    audit.record(
        uow,
        tenant_id=hedge.tenant_id,
        actor="review",
        action="hedge.premium_paid" if booked else "hedge.premium_rejected",
        object_type="hedge",
        object_id=hedge.id,
        before={"premium_status": premiums.HELD},
        after={"premium_status": hedge.premium_status, "transfer_id": transfer.id},
    )


def _near_leg_decided(uow: UnitOfWork, hedge: HedgeRow, transfer: Transfer) -> None:
    """A swap's held near leg decided: booked, its transfer clears the FX clearing (the outgoing
    payments) the run settled the leg's value against; rejected, that value goes back into the
    deal and the next run instructs the near leg again. The far leg lives on either way."""
    booked = transfer.status.value in delivery.BOOKED
    if booked:
        hedge.near_status = "booked"
    else:
        net = transfer.references.get("hedge_settlement") == delivery.NET
        revaluation.undo_near_leg(uow, hedge, net=net, value_date=transfer.requested_value_date)
        hedge.near_status = "rejected"
    uow.session.flush()
    audit.record(
        uow,
        tenant_id=hedge.tenant_id,
        actor="review",
        action="hedge.near_leg_paid" if booked else "hedge.near_leg_rejected",
        object_type="hedge",
        object_id=hedge.id,
        before={"near_status": delivery.HELD},
        after={"near_status": hedge.near_status, "transfer_id": transfer.id},
    )
