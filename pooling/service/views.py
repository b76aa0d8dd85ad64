"""A pool's positions as of a value date: the master, each member, and the quotas in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.orm import Session

from pooling import filings, repository
from pooling import positions as reading
from pooling.parameters import in_force
from pooling.quotas import QuotaKind
from pooling.service import restoration
from pooling.tables import PoolRow
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import NotFound
from treasury.ledger import repository as ledger_repository
from treasury.money import Money

FEN = Decimal("0.01")


@dataclass(frozen=True)
class MemberPosition:
    """A member account's balance and its entity's intercompany position (+: lends to the pool)."""

    account_id: str
    entity_id: str
    balance: Money
    intercompany_position: Money
    cross_border: bool


@dataclass(frozen=True)
class QuotaPosition:
    """A quota in CNY (the exact use is rounded half-even to fen for display)."""

    kind: QuotaKind
    limit: Money
    used: Money
    headroom: Money


@dataclass(frozen=True)
class Positions:
    """The pool as of a value date."""

    pool_id: str
    as_of: date
    master_account_id: str
    master_balance: Money
    members: tuple[MemberPosition, ...]
    quotas: tuple[QuotaPosition, ...]
    alerts: tuple[str, ...] = ()


def pool_positions(uow: UnitOfWork, *, tenant_id: str, pool_id: str, as_of: date) -> Positions:
    """Balances by value date, positions by value date, and the quotas in force on `as_of`."""
    with uow:
        pool = repository.get_pool_row(uow.session, tenant_id, pool_id)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        return positions_of(uow.session, pool, as_of)


def tenant_pools(session: Session, tenant_id: str) -> list[PoolRow]:
    """The tenant's pools (for readers that show every pool's positions in their own work)."""
    return repository.list_pool_rows(session, tenant_id)


def positions_of(session: Session, pool: PoolRow, as_of: date) -> Positions:
    """A pool's positions inside the caller's unit of work (see `pool_positions`)."""
    tenant_id = pool.tenant_id
    state = reading.load_state(session, pool)
    ids = [pool.master_account_id, *(m.account_id for m in state.members)]
    ledger = ledger_repository.accounts_by_id(session, ids)
    later = ledger_repository.movements_after(session, ids, as_of)

    def balance(account_id: str) -> Money:
        minor = ledger[account_id].balance_minor - later.get(account_id, 0)
        return Money.from_minor(minor, pool.currency)

    entities = state.lending_entities()
    by_entity = reading.positions(session, pool, entities, as_of)
    book = reading.quota_book(session, state, in_force(session, as_of), as_of, as_of)
    quotas = (
        ()
        if book is None
        else tuple(
            _quota(kind=quota.kind, limit=quota.limit, used=book.used(quota.kind))
            for quota in book.quotas
        )
    )
    return Positions(
        pool_id=pool.id,
        as_of=as_of,
        master_account_id=pool.master_account_id,
        master_balance=balance(pool.master_account_id),
        members=tuple(
            MemberPosition(
                account_id=m.account_id,
                entity_id=m.entity_id,
                balance=balance(m.account_id),
                intercompany_position=Money.from_minor(
                    by_entity.get(m.entity_id, 0), pool.currency
                ),
                cross_border=state.cross_border(m.account_id),
            )
            for m in state.members
        ),
        quotas=quotas,
        alerts=tuple(_alerts(session, tenant_id, as_of)),
    )


def _quota(*, kind: QuotaKind, limit: Decimal, used: Decimal) -> QuotaPosition:
    limit_cny = limit.quantize(FEN, rounding=ROUND_HALF_EVEN)
    used_cny = used.quantize(FEN, rounding=ROUND_HALF_EVEN)
    return QuotaPosition(
        kind=kind,
        limit=Money.of(limit_cny, "CNY"),
        used=Money.of(used_cny, "CNY"),
        headroom=Money.of(limit_cny - used_cny, "CNY"),
    )


def _alerts(session: Session, tenant_id: str, as_of: date) -> list[str]:
    found = [
        *filings.partner_bank_alerts(session, tenant_id),
        *restoration.day_close_alerts(session, tenant_id, as_of),
    ]
    months = in_force(session, as_of).get("pool251.legacy_cleanup_months")
    if months is None:
        return found  # before the 251 regime there is nothing to wind down
    return [*found, *filings.legacy_alerts(session, tenant_id, as_of, int(months))]
