"""Changing a member: its sweep rule, target or minimum transfer, or its entity's ratios.

A ratio belongs to the entity across its filing (all its member accounts, in every pool of the
filing, carry it) and changes at most once a calendar year (regulation.md §1.9 rule 5); a
finance-company host's pool never concentrates outbound lending (rule 8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from pooling import filings, repository
from pooling.model import Pool, SweepRule
from pooling.parameters import in_force
from pooling.service import pools
from pooling.tables import PoolMemberRow, PoolRow, RatioChangeRow
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import EntityKind
from treasury.audit import service as audit
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound, PoolIneligible, RatioChangeLimit, ValidationFailed

RATIOS = ("concentration_ratio", "foreign_debt_ratio")


@dataclass(frozen=True)
class MemberChange:
    """What a PATCH of a member may change (None: unchanged)."""

    rule: SweepRule | None = None
    target_minor: int | None = None
    minimum_transfer_minor: int | None = None
    concentration_ratio: Decimal | None = None
    foreign_debt_ratio: Decimal | None = None


def update_member(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    pool_id: str,
    account_id: str,
    change: MemberChange,
    timezone: str,
) -> Pool:
    """Change a member's rule, target or minimum, or its entity's ratios.

    A ratio belongs to the entity: all its member accounts take the new value. Each ratio changes
    at most once a calendar year.

    Raises:
        RatioChangeLimit: a second change of the ratio this calendar year.
        PoolIneligible: a finance-company host's pool asked to concentrate outbound lending.
    """
    with uow:
        session = uow.session
        pool = pools.pool_row(session, tenant_id, pool_id, for_update=True)
        rows = repository.member_rows(session, pool_id)
        member = next((m for m in rows if m.account_id == account_id), None)
        if member is None:
            raise NotFound(f"account {account_id} is not a member of pool {pool_id}")
        today_ = today(uow.clock, timezone)
        _apply_rule(member, change)
        for ratio in RATIOS:
            new = getattr(change, ratio)
            if new is not None and new != getattr(member, ratio):
                _change_ratio(session, pool, rows, member, ratio, new, today_)
        pools.check_members(session, pool, [repository.to_terms(m) for m in rows], today_)
        pool.updated_at = uow.clock.now()
        session.flush()
        result = pools.to_pool(session, pool)
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="pool.member_changed",
            object_type="pool",
            object_id=pool_id,
            after={"account_id": account_id, **_change_document(change)},
        )
        uow.commit()
        return result


def _apply_rule(member: PoolMemberRow, change: MemberChange) -> None:
    if change.rule is not None:
        member.rule = change.rule.value
        if change.rule is SweepRule.ZERO_BALANCE:
            member.target_minor = 0
    if change.target_minor is not None:
        if change.target_minor < 0 or member.rule != SweepRule.TARGET_BALANCE.value:
            raise ValidationFailed(
                "a target applies to a target_balance member and is not negative"
            )
        member.target_minor = change.target_minor
    elif change.rule is SweepRule.TARGET_BALANCE and member.target_minor == 0:
        pass  # a target of zero is a valid target
    if change.minimum_transfer_minor is not None:
        if change.minimum_transfer_minor < 0:
            raise ValidationFailed("minimum_transfer is not negative")
        member.minimum_transfer_minor = change.minimum_transfer_minor


def _change_ratio(
    session: Session,
    pool: PoolRow,
    rows: list[PoolMemberRow],
    member: PoolMemberRow,
    ratio: str,
    new: Decimal,
    today_: date,
) -> None:
    if not Decimal(0) <= new <= Decimal(1):
        raise ValidationFailed(f"{ratio} lies between 0 and 1")
    allowed = int(in_force(session, today_).number("pool251.ratio_changes_per_year"))
    if repository.ratio_changes_in_year(session, member.entity_id, ratio, today_.year) >= allowed:
        raise RatioChangeLimit(
            f"entity {member.entity_id} changed its {ratio} already in {today_.year}: at most "
            f"{allowed} time(s) a calendar year (pool251.ratio_changes_per_year)"
        )
    host = accounts_repository.get_entity_row(session, pool.tenant_id, pool.host_entity_id)
    if (
        ratio == "concentration_ratio"
        and new > 0
        and host is not None
        and host.kind == EntityKind.FINANCE_COMPANY.value
    ):
        raise PoolIneligible("rule 8: a finance-company host may not concentrate outbound lending")
    session.add(
        RatioChangeRow(
            id=new_id(),
            pool_id=pool.id,
            entity_id=member.entity_id,
            ratio=ratio,
            old_value=getattr(member, ratio),
            new_value=new,
            changed_on=today_,
        )
    )
    # the ratio belongs to the entity across the filing: every pool of it takes the new value
    for row in filings.same_entity([*rows, *filings.sibling_rows(session, pool)], member.entity_id):
        setattr(row, ratio, new)


def _change_document(change: MemberChange) -> dict[str, str | int | None]:
    return {
        "rule": None if change.rule is None else change.rule.value,
        "target_minor": change.target_minor,
        "minimum_transfer_minor": change.minimum_transfer_minor,
        "concentration_ratio": None
        if change.concentration_ratio is None
        else str(change.concentration_ratio),
        "foreign_debt_ratio": None
        if change.foreign_debt_ratio is None
        else str(change.foreign_debt_ratio),
    }
