"""Ledger invariants on both databases: balanced per currency (1), append-only (2), as-of (5)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.integration.builders import TenantBuilder, assert_ledger_consistent, ledger_report
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.errors import Conflict, EntryAlreadyReversed
from treasury.ledger.tables import JournalEntryRow, PostingRow
from treasury.money import Money
from treasury.payments.model import INSUFFICIENT_FUNDS_RULE, TransferStatus


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_mixed_movements_keep_every_sum_consistent(books: TenantBuilder) -> None:
    group, subsidiary = books.entity(), books.entity()
    main, spare = books.account(group), books.account(group, overdraft="500.00")
    dollars, other = books.account(group, "USD"), books.account(subsidiary)
    books.statement_line(main, cny("10000.00"), date(2026, 11, 20))
    fee = books.statement_line(main, cny("-250.00"), date(2026, 11, 21))
    books.statement_line(dollars, usd("800.00"), date(2026, 11, 22))
    books.statement_line(other, cny("50.00"), date(2026, 11, 23))
    books.statement_line(spare, cny("-100.00"), date(2026, 11, 24))

    booked = [
        books.transfer(main, spare, cny("1200.00")),
        books.transfer(main, other, cny("300.00")),
        books.transfer(main, dollars, cny("1000.00"), fx_rate=Decimal("0.1381")),
        books.transfer(dollars, main, usd("100.00"), fx_rate=Decimal("7.0850")),
    ]
    refused = books.transfer(other, main, cny("1000000.00"))
    reversal = books.reverse(fee)
    books.reverse(reversal.id)

    assert [result.transfer.status for result in booked] == [TransferStatus.BOOKED] * 4
    assert booked[2].transfer.creditor_amount == usd("138.10")
    assert booked[3].transfer.creditor_amount == cny("708.50")
    assert refused.transfer.status is TransferStatus.REJECTED
    assert refused.transfer.journal_id is None
    assert INSUFFICIENT_FUNDS_RULE in {finding.rule for finding in refused.transfer.findings}
    assert books.balance(main).balance == cny("7958.50")
    assert books.balance(spare).balance == cny("1100.00")
    assert books.balance(other).balance == cny("350.00")
    assert books.balance(dollars).balance == usd("838.10")
    report = ledger_report(books.uow_factory, books.tenant_id)
    assert report.entries == 5 + 4 + 2
    assert set(report.balances_by_currency()) == {"CNY", "USD"}
    assert_ledger_consistent(report)


def test_a_reversed_entry_cannot_be_reversed_twice(books: TenantBuilder) -> None:
    account = books.account(books.entity())
    line = books.statement_line(account, cny("10.00"), date(2026, 11, 20))
    books.reverse(line)

    with pytest.raises(EntryAlreadyReversed):
        books.reverse(line)

    assert books.balance(account).balance == cny("0.00")
    assert ledger_report(books.uow_factory, books.tenant_id).entries == 2


def test_a_transfer_entry_is_not_reversed_by_hand(books: TenantBuilder) -> None:
    entity = books.entity()
    debtor, creditor = books.account(entity), books.account(entity)
    books.statement_line(debtor, cny("10.00"), date(2026, 11, 20))
    result = books.transfer(debtor, creditor, cny("4.00"))
    assert result.transfer.journal_id is not None

    with pytest.raises(Conflict):
        books.reverse(result.transfer.journal_id)

    assert books.balance(creditor).balance == cny("4.00")
    assert_ledger_consistent(ledger_report(books.uow_factory, books.tenant_id))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount_minor = amount_minor + 1 WHERE entry_id = :entry_id",
        "UPDATE ledger_posting SET amount_minor = amount_minor WHERE entry_id = :entry_id",
        "DELETE FROM ledger_posting WHERE entry_id = :entry_id",
        "UPDATE ledger_journal_entry SET description = 'edited' WHERE id = :entry_id",
        "DELETE FROM ledger_journal_entry WHERE id = :entry_id",
    ],
)
def test_posted_entries_are_immutable_in_the_database(
    books: TenantBuilder, uow_factory: UnitOfWorkFactory, statement: str
) -> None:
    account = books.account(books.entity())
    entry_id = books.statement_line(account, cny("10.00"), date(2026, 11, 20))

    with uow_factory() as uow, pytest.raises(DBAPIError, match="append-only"):
        uow.session.execute(text(statement), {"entry_id": entry_id})

    with uow_factory() as uow:
        entry = uow.session.get(JournalEntryRow, entry_id)
        amounts = uow.session.scalars(
            select(PostingRow.amount_minor).where(PostingRow.entry_id == entry_id)
        ).all()
        assert entry is not None
        assert entry.description.endswith("test line")
        assert list(amounts) == [1000]


def test_balance_as_of_a_value_date_equals_the_replay_up_to_it(books: TenantBuilder) -> None:
    entity = books.entity()
    main, second = books.account(entity), books.account(entity, overdraft="1000.00")
    dollars = books.account(entity, "USD")
    books.statement_line(main, cny("5000.00"), date(2026, 11, 18))
    late_fee = books.statement_line(main, cny("-40.00"), date(2026, 11, 19))
    books.statement_line(dollars, usd("300.00"), date(2026, 11, 20))
    books.transfer(main, second, cny("700.00"), value_date=date(2026, 11, 23))  # back-valued
    books.transfer(main, second, cny("1500.00"))  # today
    books.transfer(main, second, cny("250.00"), value_date=date(2026, 11, 30))  # forward
    books.transfer(second, dollars, cny("1000.00"), fx_rate=Decimal("0.1400"))
    books.reverse(late_fee, value_date=date(2026, 11, 27))
    books.statement_line(second, cny("-60.00"), date(2026, 12, 1))

    report = ledger_report(books.uow_factory, books.tenant_id)
    assert_ledger_consistent(report)
    first_day = date(2026, 11, 16)
    for offset in range(20):
        as_of = first_day + timedelta(days=offset)
        for account_id in report.accounts:
            expected = report.replay(account_id, as_of)
            assert books.balance(account_id, as_of).balance.minor == expected, (account_id, as_of)
    assert books.balance(main, date(2026, 11, 17)).balance == cny("0.00")
    assert books.balance(main, date(2026, 11, 19)).balance == cny("4960.00")
    assert books.balance(main, date(2026, 11, 26)).balance == cny("2760.00")
    assert books.balance(main, date(2026, 11, 27)).balance == cny("2800.00")
    assert books.balance(main, date(2026, 11, 30)).balance == cny("2550.00")
    assert books.balance(dollars, date(2026, 11, 26)).balance == usd("440.00")
