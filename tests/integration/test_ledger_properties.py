"""Property: any sequence of statement lines, transfers and reversals keeps the ledger consistent.

Each example runs on a fresh tenant through the use cases and keeps its own model of the bank
balances; the database must agree with the model and with a replay of its own postings.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.builders import TODAY, TenantBuilder, assert_ledger_consistent, ledger_report
from tests.support import make_tenant
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict
from treasury.money import Money, convert
from treasury.payments.model import INSUFFICIENT_FUNDS_RULE, TransferStatus

# (currency, overdraft limit in minor units, second entity?) of the four accounts of an example.
ACCOUNTS = (("CNY", 0, False), ("CNY", 10000, False), ("CNY", 0, True), ("USD", 0, False))
END = date(2099, 12, 31)  # balances as of a date after every value date
RATES = {("CNY", "USD"): Decimal("0.1381"), ("USD", "CNY"): Decimal("7.0850")}


@dataclass(frozen=True)
class Line:
    account: int
    amount_minor: int
    day_offset: int


@dataclass(frozen=True)
class Transfer:
    debtor: int
    creditor: int
    amount_minor: int
    day_offset: int


@dataclass(frozen=True)
class Reverse:
    pick: int


@dataclass(frozen=True)
class ReverseTransfer:
    pick: int


Operation = Line | Transfer | Reverse | ReverseTransfer

ACCOUNT = st.integers(min_value=0, max_value=len(ACCOUNTS) - 1)
OPERATIONS = st.one_of(
    st.builds(
        Line,
        account=ACCOUNT,
        amount_minor=st.integers(min_value=-50_000, max_value=200_000).filter(bool),
        day_offset=st.integers(min_value=-6, max_value=0),
    ),
    st.builds(
        Transfer,
        debtor=ACCOUNT,
        creditor=ACCOUNT,
        amount_minor=st.integers(min_value=1, max_value=150_000),
        day_offset=st.integers(min_value=-2, max_value=3),
    ),
    st.builds(Reverse, pick=st.integers(min_value=0, max_value=100)),
    st.builds(ReverseTransfer, pick=st.integers(min_value=0, max_value=100)),
)


@dataclass
class Model:
    """What the bank balances must be, kept without the database."""

    books: TenantBuilder
    account_ids: list[str]
    balances: list[int] = field(default_factory=lambda: [0] * len(ACCOUNTS))
    # Net movement of each account per value date, to know what is there on a given day.
    movements: list[dict[date, int]] = field(default_factory=lambda: [{} for _ in ACCOUNTS])
    # Entries that may be reversed, with their effect on one bank account: (account, change).
    reversible: dict[str, tuple[int, int]] = field(default_factory=dict)
    transfer_entries: list[str] = field(default_factory=list)

    def money(self, account: int, amount_minor: int) -> Money:
        return Money.from_minor(amount_minor, ACCOUNTS[account][0])

    def line(self, operation: Line) -> None:
        entry_id = self.books.statement_line(
            self.account_ids[operation.account],
            self.money(operation.account, operation.amount_minor),
            TODAY + timedelta(days=operation.day_offset),
        )
        self.move(
            operation.account, operation.amount_minor, TODAY + timedelta(operation.day_offset)
        )
        self.reversible[entry_id] = (operation.account, operation.amount_minor)

    def move(self, account: int, change: int, value_date: date) -> None:
        self.balances[account] += change
        days = self.movements[account]
        days[value_date] = days.get(value_date, 0) + change

    def lowest_balance_from(self, account: int, value_date: date) -> int:
        """Brute force: the balance at the end of the value date and of every later day moved."""
        days = self.movements[account]
        ends = sorted({value_date, *(day for day in days if day >= value_date)})
        return min(sum(m for day, m in days.items() if day <= end) for end in ends)

    def transfer(self, operation: Transfer) -> None:
        debtor = operation.debtor
        creditor = operation.creditor if operation.creditor != debtor else (debtor + 1) % 4
        amount = self.money(debtor, operation.amount_minor)
        pair = (ACCOUNTS[debtor][0], ACCOUNTS[creditor][0])
        rate = RATES.get(pair)
        received = amount if rate is None else convert(amount, rate=rate, to=pair[1])
        if not received.is_positive():
            return
        result = self.books.transfer(
            self.account_ids[debtor],
            self.account_ids[creditor],
            amount,
            value_date=TODAY + timedelta(days=operation.day_offset),
            fx_rate=rate,
        ).transfer
        back_valued = operation.day_offset < 0
        requested = TODAY + timedelta(days=operation.day_offset)
        # A payment is covered only by what is there from its value date on.
        available = self.lowest_balance_from(debtor, requested) + ACCOUNTS[debtor][1]
        if back_valued or amount.minor <= available:
            assert result.status is TransferStatus.BOOKED
            assert result.journal_id is not None
            assert result.value_date is not None
            self.move(debtor, -amount.minor, result.value_date)
            self.move(creditor, received.minor, result.value_date)
            self.transfer_entries.append(result.journal_id)
        else:
            assert result.status is TransferStatus.REJECTED
            assert result.journal_id is None
            assert INSUFFICIENT_FUNDS_RULE in {finding.rule for finding in result.findings}

    def reverse(self, operation: Reverse) -> None:
        if not self.reversible:
            return
        entry_id = sorted(self.reversible)[operation.pick % len(self.reversible)]
        account, change = self.reversible.pop(entry_id)
        reversal = self.books.reverse(entry_id)
        self.move(account, -change, reversal.value_date)
        self.reversible[reversal.id] = (account, -change)

    def reverse_transfer(self, operation: ReverseTransfer) -> None:
        if not self.transfer_entries:
            return
        entry_id = self.transfer_entries[operation.pick % len(self.transfer_entries)]
        with pytest.raises(Conflict):
            self.books.reverse(entry_id)

    def apply(self, operation: Operation) -> None:
        if isinstance(operation, Line):
            self.line(operation)
        elif isinstance(operation, Transfer):
            self.transfer(operation)
        elif isinstance(operation, Reverse):
            self.reverse(operation)
        else:
            self.reverse_transfer(operation)


def open_books(uow_factory: UnitOfWorkFactory) -> Model:
    books = TenantBuilder.of(uow_factory, make_tenant(uow_factory, f"p-{uuid.uuid4().hex[:12]}"))
    entities = [books.entity(), books.entity()]
    account_ids = [
        books.account(
            entities[second_entity],
            currency,
            str(Money.from_minor(overdraft_minor, currency).amount),
        )
        for currency, overdraft_minor, second_entity in ACCOUNTS
    ]
    return Model(books, account_ids)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, max_size=14))
def test_any_sequence_keeps_the_ledger_balanced_and_replayable(
    uow_factory: UnitOfWorkFactory, operations: list[Operation]
) -> None:
    model = open_books(uow_factory)

    for operation in operations:
        model.apply(operation)

    books = model.books
    actual = [books.balance(account_id, END).balance.minor for account_id in model.account_ids]
    assert actual == model.balances
    report = ledger_report(books.uow_factory, books.tenant_id)
    assert_ledger_consistent(report)
    for index, account_id in enumerate(model.account_ids):
        assert report.accounts[account_id].balance_minor == model.balances[index]
        assert report.accounts[account_id].reserved_minor == 0
