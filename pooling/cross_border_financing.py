"""Full-coverage macro-prudential cross-border financing (regulation.md §2), pure.

Cap = capital base × leverage × μ; the risk-weighted balance weighs each outstanding debt by its
term (≤ 365 days: short) and adds an FX add-on; genuine trade credit and liabilities under a filed
group pool are excluded (§2.4). A facilitation quota (USD, certificate valid on the draw date)
combines with the macro cap by the configured rule. A new draw may not take the balance over the
cap; repayments always may, and a μ cut never forces one (§2.8 rule 6).
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


# §2.4: genuine trade credit and filed group-pool liabilities do not count.
EXCLUDED_KINDS = frozenset({DebtKind.TRADE_CREDIT, DebtKind.POOL_LIABILITY})
SHORT_TERM_DAYS = 365  # exactly one year counts as short (§2.2)


@dataclass(frozen=True)
class Weights:
    """The risk weights in force (cbf.term_factor, cbf.type_factor, cbf.fx_factor)."""

    term_short: Decimal
    term_long: Decimal
    on_balance_sheet: Decimal
    fx_factor: Decimal


@dataclass(frozen=True)
class DebtBalance:
    """One contract's outstanding amount in CNY and what weighs it."""

    outstanding_cny: Decimal
    tenor_days: int
    foreign_currency: bool
    kind: DebtKind


def term_factor(tenor_days: int, weights: Weights) -> Decimal:
    """1.5 for a term of at most 365 days, 1 beyond (rule 2)."""
    return weights.term_short if tenor_days <= SHORT_TERM_DAYS else weights.term_long


def weight(debt: DebtBalance, weights: Weights) -> Decimal:
    """The CNY-per-CNY weight of a contract: term × type, plus the FX add-on (rule 3)."""
    if debt.kind in EXCLUDED_KINDS:
        return Decimal(0)
    base = term_factor(debt.tenor_days, weights) * weights.on_balance_sheet
    return base + (weights.fx_factor if debt.foreign_currency else Decimal(0))


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


def investment_gap_used(debts: Iterable[tuple[Decimal, Decimal, int]]) -> Decimal:
    """投注差 use: mid/long-term cumulative drawdowns + short-term balances (§2.5, [P]).

    Each item is (drawn CNY, outstanding CNY, tenor days).
    """
    return sum(
        (outstanding if tenor <= SHORT_TERM_DAYS else drawn for drawn, outstanding, tenor in debts),
        Decimal(0),
    )
