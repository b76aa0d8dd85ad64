"""Sweep planning: rules, minimum transfers, reservations, master funding, quota breaches."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.model import MemberTerms, SweepRule
from pooling.plan import BreachPolicy, Direction, LegStatus, MemberBalance, plan_sweep, total_change
from pooling.quotas import Quota, QuotaBook, QuotaKind, Side


def member(
    account: str,
    balance: int,
    *,
    target: int = 0,
    minimum: int = 0,
    spendable: int | None = None,
    cross_border: bool = False,
) -> MemberBalance:
    rule = SweepRule.TARGET_BALANCE if target else SweepRule.ZERO_BALANCE
    return MemberBalance(
        terms=MemberTerms(account, f"e-{account}", rule, target, minimum, None, None),
        balance_minor=balance,
        spendable_minor=balance if spendable is None else spendable,
        cross_border=cross_border,
    )


def test_zero_and_target_balance_rules_and_minimum_transfer() -> None:
    legs = plan_sweep(
        [
            member("a", 500),
            member("b", 300, target=100),
            member("c", 50, target=100),
            member("d", 9, minimum=10),
        ],
        master_spendable_minor=0,
        book=None,
        policy=BreachPolicy.CAP,
    )
    assert [(leg.account_id, leg.direction, leg.amount_minor) for leg in legs] == [
        ("a", Direction.TO_MASTER, 500),
        ("b", Direction.TO_MASTER, 200),
        ("c", Direction.FROM_MASTER, 50),
    ]
    assert total_change(legs) == 650


def test_reservations_stay_and_the_master_funds_outflows_in_order() -> None:
    legs = plan_sweep(
        [member("a", 500, spendable=200), member("b", -150), member("c", -100)],
        master_spendable_minor=0,
        book=None,
        policy=BreachPolicy.CAP,
    )
    assert [(leg.account_id, leg.status, leg.amount_minor) for leg in legs] == [
        ("a", LegStatus.CAPPED, 200),
        ("b", LegStatus.BOOKED, 150),
        ("c", LegStatus.CAPPED, 50),
    ]


def _book(limit: int) -> QuotaBook:
    quota = Quota(QuotaKind.FOREIGN_DEBT, Decimal(limit), Side.POOL_BORROWS, Decimal(2))
    return QuotaBook.single(quotas=(quota,), rate=Decimal(1), exponent=2)


def test_a_cross_border_leg_over_the_quota_is_capped_or_held_by_policy() -> None:
    members = [member("hk", 100_000, cross_border=True)]  # 1,000.00 would weigh 2,000
    (capped,) = plan_sweep(
        members, master_spendable_minor=0, book=_book(600), policy=BreachPolicy.CAP
    )
    assert (capped.status, capped.amount_minor, capped.breached) == (
        LegStatus.CAPPED,
        30_000,
        ("foreign_debt",),
    )
    assert capped.quota_effects == {QuotaKind.FOREIGN_DEBT: Decimal(600)}
    (held,) = plan_sweep(
        members, master_spendable_minor=0, book=_book(600), policy=BreachPolicy.HOLD
    )
    assert (held.status, held.amount_minor) == (LegStatus.HELD, 100_000)


balances = st.lists(
    st.tuples(st.integers(-(10**9), 10**9), st.integers(0, 10**6), st.booleans()),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(members=balances, master=st.integers(0, 10**9), limit=st.integers(0, 10**7))
def test_a_plan_conserves_money_keeps_funds_and_quotas(
    members: list[tuple[int, int, bool]], master: int, limit: int
) -> None:
    states = [
        member(f"m{index}", balance, target=target, cross_border=cross)
        for index, (balance, target, cross) in enumerate(members)
    ]
    book = _book(limit)
    legs = plan_sweep(states, master_spendable_minor=master, book=book, policy=BreachPolicy.CAP)
    by_account = {state.terms.account_id: state for state in states}
    change = 0
    for leg in legs:
        state = by_account[leg.account_id]
        assert 0 <= leg.amount_minor <= leg.requested_minor
        if leg.moves:
            change += leg.position_change
        if leg.direction is Direction.TO_MASTER:
            assert leg.amount_minor <= max(state.spendable_minor, 0)
            assert state.balance_minor - leg.amount_minor >= state.terms.target_minor
    # the pool's total is conserved: what the members give up the master receives
    assert change == total_change(legs)
    assert master + change >= 0
    assert book.used(QuotaKind.FOREIGN_DEBT) <= limit
