"""Full-coverage macro-prudential cross-border financing (regulation.md §2), pure.

Cap = capital base × leverage × μ; the risk-weighted balance weighs each outstanding debt by its
term (one year or less by the calendar: short) and adds an FX add-on; genuine trade credit and
liabilities under a filed group pool are excluded (§2.4). A contract is outstanding from its
drawdown date until its maturity date (repaid that day), less the repayments recorded by a date.
A facilitation quota (USD, certificate valid on the draw date) combines with the macro cap by the
configured rule. A new draw may not take the balance over the cap on any date of its life;
repayments always may, and a μ cut never forces one (§2.8 rule 6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DebtKind(StrEnum):
    """What a foreign-debt contract is."""

    LOAN = "loan"
    TRADE_CREDIT = "trade_credit"
    BOND = "bond"
    POOL_LIABILITY = "pool_liability"
    TRADE_FINANCE = "trade_finance"  # from an offshore bank: RMB excluded, FX counted (§2.4)


# §2.4: genuine trade credit and filed group-pool liabilities do not count.
EXCLUDED_KINDS = frozenset({DebtKind.TRADE_CREDIT, DebtKind.POOL_LIABILITY})


def weighs_nothing(kind: DebtKind, currency: str) -> bool:
    """§2.4: genuine trade credit, filed pool liabilities and RMB trade finance obtained from
    offshore banks are outside the risk-weighted balance."""
    return kind in EXCLUDED_KINDS or (kind is DebtKind.TRADE_FINANCE and currency == "CNY")


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def is_short_term(*, drawdown: date, maturity: date, years: int) -> bool:
    """One year or less by the calendar (§2.2: exactly one year counts as short): a loan of
    one year spanning 29 February (366 days) is short, a year and a day is not."""
    return maturity <= add_years(drawdown, years)


class Basis(StrEnum):
    """What a contract was admitted against: the macro-prudential cap or the facilitation
    quota of the entity's certificate (§2.6)."""

    MACRO_PRUDENTIAL = "macro_prudential"
    FACILITATION = "facilitation"


@dataclass(frozen=True)
class Contract:
    """A recorded contract: principal in its currency, its dates and repayments by date."""

    id: str
    kind: DebtKind
    currency: str
    amount: Decimal
    drawdown_date: date
    maturity_date: date
    repayments: tuple[tuple[date, Decimal], ...] = ()
    basis: Basis = Basis.MACRO_PRUDENTIAL

    def outstanding(self, on: date) -> Decimal:
        """Principal outstanding at the end of `on` (none before drawdown or from maturity)."""
        if not self.drawdown_date <= on < self.maturity_date:
            return Decimal(0)
        return self.amount - sum((a for d, a in self.repayments if d <= on), Decimal(0))

    def drawn(self, on: date) -> Decimal:
        """The principal drawn by `on` (投注差 counts mid/long-term drawdowns cumulatively)."""
        return self.amount if self.drawdown_date <= on else Decimal(0)


@dataclass(frozen=True)
class Weights:
    """The risk weights in force (cbf.term_factor, cbf.type_factor, cbf.fx_factor)."""

    term_short: Decimal
    term_long: Decimal
    on_balance_sheet: Decimal
    fx_factor: Decimal
    fi_fx_trade_finance: Decimal = Decimal(1)  # cbf.fi_fx_trade_finance_weight (institutions)


@dataclass(frozen=True)
class DebtBalance:
    """One contract's outstanding amount in CNY and what weighs it."""

    outstanding_cny: Decimal
    short_term: bool
    foreign_currency: bool
    kind: DebtKind


def term_factor(short_term: bool, weights: Weights) -> Decimal:
    """1.5 for a term of one year or less, 1 beyond (rule 2)."""
    return weights.term_short if short_term else weights.term_long


def weight(debt: DebtBalance, weights: Weights, *, institution: bool = False) -> Decimal:
    """The CNY-per-CNY weight of a contract: term × type, plus the FX add-on (rule 3); a
    financial institution's FX trade finance counts at `fi_fx_trade_finance` of it (§2.4)."""
    if weighs_nothing(debt.kind, "FX" if debt.foreign_currency else "CNY"):
        return Decimal(0)
    base = term_factor(debt.short_term, weights) * weights.on_balance_sheet
    full = base + (weights.fx_factor if debt.foreign_currency else Decimal(0))
    if institution and debt.kind is DebtKind.TRADE_FINANCE:
        return full * weights.fi_fx_trade_finance
    return full


def risk_weighted_balance(debts: Iterable[DebtBalance], weights: Weights) -> Decimal:
    """RWB = Σ outstanding × weight."""
    return sum((d.outstanding_cny * weight(d, weights) for d in debts), Decimal(0))


def macro_cap(*, net_assets: Decimal, leverage: Decimal, mu: Decimal) -> Decimal:
    """Cap = net assets × leverage × μ (rule 1: 3.5 × N from 2025-01-13 for an enterprise)."""
    return net_assets * leverage * mu


class CombineRule(StrEnum):
    """How the facilitation quota and the macro cap combine (facil.combine_rule)."""

    MAX = "max"
    SUM = "sum"


def effective_cap(*, macro: Decimal, facilitation: Decimal, rule: CombineRule) -> Decimal:
    """The cap a draw is checked against (§2.6, default max)."""
    return max(macro, facilitation) if rule is CombineRule.MAX else macro + facilitation


def certificate_valid(certificate: Mapping[str, object] | None, on: date) -> bool:
    """A facilitation certificate counts only while valid on the draw date (rule 9)."""
    if not certificate or not certificate.get("valid_until"):
        return False
    return date.fromisoformat(str(certificate["valid_until"])) >= on


@dataclass(frozen=True)
class Certificate:
    """A high-tech, SRDI (专精特新) or tech-SME recognition (§2.6): its kind, expiry, the SAFE
    branch area that counts for the regional quotas before 2025-09-15, and whether the firm was
    selected through the innovation-points scheme (创新积分制: the enhanced quota)."""

    kind: str
    valid_until: date
    area: str | None = None
    innovation_points: bool = False

    @classmethod
    def of(cls, stored: Mapping[str, object] | None) -> Certificate | None:
        """The certificate an entity record carries (None: none)."""
        if not stored or not stored.get("valid_until"):
            return None
        area = stored.get("area")
        return cls(
            kind=str(stored["kind"]),
            valid_until=date.fromisoformat(str(stored["valid_until"])),
            area=None if area is None else str(area),
            innovation_points=bool(stored.get("innovation_points", False)),
        )


@dataclass(frozen=True)
class QuotaRules:
    """The facilitation parameters in force on a date: the kinds eligible (facil.kinds), the
    national quota and its enhanced tier (facil.quota_usd, facil.quota_usd_enhanced, from
    2025-09-15), and before it the regional quotas by area, `*` for any other area."""

    kinds: tuple[str, ...]
    national: Decimal | None
    enhanced: Decimal | None
    regional: Mapping[str, Decimal]


def facilitation_quota_usd(certificate: Certificate, rules: QuotaRules) -> Decimal:
    """The USD quota a certificate gives under these rules (0: its kind or area has none)."""
    if certificate.kind not in rules.kinds:
        return Decimal(0)
    if rules.national is not None:
        if certificate.innovation_points and rules.enhanced is not None:
            return rules.enhanced
        return rules.national
    area = certificate.area or "*"
    return rules.regional.get(area, rules.regional.get("*", Decimal(0)))


def no_audited_base(*, net_assets: Decimal | None, established_on: date | None, on: date) -> bool:
    """Rule 8: younger than one year with no audited net assets (macro mode is then refused)."""
    if net_assets is not None:
        return False
    if established_on is None:
        return True
    return (on - established_on).days < 365


@dataclass(frozen=True)
class Headroom:
    """A cap, what is used (risk-weighted), and what is left (never below zero)."""

    cap: Decimal
    used: Decimal

    @property
    def headroom(self) -> Decimal:
        """cap − used, at least zero."""
        return max(self.cap - self.used, Decimal(0))

    def admits(self, additional: Decimal) -> bool:
        """True when a draw adding `additional` keeps the balance at or below the cap."""
        return self.used + additional <= self.cap


def investment_gap_used(debts: Iterable[tuple[Decimal, Decimal, bool]]) -> Decimal:
    """投注差 use: mid/long-term cumulative drawdowns + short-term balances (§2.5, [P]).

    Each item is (drawn CNY, outstanding CNY, short term?).
    """
    return sum(
        (outstanding if short else drawn for drawn, outstanding, short in debts),
        Decimal(0),
    )
