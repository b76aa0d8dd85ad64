"""Every ledger query: accounts (created on demand), row locks, appending entries, balances."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from treasury.db.base import new_id
from treasury.db.batches import chunks
from treasury.db.dialects import DIALECTS, conflict_insert, conflict_insert_for
from treasury.db.paging import Page, PageRequest, keyset_page
from treasury.db.prepared import Prepared
from treasury.errors import BalanceOutOfRange
from treasury.ledger import model
from treasury.ledger.attestation import record_entries
from treasury.ledger.model import (
    MAX_BALANCE_MINOR,
    InternalAccount,
    JournalEntry,
    LedgerAccountKind,
    Posting,
    balance_changes,
    within_storable_range,
)
from treasury.ledger.tables import AccountDayRow, JournalEntryRow, LedgerAccountRow, PostingRow
from treasury.money import Money

# The plain tables behind append-only rows, for Core inserts (see `append_entry`).
_ENTRIES = cast(Table, JournalEntryRow.__table__)
_POSTINGS = cast(Table, PostingRow.__table__)
_ACCOUNT_DAYS = cast(Table, AccountDayRow.__table__)
_ACCOUNTS = cast(Table, LedgerAccountRow.__table__)
_LOCKED = "ledger.locked_accounts"
_INTERNAL = "ledger.internal_accounts"


def internal_account_key(
    *, entity_id: str, kind: LedgerAccountKind, currency: str, counterpart_entity_id: str | None
) -> str:
    """The natural key of an entity's internal ledger account."""
    return InternalAccount(entity_id, kind, currency, counterpart_entity_id).key


def add_bank_ledger_account(
    session: Session,
    *,
    account_id: str,
    tenant_id: str,
    entity_id: str,
    currency: str,
    name: str,
    overdraft_limit_minor: int,
    created_at: datetime,
) -> LedgerAccountRow:
    """The ledger side of a bank account; it shares the bank account's id."""
    row = LedgerAccountRow(
        id=account_id,
        tenant_id=tenant_id,
        account_key=f"bank:{account_id}",
        entity_id=entity_id,
        kind=LedgerAccountKind.BANK.value,
        currency=currency,
        name=name,
        balance_minor=0,
        reserved_minor=0,
        overdraft_limit_minor=overdraft_limit_minor,
        created_at=created_at,
    )
    session.add(row)
    session.flush()
    return row


def internal_account(
    session: Session,
    *,
    tenant_id: str,
    entity_id: str,
    kind: LedgerAccountKind,
    currency: str,
    created_at: datetime,
    counterpart_entity_id: str | None = None,
) -> LedgerAccountRow:
    """The entity's internal account of this kind and currency, created on first use."""
    wanted = InternalAccount(entity_id, kind, currency, counterpart_entity_id)
    return internal_accounts(session, tenant_id=tenant_id, wanted=[wanted], created_at=created_at)[
        wanted
    ]


def internal_accounts(
    session: Session,
    *,
    tenant_id: str,
    wanted: Iterable[InternalAccount],
    created_at: datetime,
) -> dict[InternalAccount, LedgerAccountRow]:
    """These internal accounts, the missing ones created (in bulk) on first use.

    The one place internal accounts are made: insert-or-ignore, so two transactions creating the
    same account at once both succeed and both find the one row. An account found once is
    remembered for the rest of the transaction (a statement's 7,000 lines post to one suspense
    account): accounts are never deleted, and one made inside a savepoint rolled back is forgotten
    with it (`savepoint`).
    """
    known: dict[tuple[str, str], LedgerAccountRow] = _cached_in_this_transaction(session, _INTERNAL)
    by_key = {account.key: account for account in wanted}
    found = {key: known[(tenant_id, key)] for key in by_key if (tenant_id, key) in known}
    unknown = [key for key in by_key if key not in found]
    if unknown:
        existing = accounts_by_key(session, tenant_id, unknown)
        missing = sorted(set(unknown) - set(existing))
        for part in chunks(missing, 500):
            session.connection().execute(
                conflict_insert_for(session, _ACCOUNTS).on_conflict_do_nothing(),
                [_internal_account_values(tenant_id, by_key[key], created_at) for key in part],
            )
        if missing:
            existing.update(accounts_by_key(session, tenant_id, missing))
        known.update({(tenant_id, key): row for key, row in existing.items()})
        found.update(existing)
    return {by_key[key]: row for key, row in found.items()}


def _internal_account_values(
    tenant_id: str, account: InternalAccount, created_at: datetime
) -> dict[str, object]:
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "account_key": account.key,
        "entity_id": account.entity_id,
        "kind": account.kind.value,
        "currency": account.currency,
        "counterpart_entity_id": account.counterpart_entity_id,
        "name": f"{account.kind.value.replace('_', ' ')} {account.currency}",
        "balance_minor": 0,
        "reserved_minor": 0,
        "overdraft_limit_minor": None,
        "created_at": created_at,
    }


def accounts_by_key(
    session: Session, tenant_id: str, keys: Sequence[str]
) -> dict[str, LedgerAccountRow]:
    """The tenant's existing ledger accounts among these natural keys, by key."""
    found: dict[str, LedgerAccountRow] = {}
    for part in chunks(sorted(set(keys))):
        query = select(LedgerAccountRow).where(
            LedgerAccountRow.tenant_id == tenant_id, LedgerAccountRow.account_key.in_(part)
        )
        found.update({row.account_key: row for row in session.scalars(query)})
    return found


def accounts_by_id(session: Session, account_ids: Iterable[str]) -> dict[str, LedgerAccountRow]:
    """Ledger accounts by id, read without locking (views, forecasts)."""
    found: dict[str, LedgerAccountRow] = {}
    for part in chunks(sorted(set(account_ids))):
        query = select(LedgerAccountRow).where(LedgerAccountRow.id.in_(part))
        found.update({row.id: row for row in session.scalars(query)})
    return found


def get_account(session: Session, tenant_id: str, account_id: str) -> LedgerAccountRow | None:
    """One of the tenant's ledger accounts."""
    row = session.get(LedgerAccountRow, account_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def lock_accounts(
    session: Session, tenant_id: str, account_ids: Iterable[str]
) -> dict[str, LedgerAccountRow]:
    """Lock the accounts' balance rows in ascending id order (SELECT … FOR UPDATE on PostgreSQL).

    The fixed order means two entries touching the same accounts can never deadlock; many
    accounts (a sweep's tens of thousands) are locked in ascending chunks, so the order holds
    across chunks. SQLite needs no row lock: its write transactions begin IMMEDIATE and so run one
    at a time. Rows locked earlier in this transaction are not read again.
    """
    ids = sorted(set(account_ids))
    locked = _locked_in_this_transaction(session)
    # Locked (and read) earlier in this transaction: nobody else can have changed the rows
    # since, and our own changes are on the very objects. Saves a round trip per step.
    for part in chunks([account_id for account_id in ids if account_id not in locked]):
        rows = session.scalars(_LOCK_ACCOUNTS, {"account_ids": list(part), "tenant_id": tenant_id})
        locked.update({row.id: row for row in rows})
    return {account_id: locked[account_id] for account_id in ids if account_id in locked}


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A savepoint (one item of a batch) whose rollback also forgets what was cached inside it:
    the balance rows locked and read (PostgreSQL releases a row lock taken after a savepoint when
    it is rolled back to, so such a row must be locked and read again before it is trusted) and
    the internal accounts made."""
    session.connection()  # the transaction begins here, so its caches are the ones kept
    names = (_LOCKED, _INTERNAL)
    before = {name: dict(_cached_in_this_transaction(session, name)) for name in names}
    try:
        with session.begin_nested():
            yield
    except BaseException:
        for name, kept in before.items():
            cache = _cached_in_this_transaction(session, name)
            cache.clear()
            cache.update(kept)
        raise


def _locked_in_this_transaction(session: Session) -> dict[str, LedgerAccountRow]:
    """The balance rows this session locked in its current transaction (forgotten at its end).

    Balance rows are only ever changed through these ORM objects (never by Core UPDATEs), so a
    row locked once stays current for the rest of the transaction.
    """
    rows: dict[str, LedgerAccountRow] = _cached_in_this_transaction(session, _LOCKED)
    return rows


def _cached_in_this_transaction(session: Session, name: str) -> dict[Any, LedgerAccountRow]:
    """A per-transaction cache of ledger rows kept in the session (a new one each transaction)."""
    transaction = session.get_transaction()
    cached = session.info.get(name)
    if cached is None or cached[0] is not transaction:
        cached = (transaction, {})
        session.info[name] = cached
    rows: dict[Any, LedgerAccountRow] = cached[1]
    return rows


def append_entry(
    session: Session,
    *,
    tenant_id: str,
    entry: JournalEntry,
    accounts: dict[str, LedgerAccountRow],
    posted_at: datetime,
) -> None:
    """Write the entry and its postings and move the (already locked) running balances.

    Raises:
        BalanceOutOfRange: a balance would leave what the ledger stores (nothing is written).
    """
    append_entries(
        session, tenant_id=tenant_id, entries=[entry], accounts=accounts, posted_at=posted_at
    )


def append_entries(
    session: Session,
    *,
    tenant_id: str,
    entries: Sequence[JournalEntry],
    accounts: dict[str, LedgerAccountRow],
    posted_at: datetime,
) -> None:
    """Write the entries and their postings (one multi-row insert each) and move the (already
    locked) running balances; day movements are added per account and value date.

    Raises:
        BalanceOutOfRange: a balance would leave what the ledger stores (nothing is written).
    """
    changes = balance_changes(posting for entry in entries for posting in entry.postings)
    _check_storable_balances(changes, accounts)
    # Prepared inserts in the unit of work's transaction: entries and postings are append-only
    # and never read back here, so they skip the ORM unit of work (a flush each).
    _INSERT_ENTRY.run(session, [_entry_values(tenant_id, entry, posted_at) for entry in entries])
    _INSERT_POSTINGS.run(
        session,
        [
            _posting_values(tenant_id, entry, posting)
            for entry in entries
            for posting in entry.postings
        ],
    )
    by_value_date: dict[date, list[Posting]] = {}
    record_entries(session, tenant_id=tenant_id, entries=entries, posted_at=posted_at)
    for entry in entries:
        by_value_date.setdefault(entry.value_date, []).extend(entry.postings)
    for value_date, postings in sorted(by_value_date.items()):
        _add_day_movements(session, value_date, balance_changes(postings))
    # The running balances by one Core update, the locked rows told their new value as committed
    # state: no ORM flush on the posting's path. Anything else the caller left pending is
    # flushed as before, so the ledger's writes and the caller's stay in order.
    moved = {account_id: change for account_id, change in changes.items() if change}
    _MOVE_BALANCE.run(
        session,
        [{"account_id": account_id, "change": change} for account_id, change in moved.items()],
    )
    for account_id, change in moved.items():
        account = accounts[account_id]
        set_committed_value(account, "balance_minor", account.balance_minor + change)
    if session.new or session.dirty or session.deleted:
        session.flush()


def _entry_values(tenant_id: str, entry: JournalEntry, posted_at: datetime) -> dict[str, object]:
    return {
        "id": entry.id,
        "tenant_id": tenant_id,
        "value_date": entry.value_date,
        "kind": entry.kind,
        "description": entry.description,
        "reverses_entry_id": entry.reverses_entry_id,
        "source_id": entry.source_id,
        "posted_at": posted_at,
        "reason": entry.reason,
    }


def _check_storable_balances(
    changes: dict[str, int], accounts: dict[str, LedgerAccountRow]
) -> None:
    for account_id, change in changes.items():
        if not within_storable_range(accounts[account_id].balance_minor + change):
            raise BalanceOutOfRange(
                f"account {account_id}: a balance beyond {MAX_BALANCE_MINOR} minor units "
                "cannot be stored",
                account_id=account_id,
            )


def _posting_values(tenant_id: str, entry: JournalEntry, posting: Posting) -> dict[str, object]:
    return {
        "entry_id": entry.id,
        "tenant_id": tenant_id,
        "debit_account_id": posting.debit_account_id,
        "credit_account_id": posting.credit_account_id,
        "amount_minor": posting.amount.minor,
        "currency": posting.amount.currency.code,
        "value_date": entry.value_date,
    }


def _day_movement_upsert(dialect: str) -> Any:
    statement = conflict_insert(_ACCOUNT_DAYS, dialect)
    return statement.on_conflict_do_update(
        index_elements=["account_id", "value_date"],
        set_={"movement_minor": _ACCOUNT_DAYS.c.movement_minor + statement.excluded.movement_minor},
    )


# Built and compiled once, run on the driver's cursor (`treasury.db.prepared`): every transfer
# writes its entry, postings, day movements and balances by these.
_DAY_MOVEMENT_KEYS = ("account_id", "value_date", "movement_minor")
_DAY_MOVEMENT_UPSERTS = {
    dialect: Prepared(_day_movement_upsert(dialect), _DAY_MOVEMENT_KEYS) for dialect in DIALECTS
}
_INSERT_ENTRY = Prepared(
    insert(_ENTRIES),
    (
        "id",
        "tenant_id",
        "value_date",
        "kind",
        "description",
        "reverses_entry_id",
        "source_id",
        "posted_at",
        "reason",
    ),
)
_INSERT_POSTINGS = Prepared(
    insert(_POSTINGS),
    (
        "entry_id",
        "tenant_id",
        "debit_account_id",
        "credit_account_id",
        "amount_minor",
        "currency",
        "value_date",
    ),
)
# The funds check's two reads, built once (a transfer makes each; building a select and its
# cache key cost about what running it does).
_LOCK_ACCOUNTS = (
    select(LedgerAccountRow)
    .where(
        LedgerAccountRow.id.in_(bindparam("account_ids", expanding=True)),
        LedgerAccountRow.tenant_id == bindparam("tenant_id"),
    )
    .order_by(LedgerAccountRow.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LATER_MOVEMENTS = Prepared(
    select(AccountDayRow.movement_minor)
    .where(
        AccountDayRow.account_id == bindparam("account_id"),
        AccountDayRow.value_date > bindparam("value_date"),
    )
    .order_by(AccountDayRow.value_date),
    ("account_id", "value_date"),
)
_MOVE_BALANCE = Prepared(
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("account_id"))
    .values(balance_minor=_ACCOUNTS.c.balance_minor + bindparam("change")),
    ("account_id", "change"),
)


def _add_day_movements(session: Session, value_date: date, changes: dict[str, int]) -> None:
    _DAY_MOVEMENT_UPSERTS[session.get_bind().dialect.name].run(
        session,
        [
            {"account_id": account_id, "value_date": value_date, "movement_minor": change}
            for account_id, change in changes.items()
        ],
    )


def get_entry(session: Session, tenant_id: str, entry_id: str) -> JournalEntry | None:
    """A journal entry with its postings."""
    row = session.get(JournalEntryRow, entry_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    return _entries_with_postings(session, [row])[0]


def reversal_id_of(session: Session, entry_id: str) -> str | None:
    """The id of the entry that reversed `entry_id`, if any."""
    query = select(JournalEntryRow.id).where(JournalEntryRow.reverses_entry_id == entry_id)
    return session.scalars(query).one_or_none()


def reasons_of(session: Session, entry_ids: Iterable[str]) -> dict[str, str]:
    """The reasons of those entries that have one (reversals), by entry id."""
    query = select(JournalEntryRow.id, JournalEntryRow.reason).where(
        JournalEntryRow.id.in_(list(entry_ids)), JournalEntryRow.reason.is_not(None)
    )
    return {entry_id: str(reason) for entry_id, reason in session.execute(query)}


def entry_page(
    session: Session,
    *,
    tenant_id: str,
    account_id: str | None,
    date_from: date | None,
    date_to: date | None,
    page: PageRequest,
) -> Page[JournalEntry]:
    """A page of entries by value date, posting time and id, optionally touching one account,
    in a period (inclusive)."""
    query = select(JournalEntryRow).where(JournalEntryRow.tenant_id == tenant_id)
    if account_id is not None:
        touching = select(PostingRow.entry_id).where(
            or_(
                PostingRow.debit_account_id == account_id,
                PostingRow.credit_account_id == account_id,
            )
        )
        query = query.where(JournalEntryRow.id.in_(touching))
    if date_from is not None:
        query = query.where(JournalEntryRow.value_date >= date_from)
    if date_to is not None:
        query = query.where(JournalEntryRow.value_date <= date_to)
    order = (JournalEntryRow.value_date, JournalEntryRow.posted_at, JournalEntryRow.id)
    found = keyset_page(session, query, order=order, descending=False, page=page)
    entries = _entries_with_postings(session, found.rows)
    return Page(rows=entries, total=found.total, next_key=found.next_key)


def _entries_with_postings(session: Session, rows: Sequence[JournalEntryRow]) -> list[JournalEntry]:
    reasons = reasons_of(session, [row.id for row in rows])
    postings: dict[str, list[Posting]] = {row.id: [] for row in rows}
    query = select(PostingRow).where(PostingRow.entry_id.in_(postings)).order_by(PostingRow.id)
    for posting in session.scalars(query):
        postings[posting.entry_id].append(
            Posting(
                debit_account_id=posting.debit_account_id,
                credit_account_id=posting.credit_account_id,
                amount=Money.from_minor(posting.amount_minor, posting.currency),
            )
        )
    return [
        JournalEntry(
            id=row.id,
            value_date=row.value_date,
            kind=row.kind,
            description=row.description,
            postings=tuple(postings[row.id]),
            reverses_entry_id=row.reverses_entry_id,
            source_id=row.source_id,
            reason=reasons.get(row.id),
        )
        for row in rows
    ]


def balance_as_of(session: Session, account: LedgerAccountRow, as_of: date) -> int:
    """The booked balance by value date: the running balance less movements dated after `as_of`."""
    later = select(func.coalesce(func.sum(AccountDayRow.movement_minor), 0)).where(
        AccountDayRow.account_id == account.id, AccountDayRow.value_date > as_of
    )
    return account.balance_minor - int(session.scalar(later) or 0)


def lowest_balance_from(session: Session, account: LedgerAccountRow, value_date: date) -> int:
    """The lowest booked balance on `value_date` or any later day (see `model.lowest_balance_from`).

    Reads only the account's movements dated after `value_date`: usually none or a few.
    """
    rows = _LATER_MOVEMENTS.rows(session, {"account_id": account.id, "value_date": value_date})
    return model.lowest_balance_from(account.balance_minor, (movement for (movement,) in rows))


def movements_after(session: Session, account_ids: Sequence[str], as_of: date) -> dict[str, int]:
    """Σ movements dated after `as_of`, per account (balance as of = running − this), in bulk."""
    found: dict[str, int] = {}
    for part in chunks(sorted(set(account_ids))):
        query = (
            select(AccountDayRow.account_id, func.sum(AccountDayRow.movement_minor))
            .where(AccountDayRow.account_id.in_(part), AccountDayRow.value_date > as_of)
            .group_by(AccountDayRow.account_id)
        )
        found.update({account_id: int(total) for account_id, total in session.execute(query)})
    return found


def day_movements(
    session: Session, account_ids: Sequence[str], start: date, end: date
) -> list[tuple[str, date, int]]:
    """Each account's net movement per value date in [start, end)."""
    found: list[tuple[str, date, int]] = []
    for part in chunks(sorted(set(account_ids))):
        query = select(
            AccountDayRow.account_id, AccountDayRow.value_date, AccountDayRow.movement_minor
        ).where(
            AccountDayRow.account_id.in_(part),
            AccountDayRow.value_date >= start,
            AccountDayRow.value_date < end,
        )
        found.extend((row[0], row[1], int(row[2])) for row in session.execute(query))
    return found


def list_accounts(session: Session, tenant_id: str, entity_id: str) -> list[LedgerAccountRow]:
    """An entity's ledger accounts, bank accounts first, then by kind and currency."""
    query = (
        select(LedgerAccountRow)
        .where(LedgerAccountRow.tenant_id == tenant_id, LedgerAccountRow.entity_id == entity_id)
        .order_by(LedgerAccountRow.kind != "bank", LedgerAccountRow.kind, LedgerAccountRow.currency)
    )
    return list(session.scalars(query))


def bank_balances(session: Session, tenant_id: str, as_of: date) -> dict[str, tuple[str, int, int]]:
    """Every bank account of the tenant in one read: (currency, booked balance by value date
    `as_of`, reserved now by held transfers), minor units."""
    later = (
        select(AccountDayRow.account_id, func.sum(AccountDayRow.movement_minor).label("later"))
        .join(LedgerAccountRow, LedgerAccountRow.id == AccountDayRow.account_id)
        .where(
            LedgerAccountRow.tenant_id == tenant_id,
            LedgerAccountRow.kind == LedgerAccountKind.BANK.value,
            AccountDayRow.value_date > as_of,
        )
        .group_by(AccountDayRow.account_id)
        .subquery()
    )
    query = (
        select(
            LedgerAccountRow.id,
            LedgerAccountRow.currency,
            LedgerAccountRow.balance_minor - func.coalesce(later.c.later, 0),
            LedgerAccountRow.reserved_minor,
        )
        .outerjoin(later, later.c.account_id == LedgerAccountRow.id)
        .where(
            LedgerAccountRow.tenant_id == tenant_id,
            LedgerAccountRow.kind == LedgerAccountKind.BANK.value,
        )
    )
    return {row[0]: (row[1], int(row[2]), int(row[3])) for row in session.execute(query)}


def bank_flows_between(
    session: Session, tenant_id: str, first: date, last: date
) -> list[tuple[str, date, int, int]]:
    """Gross money into and out of the tenant's bank accounts per currency and value date in
    [first, last]: (currency, value date, in, out) in minor units (debits add, credits take)."""
    flows: dict[tuple[str, date], list[int]] = {}
    for side, column in ((0, PostingRow.debit_account_id), (1, PostingRow.credit_account_id)):
        query = (
            select(PostingRow.currency, PostingRow.value_date, func.sum(PostingRow.amount_minor))
            .join(LedgerAccountRow, LedgerAccountRow.id == column)
            .where(
                PostingRow.tenant_id == tenant_id,
                PostingRow.value_date >= first,
                PostingRow.value_date <= last,
                LedgerAccountRow.kind == LedgerAccountKind.BANK.value,
            )
            .group_by(PostingRow.currency, PostingRow.value_date)
        )
        for currency, value_date, total in session.execute(query):
            flows.setdefault((currency, value_date), [0, 0])[side] += int(total or 0)
    return [(key[0], key[1], both[0], both[1]) for key, both in sorted(flows.items())]
