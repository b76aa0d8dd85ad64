"""A filing: the pools a group runs under one `filing_ref` (regulation.md §1.2 Filing, §1.4).

Quotas, ratios and the once-a-year ratio-change limit belong to the filing, not to one pool: an
integrated pool is 本外币一体化, so a CNY pool and a USD pool filed together share one
outbound-lending and one foreign-debt quota, and an entity carries one concentration ratio and one
foreign-debt ratio across them. A filing has one host (the onshore entity that files) and one
regime. A pool without a `filing_ref` is a filing of its own.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from pooling import repository
from pooling.model import MemberTerms, PartnerBank, Regime, partner_banks_unverified
from pooling.tables import PoolMemberRow, PoolRow
from treasury.accounts import repository as accounts_repository
from treasury.errors import PoolIneligible


def pools(session: Session, pool: PoolRow, *, lock: bool = False) -> list[PoolRow]:
    """Every pool of the pool's filing, itself included, by id (locked in that order when
    `lock`: a run, an approval and a ratio change of one filing see one headroom at a time)."""
    if pool.filing_ref is None:
        if lock:
            locked = repository.get_pool_row(session, pool.tenant_id, pool.id, for_update=True)
            assert locked is not None
            return [locked]
        return [pool]
    return repository.filing_pool_rows(session, pool.tenant_id, pool.filing_ref, lock=lock)


def others(session: Session, pool: PoolRow) -> list[PoolRow]:
    """The other pools of the pool's filing."""
    return [row for row in pools(session, pool) if row.id != pool.id]


def check_joins(
    session: Session, *, tenant_id: str, filing_ref: str | None, host_entity_id: str, regime: str
) -> None:
    """A new pool may join a filing only with its host and under its regime.

    Raises:
        PoolIneligible: the filing is hosted by another entity or filed under another regime.
    """
    if filing_ref is None:
        return
    for row in repository.filing_pool_rows(session, tenant_id, filing_ref):
        if row.host_entity_id != host_entity_id:
            raise PoolIneligible(
                f"§1.2 host: filing {filing_ref} is hosted by entity {row.host_entity_id}; "
                "a filing has exactly one host"
            )
        if row.regime != regime:
            raise PoolIneligible(f"filing {filing_ref} is filed under {row.regime}, not {regime}")


def sibling_terms(session: Session, pool: PoolRow) -> list[MemberTerms]:
    """The members of the filing's other pools, as terms."""
    return [repository.to_terms(row) for row in sibling_rows(session, pool)]


def sibling_rows(session: Session, pool: PoolRow) -> list[PoolMemberRow]:
    """The member rows of the filing's other pools."""
    ids = [row.id for row in others(session, pool)]
    return repository.member_rows_of_pools(session, ids) if ids else []


def same_entity(rows: Sequence[PoolMemberRow], entity_id: str) -> list[PoolMemberRow]:
    """The rows of one entity (a ratio is set on all of them at once)."""
    return [row for row in rows if row.entity_id == entity_id]


def legacy_alerts(session: Session, tenant_id: str, on: date, cleanup_months: int) -> list[str]:
    """§1.9 rule 14: a group filed under 251 still running a 279 pool `cleanup_months` after
    its filing (a pool's creation date stands for its filing date) — a compliance breach."""
    pools = repository.list_pool_rows(session, tenant_id)
    filed = [pool.created_on for pool in pools if pool.regime == Regime.INTEGRATED_251.value]
    if not filed:
        return []
    deadline = add_months(min(filed), cleanup_months)
    return [
        f"§1.9 rule 14: filed under 251 on {min(filed)}, the {pool.regime} pool {pool.name!r} "
        f"({pool.id}) still runs after {deadline} (pool251.legacy_cleanup_months = "
        f"{cleanup_months}): wind it down"
        for pool in pools
        if pool.regime == Regime.RMB_279.value and on > deadline
    ]


def partner_banks(session: Session, pool: PoolRow) -> list[PartnerBank]:
    """The filing's partner banks: the banks (and branch provinces) of its master accounts."""
    masters = {row.master_account_id for row in pools(session, pool)}
    accounts = accounts_repository.bank_accounts_by_id(
        session, pool.tenant_id, sorted(masters | {pool.master_account_id})
    )
    return [
        PartnerBank(account.id, account.bank_bic, account.branch_subdivision)
        for account in sorted(accounts.values(), key=lambda account: account.id)
    ]


def partner_bank_alerts(session: Session, tenant_id: str) -> list[str]:
    """§1.2: the 251 filings whose partner bank's province cannot be checked against the host's
    (a province not recorded) — the check refuses a mismatch only where both are known."""
    alerts: list[str] = []
    seen: set[str] = set()
    for pool in repository.list_pool_rows(session, tenant_id):
        key = pool.filing_ref or pool.id
        if pool.regime != Regime.INTEGRATED_251.value or key in seen:
            continue
        seen.add(key)
        host = accounts_repository.get_entity_row(session, tenant_id, pool.host_entity_id)
        assert host is not None
        unverified = partner_banks_unverified(
            accounts_repository.to_entity(host), partner_banks(session, pool)
        )
        alerts += [
            f"§1.2 partner bank: filing {key}: {why}; the bank must be in the host's province"
            for why in unverified
        ]
    return alerts


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
