"""The group view and the liquidity ladder as pure values and functions (no I/O, no clock).

Amounts are integer minor units of one currency until they are shown; a CNY equivalent is
converted once per group (or once per currency for the total) and rounded half-even to the fen,
so totals never carry a sum of rounded pieces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from treasury.money import Money, round_money

CNY = "CNY"


class GroupBy(StrEnum):
    """How the group view groups the bank accounts."""

    ENTITY = "entity"
    CURRENCY = "currency"
    BANK = "bank"
    COUNTRY = "country"


@dataclass(frozen=True, slots=True)
class AccountPosition:
    """One bank account as the group view sees it (balance by value date, held now)."""

    account_id: str
    entity_id: str
    entity_code: str
    entity_name: str
    country: str
    bank_bic: str | None
    currency: str
    balance_minor: int
    held_minor: int


@dataclass(frozen=True)
class RateUsed:
    """The reference rate that converts a currency to CNY: CNY per unit, its date, its age."""

    currency: str
    pair: str
    rate: Decimal
    rate_date: date | None
    stale: bool = False


@dataclass(frozen=True)
class Group:
    """The accounts of one key in one currency (a key spanning currencies has a group each)."""

    key: str
    label: str
    currency: str
    accounts: int
    balance: Money
    held: Money
    available: Money
    cny_equivalent: Money | None
    rate: RateUsed | None


@dataclass(frozen=True)
class KeyTotal:
    """A key's groups added up in CNY (None when a currency of it has no rate)."""

    key: str
    label: str
    cny_equivalent: Money | None


def key_of(position: AccountPosition, group_by: GroupBy) -> tuple[str, str]:
    """The group key of an account and a label for people."""
    if group_by is GroupBy.ENTITY:
        return position.entity_code, position.entity_name
    if group_by is GroupBy.CURRENCY:
        return position.currency, position.currency
    if group_by is GroupBy.BANK:
        bic = position.bank_bic or "-"
        return bic, bic if position.bank_bic else "no BIC · 无BIC"
    return position.country, position.country


def to_cny(money: Money, rate: RateUsed | None) -> Money | None:
    """The CNY equivalent at a reference rate, rounded half-even; None without a rate."""
    if money.currency.code == CNY:
        return money
    if rate is None:
        return None
    return round_money(money.amount * rate.rate, CNY)


@dataclass(frozen=True)
class Sums:
    """Accounts added up in one pass, in minor units: per (key, currency) the count, balance and
    held; per currency the balance; each key's label."""

    group_by: GroupBy
    groups: dict[tuple[str, str], list[int]]
    labels: dict[str, str]
    currency_totals: dict[str, int]


def sum_positions(positions: Iterable[AccountPosition], group_by: GroupBy) -> Sums:
    """One pass over the accounts (they may stream: nothing is kept per account)."""
    groups: dict[tuple[str, str], list[int]] = {}
    labels: dict[str, str] = {}
    totals: dict[str, int] = {}
    for position in positions:
        key, label = key_of(position, group_by)
        labels[key] = label
        found = groups.get((key, position.currency))
        if found is None:
            groups[(key, position.currency)] = [1, position.balance_minor, position.held_minor]
        else:
            found[0] += 1
            found[1] += position.balance_minor
            found[2] += position.held_minor
        totals[position.currency] = totals.get(position.currency, 0) + position.balance_minor
    return Sums(group_by, groups, labels, totals)


def group_positions(sums: Sums, rates: Mapping[str, RateUsed]) -> list[Group]:
    """The groups, sorted by key then currency, with their CNY equivalents."""
    result = []
    for (key, currency), (count, balance_minor, held_minor) in sorted(sums.groups.items()):
        balance = Money.from_minor(balance_minor, currency)
        rate = rates.get(currency)
        result.append(
            Group(
                key=key,
                label=sums.labels[key],
                currency=currency,
                accounts=count,
                balance=balance,
                held=Money.from_minor(held_minor, currency),
                available=Money.from_minor(balance_minor - held_minor, currency),
                cny_equivalent=to_cny(balance, rate),
                rate=rate,
            )
        )
    return result


def total_cny(
    totals: Mapping[str, int], rates: Mapping[str, RateUsed]
) -> tuple[Money, tuple[str, ...]]:
    """The CNY equivalent of every currency (each converted once), and the currencies left out
    for want of a rate."""
    total = Money.zero(CNY)
    missing = []
    for currency, minor in sorted(totals.items()):
        converted = to_cny(Money.from_minor(minor, currency), rates.get(currency))
        if converted is None:
            missing.append(currency)
        else:
            total = total + converted
    return total, tuple(missing)


def key_totals(groups: Sequence[Group]) -> list[KeyTotal]:
    """Each key's groups in CNY, largest first (for the chart)."""
    found: dict[str, KeyTotal] = {}
    for group in groups:
        known = found.get(group.key)
        if known is None:
            found[group.key] = KeyTotal(group.key, group.label, group.cny_equivalent)
        elif known.cny_equivalent is None or group.cny_equivalent is None:
            found[group.key] = KeyTotal(group.key, group.label, None)
        else:
            found[group.key] = KeyTotal(
                group.key, group.label, known.cny_equivalent + group.cny_equivalent
            )
    return sorted(
        found.values(),
        key=lambda k: (k.cny_equivalent is None, -(k.cny_equivalent or Money.zero(CNY)).amount),
    )


# The liquidity ladder ------------------------------------------------------------------------


class FlowSource(StrEnum):
    """Where a ladder's flow comes from."""

    BOOKED = "booked"  # ledger movements on bank accounts valued that day (booked transfers …)
    HELD = "held"  # transfers held for review, valued that day (or overdue: the first day)
    SWEEP = "sweep_forecast"  # the legs each pool's next sweep would post now
    # live hedges settling at maturity (delivery or net value), and net gains expected from the
    # dealing banks
    HEDGE = "hedge_settlement"


@dataclass(frozen=True)
class Flow:
    """Money into and out of the group's bank accounts in one currency on one day."""

    day: date
    currency: str
    inflow_minor: int
    outflow_minor: int
    source: FlowSource


@dataclass(frozen=True)
class LadderRow:
    """One currency on one day: opening + inflows − outflows = closing (= next opening)."""

    day: date
    currency: str
    business_day: bool
    opening: Money
    inflows: Money
    outflows: Money
    closing: Money
    by_source: dict[FlowSource, tuple[Money, Money]] = field(default_factory=dict)


def ladder_days(first: date, count: int) -> list[date]:
    """`count` calendar days from `first`."""
    return [date.fromordinal(first.toordinal() + offset) for offset in range(count)]


def build_ladder(
    days: Sequence[date],
    openings: Mapping[str, int],
    flows: Iterable[Flow],
    business_days: frozenset[date],
) -> list[LadderRow]:
    """Each currency's days in order, each opening at the previous day's closing.

    Flows dated before the first day count on the first day; flows after the last are dropped.
    """
    if not days:
        return []
    first, last = days[0], days[-1]
    moves: dict[tuple[str, date, FlowSource], list[int]] = defaultdict(lambda: [0, 0])
    for flow in flows:
        if flow.day > last:
            continue
        day = max(flow.day, first)
        both = moves[(flow.currency, day, flow.source)]
        both[0] += flow.inflow_minor
        both[1] += flow.outflow_minor
    currencies = sorted(set(openings) | {currency for currency, _, _ in moves})
    rows = []
    for currency in currencies:
        running = openings.get(currency, 0)
        for day in days:
            sources = {
                source: moves[(currency, day, source)]
                for source in FlowSource
                if (currency, day, source) in moves
            }
            inflow = sum(both[0] for both in sources.values())
            outflow = sum(both[1] for both in sources.values())
            closing = running + inflow - outflow
            rows.append(
                LadderRow(
                    day=day,
                    currency=currency,
                    business_day=day in business_days,
                    opening=Money.from_minor(running, currency),
                    inflows=Money.from_minor(inflow, currency),
                    outflows=Money.from_minor(outflow, currency),
                    closing=Money.from_minor(closing, currency),
                    by_source={
                        source: (
                            Money.from_minor(both[0], currency),
                            Money.from_minor(both[1], currency),
                        )
                        for source, both in sources.items()
                    },
                )
            )
            running = closing
    return rows
