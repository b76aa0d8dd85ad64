"""Centralised current-account collection, payment and netting through a pool's master
(经常项目集中收付 / 轧差净额结算, regulation.md §1.6, §1.7, §1.9 rule 15).

Such a flow uses no pool quota, but both the actual flow (the transfer) and its restored (还原)
records — the members whose receipts and payments it carries, gross — must exist: the partner
bank declares both. A treasurer records the restored lines of each flow once; they must net to
the actual amount (payments less receipts for a flow out of the master, receipts less payments
for one into it). The pool's day does not close — its sweep run for the business date is
refused — while a flow moved on or before that date lacks them (`check_day_close`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compliance.model import CurrentAccountFlow
from compliance.rules import CURRENT_ACCOUNT_PURPOSES, day_close_blockers
from pooling import repository
from pooling.tables import PoolRow, RestoredRecordRow
from treasury.audit import service as audit
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    Conflict,
    NotFound,
    RestorationMismatch,
    RestoredRecordsMissing,
    ValidationFailed,
)
from treasury.money import Money
from treasury.payments import repository as payments_repository
from treasury.payments.model import Transfer

DIRECTIONS = ("receipt", "payment")
_RECORDABLE = ("booked", "held", "accepted", "settled")
_MOVED = ("booked", "accepted", "settled")  # the flows a day's close waits for


@dataclass(frozen=True)
class RestoredLine:
    """One member's gross receipt or payment inside a centralised flow."""

    entity_id: str
    direction: str  # receipt | payment
    amount: Money
    bop_code: str | None = None


@dataclass(frozen=True)
class Restoration:
    """The restored records of one actual flow."""

    pool_id: str
    transfer_id: str
    lines: tuple[RestoredLine, ...]
    created_by: str
    created_at: datetime


def _net(debtor_account_id: str, master_account_id: str, lines: Sequence[RestoredLine]) -> Decimal:
    """The lines' net in the actual flow's direction (+ = as the transfer moves money)."""
    outward = debtor_account_id == master_account_id
    same = "payment" if outward else "receipt"
    return sum(
        (line.amount.amount if line.direction == same else -line.amount.amount for line in lines),
        Decimal(0),
    )


def _check_lines(currency: str, lines: Sequence[RestoredLine]) -> None:
    if not lines:
        raise ValidationFailed("restored records need at least one line")
    for line in lines:
        if line.direction not in DIRECTIONS:
            raise ValidationFailed(f"direction {line.direction!r} is not receipt or payment")
        if line.amount.currency.code != currency:
            raise RestorationMismatch(
                f"a restored line in {line.amount.currency}, the flow in {currency}"
            )
        if not line.amount.is_positive():
            raise ValidationFailed("a restored line's amount is positive")


def _flow(session: Session, pool: PoolRow, transfer_id: str) -> Transfer:
    row = payments_repository.get_transfer_row(session, pool.tenant_id, transfer_id)
    if row is None:
        raise NotFound(f"transfer {transfer_id} not found")
    transfer = payments_repository.to_transfer(row)
    through_master = pool.master_account_id in (
        transfer.debtor_account_id,
        transfer.creditor_account_id,
    )
    if not (
        through_master
        and transfer.crosses_border
        and transfer.purpose.value in CURRENT_ACCOUNT_PURPOSES
        and transfer.status.value in _RECORDABLE
    ):
        raise RestorationMismatch(
            f"transfer {transfer_id} is not a centralised current-account flow through the "
            f"pool's master (a cross-border {', '.join(sorted(CURRENT_ACCOUNT_PURPOSES))} "
            "transfer into or out of it)"
        )
    return transfer


def record(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    pool_id: str,
    transfer_id: str,
    lines: Sequence[RestoredLine],
) -> Restoration:
    """Record the restored lines of an actual flow, once.

    Raises:
        NotFound: no such pool or transfer.
        ValidationFailed: no lines, or a line's direction or amount malformed.
        RestorationMismatch: not a centralised current-account flow of the pool, a line of
            another currency or of an entity outside the pool, or lines that do not net to the
            flow.
        Conflict: the flow's restored records exist already.
    """
    with uow:
        session = uow.session
        pool = repository.get_pool_row(session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        transfer = _flow(session, pool, transfer_id)
        currency = transfer.amount.currency.code
        _check_lines(currency, lines)
        members = {row.entity_id for row in repository.member_rows(session, pool.id)}
        outsiders = sorted({line.entity_id for line in lines} - members - {pool.host_entity_id})
        if outsiders:
            raise RestorationMismatch(f"entity {outsiders[0]} is not a member of the pool")
        actual = transfer.amount
        net = _net(transfer.debtor_account_id, pool.master_account_id, lines)
        if net != actual.amount:
            raise RestorationMismatch(
                f"the restored lines net to {net}, the actual flow is {actual.amount}"
            )
        if repository.restored_records(session, pool.id, [transfer.id]):
            raise Conflict(f"transfer {transfer_id} has its restored records already")
        now = uow.clock.now()
        session.add_all(
            RestoredRecordRow(
                id=new_id(),
                tenant_id=tenant_id,
                pool_id=pool.id,
                transfer_id=transfer.id,
                line_no=number,
                entity_id=line.entity_id,
                direction=line.direction,
                amount_minor=line.amount.minor,
                currency=currency,
                bop_code=line.bop_code,
                created_by=actor,
                created_at=now,
            )
            for number, line in enumerate(lines)
        )
        try:
            session.flush()
        except IntegrityError as error:  # a concurrent recording of the same flow
            raise Conflict(f"transfer {transfer_id} has its restored records already") from error
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="pool.restored_records",
            object_type="transfer",
            object_id=transfer.id,
            after={"pool_id": pool.id, "lines": len(lines), "net": str(net)},
        )
        uow.commit()
        return Restoration(pool.id, transfer.id, tuple(lines), actor, now)


def restorations(
    uow: UnitOfWork, *, tenant_id: str, pool_id: str, transfer_id: str | None = None
) -> list[Restoration]:
    """The pool's restored records, one entry per flow (of one flow when named).

    Raises:
        NotFound: no such pool.
    """
    with uow:
        pool = repository.get_pool_row(uow.session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        rows = repository.restored_records(
            uow.session, pool.id, None if transfer_id is None else [transfer_id]
        )
        grouped: dict[str, list[RestoredRecordRow]] = {}
        for row in rows:
            grouped.setdefault(row.transfer_id, []).append(row)
        return [
            Restoration(
                pool.id,
                transfer,
                tuple(_line(row) for row in found),
                found[0].created_by,
                found[0].created_at,
            )
            for transfer, found in grouped.items()
        ]


def _line(row: RestoredRecordRow) -> RestoredLine:
    return RestoredLine(
        row.entity_id, row.direction, Money.from_minor(row.amount_minor, row.currency), row.bop_code
    )


def _flows(session: Session, pool: PoolRow, until: date) -> list[CurrentAccountFlow]:
    """The pool's centralised current-account flows moved by `until`, with their restored net."""
    transfers = payments_repository.cross_border_flows_through(
        session,
        pool.tenant_id,
        pool.master_account_id,
        purposes=CURRENT_ACCOUNT_PURPOSES,
        statuses=_MOVED,
        until=until,
    )
    if not transfers:
        return []
    lines: dict[str, list[RestoredLine]] = {}
    for row in repository.restored_records(session, pool.id, [t.id for t in transfers]):
        lines.setdefault(row.transfer_id, []).append(_line(row))
    return [
        CurrentAccountFlow(
            transfer_id=t.id,
            amount=t.amount,
            value_date=t.value_date,
            restored_net=(
                _net(t.debtor_account_id, pool.master_account_id, lines[t.id])
                if t.id in lines
                else None
            ),
        )
        for t in transfers
    ]


def day_close_alerts(session: Session, tenant_id: str, on: date) -> list[str]:
    """What keeps each of the tenant's pools from closing its day `on` (§1.9 rule 15), shown
    on the positions before the run refuses."""
    return [
        f"§1.9 rule 15: pool {pool.name!r} ({pool.id}): {finding.message}"
        for pool in repository.list_pool_rows(session, tenant_id)
        for finding in day_close_blockers(_flows(session, pool, on))
    ]


def check_day_close(session: Session, pool: PoolRow, business_date: date) -> None:
    """§1.9 rule 15: the pool's day closes only when every centralised current-account flow
    through its master moved on or before `business_date` has restored records netting to it.

    Raises:
        RestoredRecordsMissing: naming the flows that lack them.
    """
    flows = _flows(session, pool, business_date)
    blockers = day_close_blockers(flows)
    if blockers:
        more = f" (and {len(blockers) - 5} more)" if len(blockers) > 5 else ""
        raise RestoredRecordsMissing(
            f"the pool's day {business_date} cannot close (§1.9 rule 15): "
            + "; ".join(finding.message for finding in blockers[:5])
            + more
        )
