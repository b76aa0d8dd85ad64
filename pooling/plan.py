"""Sweep planning: from members' end-of-day balances to the legs a run posts (pure).

Each member's balance by value date gives the amount by its rule (zero or target balance, an
optional minimum transfer). A leg to the master never takes more than the member can spend now
(reservations of held transfers stay untouched); legs from the master are funded in order from
what the master holds plus what flows in; a cross-border leg that would breach a quota is capped
to the headroom or held for review, by the tenant's policy — never planned over the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from pooling.model import MemberTerms
from pooling.quotas import QuotaBook, QuotaKind


class Direction(StrEnum):
    """Which way a leg moves cash."""

    TO_MASTER = "to_master"
    FROM_MASTER = "from_master"


class LegStatus(StrEnum):
    """A leg's outcome (DESIGN §4.3)."""

    BOOKED = "booked"
    HELD = "held"
    CAPPED = "capped"
    REJECTED = "rejected"


class BreachPolicy(StrEnum):
    """What a quota breach does to a leg: capped to the headroom, or held for review."""

    CAP = "cap"
    HOLD = "hold"


@dataclass(frozen=True)
class MemberBalance:
    """A member as the planner sees it (minor units of the pool currency)."""

    terms: MemberTerms
    balance_minor: int  # booked balance by the run's value date
    spendable_minor: int  # running balance less reservations, now
    cross_border: bool


@dataclass(frozen=True)
class PlannedLeg:
    """One leg: what the rule asked for, what goes, and why it differs."""

    account_id: str
    entity_id: str
    direction: Direction
    requested_minor: int
    amount_minor: int
    cross_border: bool
    status: LegStatus
    reason: str | None = None
    quota_effects: dict[QuotaKind, Decimal] = field(default_factory=dict)
    breached: tuple[str, ...] = ()

    @property
    def moves(self) -> bool:
        """True when the leg moves money now (booked or capped to a positive amount)."""
        return self.status in (LegStatus.BOOKED, LegStatus.CAPPED) and self.amount_minor > 0

    @property
    def position_change(self) -> int:
        """The member's intercompany position change (+ when it lends to the pool)."""
        return self.amount_minor if self.direction is Direction.TO_MASTER else -self.amount_minor


def requested_leg(member: MemberBalance) -> PlannedLeg | None:
    """The leg the member's rule asks for, limited to what it can spend; None when none."""
    terms = member.terms
    excess = member.balance_minor - terms.target_minor
    if excess == 0 or abs(excess) < terms.minimum_transfer_minor:
        return None
    if excess < 0:
        return PlannedLeg(
            terms.account_id,
            terms.entity_id,
            Direction.FROM_MASTER,
            -excess,
            -excess,
            member.cross_border,
            LegStatus.BOOKED,
        )
    amount = min(excess, max(member.spendable_minor, 0))
    capped = amount < excess
    return PlannedLeg(
        terms.account_id,
        terms.entity_id,
        Direction.TO_MASTER,
        excess,
        amount,
        member.cross_border,
        LegStatus.CAPPED if capped else LegStatus.BOOKED,
        "the member's available balance (held transfers keep their reservations)"
        if capped
        else None,
    )


def apply_quota(leg: PlannedLeg, book: QuotaBook | None, policy: BreachPolicy) -> PlannedLeg:
    """Check a cross-border leg against the pool's quotas; cap or hold it on a breach."""
    if not leg.cross_border or book is None or leg.amount_minor == 0:
        return leg
    change = leg.position_change
    breached = book.allows(leg.entity_id, change)
    if not breached:
        return replace(leg, quota_effects=book.apply(leg.entity_id, change))
    names = ", ".join(kind.value for kind in breached)
    if policy is BreachPolicy.HOLD:
        return replace(
            leg,
            status=LegStatus.HELD,
            reason=f"would exceed the {names} quota: held for review",
            breached=tuple(kind.value for kind in breached),
        )
    allowed = book.largest(leg.entity_id, change)
    effects = book.apply(leg.entity_id, allowed)
    return replace(
        leg,
        amount_minor=abs(allowed),
        status=LegStatus.CAPPED,
        reason=f"capped to the {names} quota headroom",
        quota_effects=effects,
        breached=tuple(kind.value for kind in breached),
    )


def fund_outflow(leg: PlannedLeg, available_minor: int) -> PlannedLeg:
    """Limit a leg from the master to what the master can still pay."""
    if (
        leg.direction is not Direction.FROM_MASTER
        or leg.status is LegStatus.HELD
        or leg.amount_minor <= available_minor
    ):
        return leg
    return replace(
        leg,
        amount_minor=max(available_minor, 0),
        status=LegStatus.CAPPED,
        reason="capped to the master account's available funds",
    )


def plan_sweep(
    members: Sequence[MemberBalance],
    *,
    master_spendable_minor: int,
    book: QuotaBook | None,
    policy: BreachPolicy,
) -> list[PlannedLeg]:
    """Every leg of a run: legs to the master first (by account), then legs from it."""
    requested = [leg for m in members if (leg := requested_leg(m)) is not None]
    requested.sort(key=lambda leg: (leg.direction is Direction.FROM_MASTER, leg.account_id))
    legs: list[PlannedLeg] = []
    available = master_spendable_minor
    for leg in requested:
        if leg.direction is Direction.TO_MASTER:
            planned = apply_quota(leg, book, policy)
            available += planned.amount_minor if planned.moves else 0
        else:
            funded = fund_outflow(leg, available)
            planned = apply_quota(funded, book, policy)
            if funded.reason and planned.reason and planned.reason != funded.reason:
                planned = replace(planned, reason=f"{funded.reason}; {planned.reason}")
            available -= (
                planned.amount_minor if planned.moves or planned.status is LegStatus.HELD else 0
            )
        legs.append(planned)
    return legs


def total_change(legs: Sequence[PlannedLeg]) -> int:
    """The master's net change from the legs that move money (+ in)."""
    return sum(leg.position_change for leg in legs if leg.moves)
