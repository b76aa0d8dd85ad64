"""Pool quota maths (regulation.md §1.4, §1.5): limits, weights, and a book of balances.

Pure. All quotas are balance caps in CNY, checked at every leg: a leg may go ahead when, after it,
each quota's use is within its limit — or no higher than before (a repayment always restores
headroom at once, and a parameter cut never forces one, §1.5).

Quotas belong to the filing (issue 12): every pool filed under one `filing_ref` shares them, in
all its currencies. Positions are the offshore members' intercompany positions with the host, one
per member and currency, + when the member lends to the pool (the pool owes it: foreign debt), −
when it borrows (outbound lending).
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
    """One quota: its CNY limit, which side of the positions it weighs, and the weights of a CNY
    and of an FX position (an integrated pool is 本外币一体化: one quota across its currencies,
    FX balances weighing more, §1.4)."""

    kind: QuotaKind
    limit: Decimal
    side: Side
    weight: Decimal
    fx_weight: Decimal | None = None  # None: as a CNY position

    def term(self, position_cny: Decimal, *, foreign: bool = False) -> Decimal:
        """One member's contribution to the quota's use."""
        weight = self.fx_weight if foreign and self.fx_weight is not None else self.weight
        if self.side is Side.POOL_BORROWS:
            return max(position_cny, Decimal(0)) * weight
        if self.side is Side.POOL_LENDS:
            return max(-position_cny, Decimal(0)) * weight
        if self.side is Side.NET_IN:
            return position_cny * weight
        return -position_cny * weight


@dataclass(frozen=True)
class Holding:
    """A currency the filing's pools hold positions in: CNY per unit, minor units."""

    currency: str
    rate: Decimal
    exponent: int

    @property
    def foreign(self) -> bool:
        """True for an FX (non-CNY) currency."""
        return self.currency != "CNY"

    def cny(self, minor: int) -> Decimal:
        """An amount in minor units of this currency as CNY."""
        return Decimal(minor).scaleb(-self.exponent) * self.rate


Key = tuple[str, str]  # (currency, member entity)


@dataclass
class QuotaBook:
    """The quotas of one filing and the offshore positions they weigh, across its currencies.

    A position is a member entity's intercompany position in one currency (minor units);
    `home` is the currency of the pool being swept, the default of every method.
    """

    quotas: tuple[Quota, ...]
    holdings: dict[str, Holding]
    home: str
    positions: dict[Key, int] = field(default_factory=dict)
    _used: dict[QuotaKind, Decimal] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for quota in self.quotas:
            self._used[quota.kind] = sum(
                (self._term(quota, key, minor) for key, minor in self.positions.items()),
                Decimal(0),
            )

    @classmethod
    def single(
        cls,
        *,
        quotas: tuple[Quota, ...],
        rate: Decimal,
        exponent: int,
        currency: str = "CNY",
        positions: Mapping[str, int] | None = None,
    ) -> QuotaBook:
        """A book of one currency, positions by entity."""
        return cls(
            quotas=quotas,
            holdings={currency: Holding(currency, rate, exponent)},
            home=currency,
            positions={(currency, e): minor for e, minor in (positions or {}).items()},
        )

    def _term(self, quota: Quota, key: Key, minor: int) -> Decimal:
        holding = self.holdings[key[0]]
        return quota.term(holding.cny(minor), foreign=holding.foreign)

    def cny(self, minor: int, currency: str | None = None) -> Decimal:
        """An amount in minor units (of the home currency by default) as CNY."""
        return self.holdings[currency or self.home].cny(minor)

    def used(self, kind: QuotaKind) -> Decimal:
        """The quota's use over every position."""
        return self._used[kind]

    def _deltas(self, key: Key, change_minor: int) -> dict[QuotaKind, Decimal]:
        before = self.positions.get(key, 0)
        return {
            quota.kind: self._term(quota, key, before + change_minor)
            - self._term(quota, key, before)
            for quota in self.quotas
        }

    def allows(
        self, entity_id: str, change_minor: int, currency: str | None = None
    ) -> list[QuotaKind]:
        """The quotas a change of the member's position would breach ([] when none)."""
        deltas = self._deltas((currency or self.home, entity_id), change_minor)
        return [
            quota.kind
            for quota in self.quotas
            # a repayment, or no effect, is always allowed
            if deltas[quota.kind] > 0 and self.used(quota.kind) + deltas[quota.kind] > quota.limit
        ]

    def largest(self, entity_id: str, change_minor: int, currency: str | None = None) -> int:
        """The largest part of the change (same sign, in minor units) that breaches no quota.

        Each quota's use is monotone along one direction of change, so the allowed amounts form
        a prefix and a bisection over whole minor units finds its end exactly.
        """
        if not self.allows(entity_id, change_minor, currency):
            return change_minor
        sign = 1 if change_minor > 0 else -1
        low, high = 0, abs(change_minor)  # low allowed, high not
        while high - low > 1:
            middle = (low + high) // 2
            if not self.allows(entity_id, sign * middle, currency):
                low = middle
            else:
                high = middle
        return sign * low

    def apply(
        self, entity_id: str, change_minor: int, currency: str | None = None
    ) -> dict[QuotaKind, Decimal]:
        """Move the position; return each quota's change of use."""
        key = (currency or self.home, entity_id)
        changes = self._deltas(key, change_minor)
        self.positions[key] = self.positions.get(key, 0) + change_minor
        for kind, change in changes.items():
            self._used[kind] += change
        return changes


# The parameters `pool_quotas` reads, by regime (a report names the versions it used).
QUOTA_PARAMETERS = {
    "integrated_251": (
        "pool251.ol_leverage",
        "pool251.ol_coeff",
        "pool251.ccy_factor",
        "pool251.fd_leverage",
        "pool251.fd_param",
        "cbf.term_factor",
        "cbf.type_factor",
        "cbf.fx_factor",
    ),
    "rmb_279": ("pool279.k_in", "pool279.k_out"),
}


def pool_quotas(
    *,
    regime: str,
    host_equity: Decimal,
    host_is_finance_company: bool,
    concentration: Iterable[EquityShare],
    foreign_debt: Iterable[EquityShare],
    pooled: Iterable[EquityShare],
    parameters: Mapping[str, Decimal | None],
) -> tuple[Quota, ...]:
    """The quotas of a filing under its regime, from the parameters in force (each with the
    weight of a CNY and of an FX position)."""

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
        currency_factor = number("pool251.ccy_factor")
        return (
            Quota(
                QuotaKind.OUTBOUND_LENDING,
                ol_limit,
                Side.POOL_LENDS,
                outbound_lending_weight(foreign_currency=False, currency_factor=currency_factor),
                outbound_lending_weight(foreign_currency=True, currency_factor=currency_factor),
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
                fd_weight + number("cbf.fx_factor"),
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
