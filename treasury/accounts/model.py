"""Entities, counterparties and bank accounts as plain values, and the residency rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from treasury.money import Money

ONSHORE_COUNTRY = "CN"


class EntityKind(StrEnum):
    """What kind of legal entity (some are excluded from pools or the negative list)."""

    ENTERPRISE = "enterprise"
    FINANCE_COMPANY = "finance_company"
    REAL_ESTATE = "real_estate"
    LGFV = "lgfv"
    FINANCIAL_INSTITUTION = "financial_institution"


class AccountKind(StrEnum):
    """Bank account kinds; capital-account income sits in the four restricted kinds."""

    CURRENT = "current"
    CAPITAL = "capital"
    FOREIGN_DEBT = "foreign_debt"
    CAPITAL_SETTLEMENT = "capital_settlement"
    LISTING_PROCEEDS = "listing_proceeds"
    NRA = "nra"
    POOL_MASTER = "pool_master"


CAPITAL_ACCOUNT_INCOME_KINDS = frozenset(
    {
        AccountKind.CAPITAL,
        AccountKind.FOREIGN_DEBT,
        AccountKind.CAPITAL_SETTLEMENT,
        AccountKind.LISTING_PROCEEDS,
    }
)


class CrossBorderDebtMode(StrEnum):
    """How an entity's foreign debt is capped."""

    MACRO_PRUDENTIAL = "macro_prudential"
    INVESTMENT_GAP = "investment_gap"


@dataclass(frozen=True)
class LegalEntity:
    """A member of the group."""

    id: str
    code: str
    name: str
    country: str
    kind: EntityKind
    trade_fx_class: str
    owners_equity: Money | None
    net_assets: Money | None
    lending_in_business_scope: bool
    quality_enterprise: bool
    established_on: date | None
    prior_year_revenue: Money | None
    prior_year_cross_border_volume: Money | None
    parent_entity_id: str | None
    cross_border_debt_mode: CrossBorderDebtMode
    facilitation_certificate: dict[str, Any] | None
    shareholding_ratio: Decimal
    total_investment: Money | None
    uscc: str | None
    lei: str | None
    registered_capital: Money | None = None  # 注册资本, for 投注差 (total investment − this)

    @property
    def onshore(self) -> bool:
        """True for a mainland-China entity."""
        return self.country == ONSHORE_COUNTRY


@dataclass(frozen=True)
class Counterparty:
    """A party outside the group, kept as master data; affiliation is set by admins or officers."""

    id: str
    name: str
    country: str
    bank_bic: str | None
    account: str | None
    address: dict[str, Any] | None
    affiliated: bool
    lei: str | None

    @property
    def resident(self) -> bool:
        """A counterparty is resident when its country is CN."""
        return self.country == ONSHORE_COUNTRY


@dataclass(frozen=True)
class BankAccount:
    """A bank account of one entity, in one currency."""

    id: str
    entity_id: str
    currency: str
    kind: AccountKind
    bank_bic: str | None
    number: str
    overdraft_limit: Money
    resident: bool


def market_of(account: BankAccount) -> str:
    """The market an account's money is in: CNY held at a bank outside the mainland is CNH.

    ISO 4217 has no CNH, so the ledger and every message carry CNY (DESIGN §4.2); the market is
    shown beside it so offshore RMB is never hidden behind a bare CNY (settlement.md §3).
    """
    if account.currency != "CNY":
        return account.currency
    offshore = (
        account.bank_bic[4:6] != ONSHORE_COUNTRY if account.bank_bic else not account.resident
    )
    return "CNH" if offshore else "CNY"


def account_is_resident(*, entity_country: str, kind: AccountKind) -> bool:
    """DESIGN §4.2: resident when the entity is in CN and the account is not an NRA account."""
    return entity_country == ONSHORE_COUNTRY and kind is not AccountKind.NRA


def crosses_border(*, debtor_resident: bool, creditor_resident: bool) -> bool:
    """A transfer crosses the border when exactly one side is resident."""
    return debtor_resident != creditor_resident
