"""Approving a held sweep leg: the pool quota it breached must have room for it now.

Under the tenant's `pool_quota_breach_policy` "hold", a cross-border leg over a pool quota is a
`cash_pool` transfer held for review (POOL_QUOTA_EXCEEDED). Its approval goes through
`treasury.payments.service.reviews`, whose screening does not know pool quotas (only the sweep
assembles them), so it would book the leg over the limit, which issue 4 forbids. Payments cannot
import pooling (pooling imports payments), so `pooling.payment_extensions` names `check_pool_quota`
as an approval check and the entry points hand it to the unit-of-work factory they build. It
recomputes the headroom with the sweep's quota maths and refuses the approval while the leg still
does not fit."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from pooling import filings, repository
from pooling import positions as reading
from pooling.parameters import in_force
from pooling.plan import Direction
from pooling.quotas import QuotaBook, QuotaKind
from pooling.tables import PoolRow, SweepLegRow
from treasury.errors import PoolQuotaExceeded
from treasury.money import Money, round_money
from treasury.payments import repository as payments_repository
from treasury.payments.model import Purpose, Transfer

# Transfer statuses of an approved held leg (as `execution._late_approved_loans` reads them).
_MOVED = ("booked", "accepted", "settled")


def check_pool_quota(
    session: Session, *, tenant_id: str, transfer: Transfer, value_date: date
) -> None:
    """Refuse approving a held pool leg that would still breach a quota on `value_date`.

    The book is the sweep's: the filing's quotas in force on the value date over the running
    positions of all its pools, plus the legs approved since each pool's last run (their loans
    are recorded by the next run, but their cash has moved). The filing's pool rows are locked,
    as a run locks them, so two approvals and a run cannot each see the same headroom.

    Raises:
        PoolQuotaExceeded: the leg still does not fit.
    """
    if transfer.purpose is not Purpose.CASH_POOL:
        return
    found = repository.leg_of_transfer(session, transfer.id)
    if found is None or not found[0].cross_border:
        return
    leg, pool_id = found
    pool = repository.get_pool_row(session, tenant_id, pool_id)
    if pool is None:
        return
    siblings = filings.pools(session, pool, lock=True)
    state = reading.load_state(session, pool)
    book = reading.quota_book(session, state, in_force(session, value_date), value_date, None)
    if book is None:
        return
    for each in siblings:
        for other, change in _approved_since_last_run(session, each, leg):
            book.apply(other, change, each.currency)
    breached = book.allows(leg.entity_id, _position_change(leg), leg.currency)
    if breached:
        headroom = ", ".join(f"{kind.value} {_headroom(book, kind)}" for kind in breached)
        raise PoolQuotaExceeded(
            f"pool {pool.id}: the held leg {leg.id} ({leg.direction}, {transfer.amount}) would "
            f"exceed its quota headroom ({headroom})",
            pool_id=pool.id,
            quotas=[kind.value for kind in breached],
        )


def _position_change(leg: SweepLegRow) -> int:
    """The member's position change (+ when it lends to the pool), as `PlannedLeg` has it."""
    return leg.amount_minor if leg.direction == Direction.TO_MASTER.value else -leg.amount_minor


def _approved_since_last_run(
    session: Session, pool: PoolRow, leg: SweepLegRow
) -> list[tuple[str, int]]:
    """Other held legs approved since the last run: (entity, position change)."""
    held = [
        other
        for other in repository.unrecorded_held_legs(session, pool.id)
        if other.id != leg.id and other.transfer_id and other.entity_id != pool.host_entity_id
    ]
    statuses = payments_repository.transfer_statuses(
        session, [other.transfer_id or "" for other in held]
    )
    return [
        (other.entity_id, _position_change(other))
        for other in held
        if statuses.get(other.transfer_id or "") in _MOVED
    ]


def _headroom(book: QuotaBook, kind: QuotaKind) -> Money:
    """A quota's headroom in CNY as shown (negative when a parameter cut left it over)."""
    limit = next(quota.limit for quota in book.quotas if quota.kind is kind)
    return round_money(limit - book.used(kind), "CNY")
