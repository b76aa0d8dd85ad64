"""Pool quota maths (regulation.md §1.4, §1.5): limits, weights, and a book of balances.

Pure. All quotas are balance caps in CNY, checked at every leg: a leg may go ahead when, after it,
each quota's use is within its limit — or no higher than before (a repayment always restores
headroom at once, and a parameter cut never forces one, §1.5).

Positions are the offshore members' intercompany positions with the pool, + when the member lends
to the pool (the pool owes it: foreign debt), − when it borrows (outbound lending).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from treasury.errors import ParameterMissing


class QuotaKind(StrEnum):
    """The quotas DESIGN §4.3 reports (net_outflow only when `pool279.k_out` is set)."""

    OUTBOUND_LENDING = "outbound_lending"
    FOREIGN_DEBT = "foreign_debt"
    NET_INFLOW = "net_inflow"
    NET_OUTFLOW = "net_outflow"


@dataclass(frozen=True)
class EquityShare:
    """An onshore entity's audited owners' equity (CNY) and the ratio it brings to the pool."""

    equity: Decimal
    ratio: Decimal


def outbound_lending_quota(
    *, host_equity: Decimal, members: Iterable[EquityShare], leverage: Decimal, coefficient: Decimal
) -> Decimal:
    """OL_quota = (E_host + Σ E_i × r_i) × L_ol × k_ol (251 §9)."""
    return (host_equity + sum((m.equity * m.ratio for m in members), Decimal(0))) * (
        leverage * coefficient
    )


def foreign_debt_quota(
    *, host_equity: Decimal, members: Iterable[EquityShare], leverage: Decimal, mu: Decimal
) -> Decimal:
    """FD_quota = (E_host + Σ E_i × s_i) × L_cb × μ (251 §8, inferred [I])."""
    return (host_equity + sum((m.equity * m.ratio for m in members), Decimal(0))) * (leverage * mu)


def pooled_equity(entities: Iterable[EquityShare]) -> Decimal:
    """279's 应计所有者权益: Σ onshore equity × the group's shareholding ratio."""
    return sum((e.equity * e.ratio for e in entities), Decimal(0))


def outbound_lending_weight(*, foreign_currency: bool, currency_factor: Decimal) -> Decimal:
    """A CNY loan uses 1× its value; an FX loan 1 + f_ccy (rule 7)."""
    return Decimal(1) + currency_factor if foreign_currency else Decimal(1)


def max_at_weight(headroom: Decimal, weight: Decimal) -> Decimal:
    """The largest new amount a headroom allows at a weight (0 when none is left)."""
    return max(Decimal(0), headroom) / weight


class Side(StrEnum):
    """Which part of an offshore position a quota measures."""

    POOL_BORROWS = "pool_borrows"  # max(p, 0): foreign debt
    POOL_LENDS = "pool_lends"  # max(−p, 0): outbound lending
    NET_IN = "net_in"  # Σ p: 279 net inflow
    NET_OUT = "net_out"  # Σ −p: 279 net outflow


@dataclass(frozen=True)
class Quota:
    """One quota: its CNY limit, which side of the positions it weighs, and the weight."""

    kind: QuotaKind
    limit: Decimal
    side: Side
    weight: Decimal

    def term(self, position_cny: Decimal) -> Decimal:
        """One member's contribution to the quota's use."""
        if self.side is Side.POOL_BORROWS:
            return max(position_cny, Decimal(0)) * self.weight
        if self.side is Side.POOL_LENDS:
            return max(-position_cny, Decimal(0)) * self.weight
        if self.side is Side.NET_IN:
            return position_cny * self.weight
        return -position_cny * self.weight


@dataclass
class QuotaBook:
    """The quotas of one pool and the offshore positions (pool-currency minor units) they weigh.

    `rate` converts one pool-currency unit to CNY; `exponent` is the pool currency's minor units.
    """

    quotas: tuple[Quota, ...]
    rate: Decimal
    exponent: int
    positions: dict[str, int] = field(default_factory=dict)
    _used: dict[QuotaKind, Decimal] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for quota in self.quotas:
            self._used[quota.kind] = sum(
                (quota.term(self.cny(p)) for p in self.positions.values()), Decimal(0)
            )

    def cny(self, minor: int) -> Decimal:
        """A pool-currency amount in minor units as CNY."""
        return Decimal(minor).scaleb(-self.exponent) * self.rate

    def used(self, kind: QuotaKind) -> Decimal:
        """The quota's use over every position."""
        return self._used[kind]

    def usage(self) -> dict[QuotaKind, Decimal]:
        """Each quota's use."""
        return dict(self._used)

    def allows(self, account_id: str, change_minor: int) -> list[QuotaKind]:
        """The quotas a change of the member's position would breach ([] when none)."""
        before = self.positions.get(account_id, 0)
        old, new = self.cny(before), self.cny(before + change_minor)
        breached = []
        for quota in self.quotas:
            delta = quota.term(new) - quota.term(old)
            if delta <= 0:
                continue  # a repayment, or no effect: always allowed
            if self.used(quota.kind) + delta > quota.limit:
                breached.append(quota.kind)
        return breached

    def largest(self, account_id: str, change_minor: int) -> int:
        """The largest part of the change (same sign, in minor units) that breaches no quota.

        Each quota's use is monotone along one direction of change, so the allowed amounts form
        a prefix and a bisection over whole minor units finds its end exactly.
        """
        if not self.allows(account_id, change_minor):
            return change_minor
        sign = 1 if change_minor > 0 else -1
        low, high = 0, abs(change_minor)  # low allowed, high not
        while high - low > 1:
            middle = (low + high) // 2
            if not self.allows(account_id, sign * middle):
                low = middle
            else:
                high = middle
        return sign * low

    def apply(self, account_id: str, change_minor: int) -> dict[QuotaKind, Decimal]:
        """Move the position; return each quota's change of use."""
        before = self.positions.get(account_id, 0)
        old, new = self.cny(before), self.cny(before + change_minor)
        self.positions[account_id] = before + change_minor
        changes = {}
        for quota in self.quotas:
            changes[quota.kind] = quota.term(new) - quota.term(old)
            self._used[quota.kind] += changes[quota.kind]
        return changes


def pool_quotas(
    *,
    regime: str,
    host_equity: Decimal,
    host_is_finance_company: bool,
    concentration: Iterable[EquityShare],
    foreign_debt: Iterable[EquityShare],
    pooled: Iterable[EquityShare],
    foreign_currency: bool,
    parameters: Mapping[str, Decimal | None],
) -> tuple[Quota, ...]:
    """The quotas of a pool under its regime, from the parameters in force."""

    def number(name: str) -> Decimal:
        value = parameters.get(name)
        if value is None:
            raise ParameterMissing(f"parameter {name} has no value in force")
        return value

    if regime == "integrated_251":
        ol_limit = (
            Decimal(0)
            if host_is_finance_company  # rule 8: a finance-company host does not concentrate OL
            else outbound_lending_quota(
                host_equity=host_equity,
                members=concentration,
                leverage=number("pool251.ol_leverage"),
                coefficient=number("pool251.ol_coeff"),
            )
        )
        fd_weight = number("cbf.term_factor.short") * number("cbf.type_factor.on_balance_sheet")
        if foreign_currency:
            fd_weight += number("cbf.fx_factor")
        return (
            Quota(
                QuotaKind.OUTBOUND_LENDING,
                ol_limit,
                Side.POOL_LENDS,
                outbound_lending_weight(
                    foreign_currency=foreign_currency,
                    currency_factor=number("pool251.ccy_factor"),
                ),
            ),
            Quota(
                QuotaKind.FOREIGN_DEBT,
                foreign_debt_quota(
                    host_equity=host_equity,
                    members=foreign_debt,
                    leverage=number("pool251.fd_leverage"),
                    mu=number("pool251.fd_param"),
                ),
                Side.POOL_BORROWS,
                fd_weight,
            ),
        )
    if regime == "rmb_279":
        equity = pooled_equity(pooled)
        quotas = [
            Quota(QuotaKind.NET_INFLOW, equity * number("pool279.k_in"), Side.NET_IN, Decimal(1))
        ]
        k_out = parameters.get("pool279.k_out")
        if k_out is not None:
            quotas.append(Quota(QuotaKind.NET_OUTFLOW, equity * k_out, Side.NET_OUT, Decimal(1)))
        return tuple(quotas)
    return ()
