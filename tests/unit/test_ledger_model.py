"""Ledger vocabulary: postings, balanced entries, reversals, overdraft limits (DESIGN §3.1–3.2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treasury.ledger.model import (
    JournalEntry,
    LedgerError,
    Posting,
    balance_changes,
    lowest_balance_from,
    reversal_of,
    within_limit,
)
from treasury.money import Money

CURRENCIES = ("CNY", "USD", "JPY", "KWD")
ACCOUNTS_PER_CURRENCY = 4


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


@st.composite
def postings(draw: st.DrawFn) -> Posting:
    """A posting between two distinct accounts of one currency (accounts are per currency)."""
    currency = draw(st.sampled_from(CURRENCIES))
    debit, credit = draw(
        st.lists(
            st.integers(min_value=0, max_value=ACCOUNTS_PER_CURRENCY - 1),
            min_size=2,
            max_size=2,
            unique=True,
        )
    )
    amount_minor = draw(st.integers(min_value=1, max_value=10**14))
    return Posting(
        debit_account_id=f"{currency}-{debit}",
        credit_account_id=f"{currency}-{credit}",
        amount=Money.from_minor(amount_minor, currency),
    )


@st.composite
def entries(draw: st.DrawFn) -> JournalEntry:
    return JournalEntry(
        id=draw(st.uuids()).hex,
        value_date=draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))),
        kind=draw(st.sampled_from(["transfer", "statement_line", "sweep"])),
        description=draw(st.text(max_size=40)),
        postings=tuple(draw(st.lists(postings(), min_size=1, max_size=8))),
        source_id=draw(st.none() | st.uuids().map(str)),
    )


def per_currency(changes: dict[str, int]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for account_id, change in changes.items():
        totals[account_id.split("-")[0]] += change
    return dict(totals)


@pytest.mark.parametrize("amount", ["0.00", "-0.01", "-100.00"])
def test_posting_refuses_non_positive_amounts(amount: str) -> None:
    with pytest.raises(LedgerError, match="positive"):
        Posting(debit_account_id="a", credit_account_id="b", amount=cny(amount))


def test_posting_refuses_the_same_account_twice() -> None:
    with pytest.raises(LedgerError, match="two different accounts"):
        Posting(debit_account_id="a", credit_account_id="a", amount=cny("1.00"))


def test_journal_entry_needs_a_posting() -> None:
    with pytest.raises(LedgerError):
        JournalEntry(id="e", value_date=date(2026, 11, 26), kind="x", description="", postings=())


def test_balance_changes_are_debit_positive() -> None:
    changes = balance_changes(
        [
            Posting(debit_account_id="bank", credit_account_id="suspense", amount=cny("100.00")),
            Posting(debit_account_id="other", credit_account_id="bank", amount=cny("30.00")),
        ]
    )

    assert changes == {"bank": 7000, "suspense": -10000, "other": 3000}


@given(entry=entries())
def test_balance_changes_sum_to_zero_per_currency(entry: JournalEntry) -> None:
    totals = per_currency(balance_changes(entry.postings))

    assert set(totals) <= set(CURRENCIES)
    assert all(total == 0 for total in totals.values())


@given(entry=entries())
def test_an_entry_and_its_reversal_cancel_out(entry: JournalEntry) -> None:
    reversal = reversal_of(entry, new_id="r", value_date=date(2031, 1, 1))
    combined = balance_changes([*entry.postings, *reversal.postings])

    assert all(change == 0 for change in combined.values())
    assert balance_changes(reversal.postings) == {
        account_id: -change for account_id, change in balance_changes(entry.postings).items()
    }


@given(entry=entries())
def test_reversal_of_a_reversal_restores_the_original_postings(entry: JournalEntry) -> None:
    reversal = reversal_of(entry, new_id="r1", value_date=entry.value_date)
    restored = reversal_of(reversal, new_id="r2", value_date=entry.value_date)

    assert restored.postings == entry.postings
    assert reversal.postings != entry.postings
    assert reversal.reverses_entry_id == entry.id
    assert restored.reverses_entry_id == "r1"
    assert restored.source_id == entry.source_id
    assert balance_changes(restored.postings) == balance_changes(entry.postings)


def test_reversal_points_back_and_keeps_the_value_date_given() -> None:
    original = JournalEntry(
        id="e1",
        value_date=date(2026, 11, 20),
        kind="statement_line",
        description="funding",
        postings=(Posting(debit_account_id="a", credit_account_id="b", amount=cny("5.00")),),
        source_id="s1",
    )

    reversal = reversal_of(original, new_id="e2", value_date=date(2026, 11, 26))

    assert reversal.id == "e2"
    assert reversal.kind == "reversal"
    assert reversal.value_date == date(2026, 11, 26)
    assert reversal.reverses_entry_id == "e1"
    assert reversal.description.startswith("reversal of e1")
    assert reversal.postings == (
        Posting(debit_account_id="b", credit_account_id="a", amount=cny("5.00")),
    )


def test_reversal_description_fits_the_column() -> None:
    original = JournalEntry(
        id="e1",
        value_date=date(2026, 11, 20),
        kind="x",
        description="d" * 500,
        postings=(Posting(debit_account_id="a", credit_account_id="b", amount=cny("5.00")),),
    )

    assert len(reversal_of(original, new_id="e2", value_date=date(2026, 11, 20)).description) == 500


@pytest.mark.parametrize(
    ("balance_minor", "reserved_minor", "overdraft_limit_minor", "expected"),
    [
        (0, 0, 0, True),
        (-1, 0, 0, False),
        (100, 100, 0, True),
        (100, 101, 0, False),
        (-10000, 0, 10000, True),
        (-10001, 0, 10000, False),
        (5000, 15000, 10000, True),
        (5000, 15001, 10000, False),
    ],
)
def test_within_limit(
    balance_minor: int, reserved_minor: int, overdraft_limit_minor: int, expected: bool
) -> None:
    assert (
        within_limit(
            balance_minor=balance_minor,
            reserved_minor=reserved_minor,
            overdraft_limit_minor=overdraft_limit_minor,
        )
        is expected
    )


def test_a_later_credit_does_not_cover_an_earlier_payment() -> None:
    # Running balance 100 includes a credit of 80 dated later: only 20 is there on the day.
    assert lowest_balance_from(100, [80]) == 20
    # A later debit must still be met: 100 now, but 50 leaves on a later day.
    assert lowest_balance_from(100, [-50]) == 100
    assert lowest_balance_from(100, [80, -50]) == 70
    assert lowest_balance_from(100, []) == 100


@given(
    balance=st.integers(-(10**6), 10**6),
    later=st.lists(st.integers(-(10**6), 10**6), max_size=8),
)
def test_lowest_balance_from_is_the_minimum_of_each_days_balance(
    balance: int, later: list[int]
) -> None:
    # Brute force: the balance on the value date, then after each later movement.
    daily = [balance - sum(later)]
    for movement in later:
        daily.append(daily[-1] + movement)
    assert daily[-1] == balance
    assert lowest_balance_from(balance, later) == min(daily)
