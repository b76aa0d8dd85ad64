"""Pure ledger vocabulary: postings, journal entries, reversals, balance effects.

A posting moves a positive amount of one currency from a credit account to a debit account, so an
entry balances per currency by construction. Balances are signed debit-positive: a bank account
holding money has a positive balance; a suspense account fed by unclassified receipts a
negative one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from treasury.money import Money


class LedgerAccountKind(StrEnum):
    """The chart of accounts: bank accounts plus each entity's internal accounts."""

    BANK = "bank"
    INTERCOMPANY_RECEIVABLE = "intercompany_receivable"
    INTERCOMPANY_PAYABLE = "intercompany_payable"
    INTEREST_INCOME = "interest_income"
    INTEREST_EXPENSE = "interest_expense"
    FX_CLEARING = "fx_clearing"
    FX_RESULT_REALISED = "fx_result_realised"
    FX_RESULT_UNREALISED = "fx_result_unrealised"
    DERIVATIVE_ASSET = "derivative_asset"
    DERIVATIVE_LIABILITY = "derivative_liability"
    HEDGE_RESERVE = "hedge_reserve"
    BANK_FEES = "bank_fees"
    SUSPENSE = "suspense"
    # Money sent to parties outside the group, until the bank statement confirms it.
    OUTGOING_PAYMENTS = "outgoing_payments"
    # Money due from parties outside the group (a dealing bank's settlement of a hedge's gain),
    # until the bank's credit is confirmed.
    INCOMING_PAYMENTS = "incoming_payments"


# Kinds kept per counterpart entity (one receivable and one payable per pair of group entities).
PER_COUNTERPART_KINDS = frozenset(
    {LedgerAccountKind.INTERCOMPANY_RECEIVABLE, LedgerAccountKind.INTERCOMPANY_PAYABLE}
)


@dataclass(frozen=True, slots=True)
class InternalAccount:
    """An entity's internal account of one kind and currency (per counterpart for intercompany
    kinds), named by its natural key `<entity>:<kind>:<currency>[:<counterpart entity>]`."""

    entity_id: str
    kind: LedgerAccountKind
    currency: str
    counterpart_entity_id: str | None = None

    @property
    def key(self) -> str:
        """The account's natural key (unique per tenant)."""
        key = f"{self.entity_id}:{self.kind.value}:{self.currency}"
        if self.kind in PER_COUNTERPART_KINDS:
            return f"{key}:{self.counterpart_entity_id}"
        return key


class LedgerError(ValueError):
    """A posting or entry that cannot exist (same account twice, empty, non-positive amount)."""


@dataclass(frozen=True, slots=True)
class Posting:
    """`amount` moves from `credit_account_id` to `debit_account_id`."""

    debit_account_id: str
    credit_account_id: str
    amount: Money

    def __post_init__(self) -> None:
        if not self.amount.is_positive():
            raise LedgerError(f"a posting moves a positive amount, not {self.amount}")
        if self.debit_account_id == self.credit_account_id:
            raise LedgerError("a posting needs two different accounts")

    def reversed(self) -> Posting:
        """The same amount moving back."""
        return Posting(
            debit_account_id=self.credit_account_id,
            credit_account_id=self.debit_account_id,
            amount=self.amount,
        )


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced set of postings on one value date."""

    id: str
    value_date: date
    kind: str
    description: str
    postings: tuple[Posting, ...]
    reverses_entry_id: str | None = None
    source_id: str | None = None
    reason: str | None = None  # why a reversal corrects its original

    def __post_init__(self) -> None:
        if not self.postings:
            raise LedgerError("a journal entry needs at least one posting")


def reversal_of(
    entry: JournalEntry, *, new_id: str, value_date: date, reason: str | None = None
) -> JournalEntry:
    """The entry that undoes `entry`, pointing back at it (and saying why)."""
    return JournalEntry(
        id=new_id,
        value_date=value_date,
        kind="reversal",
        description=f"reversal of {entry.id}: {entry.description}"[:500],
        postings=tuple(posting.reversed() for posting in entry.postings),
        reverses_entry_id=entry.id,
        source_id=entry.source_id,
        reason=reason,
    )


def balance_changes(postings: Iterable[Posting]) -> dict[str, int]:
    """Net change in minor units per account (debit +, credit −)."""
    changes: dict[str, int] = defaultdict(int)
    for posting in postings:
        changes[posting.debit_account_id] += posting.amount.minor
        changes[posting.credit_account_id] -= posting.amount.minor
    return dict(changes)


# A running balance is a signed 64-bit integer of minor units (±9.2e18). Any one amount is at most
# 1e17 − 1 minor units (`money.MAX_AMOUNT_MINOR`); a balance may hold ten such amounts and no more,
# which leaves the database's integer (and each day's movement total) well clear of overflowing.
MAX_BALANCE_MINOR = 10**18 - 1


def within_storable_range(balance_minor: int) -> bool:
    """True when a running balance stays within what the ledger stores."""
    return -MAX_BALANCE_MINOR <= balance_minor <= MAX_BALANCE_MINOR


def within_limit(*, balance_minor: int, reserved_minor: int, overdraft_limit_minor: int) -> bool:
    """True when what is left after reservations stays at or above −overdraft limit."""
    return balance_minor - reserved_minor >= -overdraft_limit_minor


def lowest_balance_from(balance_minor: int, later_movements: Iterable[int]) -> int:
    """The lowest booked balance on any day from a value date on, given today's running balance
    and the net movements of each later value date in date order.

    A payment valued on D must be covered on D and on every later day: money that arrives only
    later (a credit dated after D) cannot pay it, and a debit dated later must still be met. The
    balance on the last movement day is the running balance; walking back, each day's balance is
    the next one's less that day's movement.
    """
    lowest = balance = balance_minor
    for movement in reversed(list(later_movements)):
        balance -= movement
        lowest = min(lowest, balance)
    return lowest
