"""Reading a pool's state: member balances, intercompany positions and its quota book.

A member entity's intercompany position with the pool is its receivable from the host plus its
payable to the host (debit-positive balances), so + means the member lends to the pool. The host's
own accounts carry no position: an entity does not lend to itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from pooling import filings, repository
from pooling.parameters import Parameters, cny_rate
from pooling.quotas import EquityShare, Holding, QuotaBook, pool_quotas
from pooling.tables import PoolMemberRow, PoolRow
from treasury.accounts import repository as accounts_repository
from treasury.accounts.model import BankAccount, EntityKind, LegalEntity
from treasury.db.batches import chunks
from treasury.ledger import repository as ledger_repository
from treasury.money import Currency, Money


@dataclass(frozen=True)
class PoolState:
    """Everything about a pool's members a run, a forecast or a positions view reads."""

    pool: PoolRow
    members: list[PoolMemberRow]
    accounts: dict[str, BankAccount]
    entities: dict[str, LegalEntity]
    master_resident: bool

    def resident(self, account_id: str) -> bool:
        """Is this member account resident?"""
        return self.accounts[account_id].resident

    def cross_border(self, account_id: str) -> bool:
        """Does a leg between this member and the master cross the border?"""
        return self.resident(account_id) != self.master_resident

    def lending_entities(self) -> list[str]:
        """Member entities other than the host (they carry intercompany positions)."""
        return sorted({m.entity_id for m in self.members} - {self.pool.host_entity_id})

    def cross_border_entities(self) -> list[str]:
        """Entities with a cross-border member account (their positions weigh on quotas)."""
        return sorted(
            {
                m.entity_id
                for m in self.members
                if m.entity_id != self.pool.host_entity_id and self.cross_border(m.account_id)
            }
        )


def load_state(session: Session, pool: PoolRow) -> PoolState:
    """The pool's members with their accounts and entities (a few bulk reads)."""
    members = repository.member_rows(session, pool.id)
    ids = [pool.master_account_id, *(m.account_id for m in members)]
    accounts: dict[str, BankAccount] = {}
    for part in chunks(ids):
        accounts.update(accounts_repository.bank_accounts_by_id(session, pool.tenant_id, part))
    entities = accounts_repository.entities_by_id(
        session, pool.tenant_id, [a.entity_id for a in accounts.values()]
    )
    master_resident = accounts[pool.master_account_id].resident
    return PoolState(pool, members, accounts, entities, master_resident)


def positions(
    session: Session,
    pool: PoolRow,
    entity_ids: Sequence[str],
    as_of: date | None,
    *,
    currency: str | None = None,
) -> dict[str, int]:
    """Each entity's position with the pool's host (minor units of the pool's currency, or of
    `currency`), by value date.

    `as_of` None gives the running positions (every value date).
    """
    keys = {
        entity_id: repository.intercompany_keys(
            entity_id, pool.host_entity_id, currency or pool.currency
        )
        for entity_id in entity_ids
    }
    rows = ledger_repository.accounts_by_key(
        session, pool.tenant_id, [key for pair in keys.values() for key in pair]
    )
    later = (
        {}
        if as_of is None
        else ledger_repository.movements_after(session, [row.id for row in rows.values()], as_of)
    )
    found: dict[str, int] = {}
    for entity_id, pair in keys.items():
        total = 0
        for key in pair:
            row = rows.get(key)
            if row is not None:
                total += row.balance_minor - later.get(row.id, 0)
        found[entity_id] = total
    return found


def _cny(money: Money | None) -> Decimal:
    return Decimal(0) if money is None else money.amount


def quota_book(
    session: Session, state: PoolState, parameters: Parameters, on: date, as_of: date | None
) -> QuotaBook | None:
    """The quotas of the pool's filing in force on `on` over the cross-border positions of every
    pool of the filing, in each of its currencies (None: a domestic pool).

    The book's home currency is the pool's; FX positions weigh as FX (§1.4), converted at the
    reference rate of `on`.
    """
    pool = state.pool
    if pool.regime == "domestic":
        return None
    states = [state, *(load_state(session, other) for other in filings.others(session, pool))]
    host = state.entities[state.accounts[pool.master_account_id].entity_id]
    entities = {e.id: e for s in states for e in s.entities.values()}
    ratios = _ratios(m for s in states for m in s.members)
    onshore = [
        (entity, ratios.get(entity.id, (Decimal(0), Decimal(0))))
        for entity in entities.values()
        if entity.country == "CN" and entity.id != host.id
    ]
    quotas = pool_quotas(
        regime=pool.regime,
        host_equity=_cny(host.owners_equity),
        host_is_finance_company=host.kind is EntityKind.FINANCE_COMPANY,
        concentration=[EquityShare(_cny(e.owners_equity), r[0]) for e, r in onshore],
        foreign_debt=[EquityShare(_cny(e.owners_equity), r[1]) for e, r in onshore],
        pooled=[
            EquityShare(_cny(e.owners_equity), e.shareholding_ratio)
            for e in [host, *(entity for entity, _ in onshore)]
        ],
        parameters=parameters,
    )
    holdings: dict[str, Holding] = {}
    weighed: dict[str, set[str]] = {}
    for each in states:
        currency = each.pool.currency
        if currency not in holdings:
            rate = cny_rate(session, currency, on)
            holdings[currency] = Holding(currency, rate, Currency.of(currency).minor_units)
        weighed.setdefault(currency, set()).update(each.cross_border_entities())
    found: dict[tuple[str, str], int] = {}
    for currency, entity_ids in weighed.items():
        by_entity = positions(session, pool, sorted(entity_ids), as_of, currency=currency)
        found.update({(currency, entity_id): p for entity_id, p in by_entity.items()})
    return QuotaBook(quotas=quotas, holdings=holdings, home=pool.currency, positions=found)


def _ratios(members: Iterable[PoolMemberRow]) -> dict[str, tuple[Decimal, Decimal]]:
    """Each member entity's (concentration, foreign-debt) ratios (one value per entity)."""
    found: dict[str, tuple[Decimal, Decimal]] = {}
    for member in members:
        found.setdefault(
            member.entity_id,
            (member.concentration_ratio or Decimal(0), member.foreign_debt_ratio or Decimal(0)),
        )
    return found
