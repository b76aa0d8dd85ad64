"""Entities, counterparties and bank accounts as plain values, postal addresses, residency."""

from __future__ import annotations

from collections.abc import Mapping
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
    last_fx_penalty_on: date | None = None  # latest major FX violation or penalty (clean record)
    capital_payment_facilitation: bool = False  # 资本项目收入支付便利化 (regulation.md §3.3)
    independent_legal_person: bool = True  # a branch (分公司) is not; a 251 host must be (§1.2)
    address: dict[str, Any] | None = None

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
    branch_subdivision: str | None = None  # the province of the branch holding the account


@dataclass(frozen=True)
class RecordedLine:
    """A bank statement line as imported: what classifying it out of suspense reads."""

    id: str
    account_id: str
    bank_ref: str
    value_date: date
    amount_minor: int
    currency: str
    journal_entry_id: str | None  # its suspense entry (None: it confirmed a transfer)
    classified: bool


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


def in_house(*, debtor: BankAccount, creditor: BankAccount | None) -> bool:
    """Between two of the group's accounts at one bank with the same residency: a book transfer
    the bank makes itself, with no payment file (DESIGN §4.3 Pools: `BOOK`)."""
    return (
        creditor is not None
        and debtor.bank_bic is not None
        and debtor.bank_bic == creditor.bank_bic
        and debtor.resident == creditor.resident
    )


MAX_ADDRESS_LINES = 2
"""SR2026 hybrid address: town and country structured, at most two free lines."""

# Field → (ISO 20022 PostalAddress24 element, its maximum length), in the schema's order.
ADDRESS_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("street", "StrtNm", 70),
    ("building", "BldgNb", 16),
    ("postcode", "PstCd", 16),
    ("town", "TwnNm", 35),
    ("subdivision", "CtrySubDvsn", 35),
    ("country", "Ctry", 2),
)
ADDRESS_LINE_LENGTH = 70


@dataclass(frozen=True)
class PostalAddress:
    """A postal address as a payment file carries it (ISO 20022 PostalAddress24).

    Kept as a JSON document on entities, counterparties and inline creditors:
    `{street?, building?, postcode?, town, subdivision?, country, lines?}`. Older documents may
    hold only `lines`; they are read, and `problem` says why they cannot go into a file.
    """

    town: str | None = None
    country: str | None = None
    street: str | None = None
    building: str | None = None
    postcode: str | None = None
    subdivision: str | None = None
    lines: tuple[str, ...] = ()

    @classmethod
    def of(cls, document: Mapping[str, Any] | None) -> PostalAddress | None:
        """The address of a stored or sent document (None stays None)."""
        if document is None:
            return None
        fields = {name: _text(document.get(name)) for name, _, _ in ADDRESS_FIELDS}
        lines = tuple(str(line) for line in document.get("lines") or ())
        return cls(lines=lines, **fields)

    def to_document(self) -> dict[str, Any]:
        """The document as stored and shown (absent fields left out)."""
        document: dict[str, Any] = {
            name: getattr(self, name)
            for name, _, _ in ADDRESS_FIELDS
            if getattr(self, name) is not None
        }
        if self.lines:
            document["lines"] = list(self.lines)
        return document

    def elements(self) -> list[tuple[str, str]]:
        """(PostalAddress24 element, text) in schema order: StrtNm … Ctry, then AdrLine."""
        found = [
            (element, value)
            for name, element, _ in ADDRESS_FIELDS
            if (value := getattr(self, name)) is not None
        ]
        return found + [("AdrLine", line) for line in self.lines]

    def problem(self) -> str | None:
        """Why this address cannot go into a payment file under SR2026, or None."""
        missing = [name for name in ("town", "country") if not getattr(self, name)]
        if missing:
            lines = f" (only {len(self.lines)} address lines)" if self.lines else ""
            return (
                f"no {' and '.join(missing)}{lines}: unstructured addresses are rejected "
                "from SR2026"
            )
        if len(self.lines) > MAX_ADDRESS_LINES:
            return f"{len(self.lines)} address lines; at most {MAX_ADDRESS_LINES} are allowed"
        for name, _, limit in ADDRESS_FIELDS:
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                return f"{name} is longer than {limit} characters"
        if any(len(line) > ADDRESS_LINE_LENGTH or not line for line in self.lines):
            return f"an address line is empty or longer than {ADDRESS_LINE_LENGTH} characters"
        return None


def address_problem(document: Mapping[str, Any] | None) -> str | None:
    """Why a party's address (a stored document, or none) cannot go into a payment file."""
    address = PostalAddress.of(document)
    return "no address" if address is None else address.problem()


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
