"""Posting accrued pool interest at a period end, once per (pool, period end).

Interest accrues each night on each member entity's intercompany position (see
`pooling.interest`) and is capitalised into the position: a lender's receivable grows against its
interest income and the host's interest expense; a borrower's payable grows against its interest
expense and the host's interest income. One balanced journal entry per period.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from pooling import legs as pool_legs
from pooling import positions as reading
from pooling import repository
from pooling.interest import accrue, to_minor
from pooling.tables import InterestPeriodRow, PoolRow
from treasury.audit import service as audit
from treasury.calendars import year_fraction
from treasury.clock import today
from treasury.db.base import new_id
from treasury.db.unit_of_work import UnitOfWork
from treasury.errors import (
    Conflict,
    DateNotReached,
    InterestPeriodOutOfRange,
    InterestRatesMissing,
    NotFound,
)
from treasury.ledger import posting as ledger_posting
from treasury.ledger import repository as ledger_repository
from treasury.ledger.model import JournalEntry, LedgerAccountKind, Posting
from treasury.money import Currency, Money

_INCOME, _EXPENSE = LedgerAccountKind.INTEREST_INCOME, LedgerAccountKind.INTEREST_EXPENSE
_RECEIVABLE = LedgerAccountKind.INTERCOMPANY_RECEIVABLE
_PAYABLE = LedgerAccountKind.INTERCOMPANY_PAYABLE


@dataclass(frozen=True)
class InterestLine:
    """One member entity's interest for the period (+ earned, − owed)."""

    entity_id: str
    interest: Money


@dataclass(frozen=True)
class InterestPeriod:
    """Interest posted for a pool over [period_start, period_end)."""

    id: str
    pool_id: str
    period_start: date
    period_end: date
    journal_entry_id: str | None
    lines: tuple[InterestLine, ...]
    created: bool


def post_interest(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor: str,
    pool_id: str,
    period_end: date,
    timezone: str,
) -> InterestPeriod:
    """Accrue and post the pool's interest up to `period_end` (a repeat returns the first).

    Raises:
        NotFound: no such pool.
        Conflict: interest was posted already beyond `period_end`.
        DateNotReached: a period end after today.
        InterestPeriodOutOfRange: a period end not after the pool's start or the last period.
        InterestRatesMissing: the pool has no interest rates.
    """
    with uow:
        session = uow.session
        pool = repository.get_pool_row(session, tenant_id, pool_id, for_update=True)
        if pool is None:
            raise NotFound(f"pool {pool_id} not found")
        existing = repository.interest_period(session, pool_id, period_end)
        if existing is not None:
            return _period(existing, pool, created=False)
        start = _start(session, pool, period_end, today(uow.clock, timezone))
        lines = _accrue(session, pool, start, period_end)
        entry_id = _post(uow, pool, lines, period_end) if lines else None
        row = InterestPeriodRow(
            id=new_id(),
            tenant_id=tenant_id,
            pool_id=pool_id,
            period_start=start,
            period_end=period_end,
            journal_entry_id=entry_id,
            lines_json=json.dumps(dict(sorted(lines.items()))),
            created_at=uow.clock.now(),
        )
        session.add(row)
        session.flush()
        audit.record(
            uow,
            tenant_id=tenant_id,
            actor=actor,
            action="pool.interest_posted",
            object_type="pool",
            object_id=pool_id,
            after={"period_end": period_end.isoformat(), "journal_entry_id": entry_id},
        )
        result = _period(row, pool, created=True)
        uow.commit()
        return result


def _start(session: Session, pool: PoolRow, period_end: date, today_: date) -> date:
    if period_end > today_:
        raise DateNotReached(f"period end {period_end} is after today ({today_})")
    last = repository.last_interest_period(session, pool.id)
    start = pool.created_on if last is None else last.period_end
    if last is not None and period_end < last.period_end:
        raise Conflict(f"interest is posted through {last.period_end} already")
    if period_end <= start:
        raise InterestPeriodOutOfRange(f"period end {period_end} must be after {start}")
    if not repository.rate_sets(session, pool.id):
        raise InterestRatesMissing(f"pool {pool.id} has no interest rates")
    return start


def _accrue(session: Session, pool: PoolRow, start: date, end: date) -> dict[str, int]:
    """Each lending entity's interest for the nights start … end − 1, in minor units."""
    state = reading.load_state(session, pool)
    entities = state.lending_entities()
    opening = reading.positions(session, pool, entities, start - timedelta(days=1))
    keys = {
        key: entity_id
        for entity_id in entities
        for key in repository.intercompany_keys(entity_id, pool.host_entity_id, pool.currency)
    }
    accounts = ledger_repository.accounts_by_key(session, pool.tenant_id, list(keys))
    owner = {row.id: keys[key] for key, row in accounts.items()}
    movements: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, day, change in ledger_repository.day_movements(
        session, list(owner), start, end
    ):
        movements[owner[account_id]][day] += change
    rates = repository.rate_sets(session, pool.id)
    exponent = Currency.of(pool.currency).minor_units
    lines: dict[str, int] = {}
    for entity_id in entities:
        amount = accrue(
            opening_minor=opening.get(entity_id, 0),
            movements=movements.get(entity_id, {}),
            start=start,
            end=end,
            rates=rates,
            year_fraction=year_fraction,
            exponent=exponent,
        )
        minor = to_minor(amount, exponent)
        if minor != 0:
            lines[entity_id] = minor
    return lines


def _post(uow: UnitOfWork, pool: PoolRow, lines: dict[str, int], period_end: date) -> str:
    host, session, now = pool.host_entity_id, uow.session, uow.clock.now()
    wanted: list[tuple[str, LedgerAccountKind, str | None]] = [
        (host, _INCOME, None),
        (host, _EXPENSE, None),
    ]
    for entity_id in lines:
        wanted += [
            (entity_id, _INCOME, None),
            (entity_id, _EXPENSE, None),
            (entity_id, _RECEIVABLE, host),
            (entity_id, _PAYABLE, host),
            (host, _RECEIVABLE, entity_id),
            (host, _PAYABLE, entity_id),
        ]
    ids = pool_legs.internal_accounts(
        session, tenant_id=pool.tenant_id, currency=pool.currency, wanted=wanted, now=now
    )
    postings: list[Posting] = []
    for entity_id, minor in sorted(lines.items()):
        amount = Money.from_minor(abs(minor), pool.currency)
        if minor > 0:  # the member lent: it earns, the host pays
            pairs = [
                ((entity_id, _RECEIVABLE, host), (entity_id, _INCOME, None)),
                ((host, _EXPENSE, None), (host, _PAYABLE, entity_id)),
            ]
        else:  # the member borrowed: it pays, the host earns
            pairs = [
                ((entity_id, _EXPENSE, None), (entity_id, _PAYABLE, host)),
                ((host, _RECEIVABLE, entity_id), (host, _INCOME, None)),
            ]
        postings += [
            Posting(debit_account_id=ids[debit], credit_account_id=ids[credit], amount=amount)
            for debit, credit in pairs
        ]
    entry = JournalEntry(
        id=new_id(),
        value_date=period_end,
        kind="pool_interest",
        description=f"cash pool {pool.name}: interest to {period_end.isoformat()}"[:500],
        postings=tuple(postings),
        source_id=pool.id,
    )
    ledger_posting.post_entry(session, tenant_id=pool.tenant_id, entry=entry, posted_at=now)
    return entry.id


def _period(row: InterestPeriodRow, pool: PoolRow, *, created: bool) -> InterestPeriod:
    lines = json.loads(row.lines_json)
    return InterestPeriod(
        id=row.id,
        pool_id=row.pool_id,
        period_start=row.period_start,
        period_end=row.period_end,
        journal_entry_id=row.journal_entry_id,
        lines=tuple(
            InterestLine(entity_id, Money.from_minor(minor, pool.currency))
            for entity_id, minor in lines.items()
        ),
        created=created,
    )
