"""Transfers as values: the request, its outcome, and the pure decisions of the pipeline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from compliance.model import Finding, Severity
from treasury.money import Money

BOP_CODE_PATTERN = re.compile(r"^[0-9]{6}$")


class TransferStatus(StrEnum):
    """Where a transfer stands."""

    BOOKED = "booked"
    HELD = "held"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    SETTLED = "settled"
    RETURNED = "returned"
    CANCELLED = "cancelled"


# The state of a transfer row inside the unit of work that creates it, before its first outcome.
NEW = "new"

# Every move a transfer may make, and the only place that says so: the pipeline's outcome of a
# new transfer, an officer's decision on a held one, the bank's reports and statements on a
# booked one. A state not listed as a key (or listed with nothing) is final.
TRANSITIONS: dict[str, frozenset[TransferStatus]] = {
    NEW: frozenset({TransferStatus.BOOKED, TransferStatus.HELD, TransferStatus.REJECTED}),
    TransferStatus.HELD.value: frozenset(
        {TransferStatus.BOOKED, TransferStatus.REJECTED, TransferStatus.CANCELLED}
    ),
    # Cancelled only while the bank has not accepted its payment file (DESIGN §4.4).
    TransferStatus.BOOKED.value: frozenset(
        {
            TransferStatus.ACCEPTED,
            TransferStatus.SETTLED,
            TransferStatus.RETURNED,
            TransferStatus.CANCELLED,
        }
    ),
    TransferStatus.ACCEPTED.value: frozenset({TransferStatus.SETTLED, TransferStatus.RETURNED}),
}


def may_move(current: str, target: TransferStatus) -> bool:
    """True when a transfer in state `current` may move to `target`."""
    return target in TRANSITIONS.get(current, frozenset())


class Purpose(StrEnum):
    """Why money moves (drives the compliance rules)."""

    GOODS_TRADE = "goods_trade"
    SERVICES_TRADE = "services_trade"
    INCOME = "income"
    CURRENT_TRANSFER = "current_transfer"
    INTERCOMPANY_LOAN = "intercompany_loan"
    LOAN = "loan"
    LOAN_REPAYMENT = "loan_repayment"
    SECURITIES_INVESTMENT = "securities_investment"
    WEALTH_PRODUCT = "wealth_product"
    STRUCTURED_DEPOSIT = "structured_deposit"
    DOMESTIC_EQUITY_INVESTMENT = "domestic_equity_investment"
    REAL_ESTATE = "real_estate"
    CAPITAL_INJECTION = "capital_injection"
    PETTY_CASH = "petty_cash"
    CASH_POOL = "cash_pool"
    OTHER = "other"


@dataclass(frozen=True)
class FxQuote:
    """A rate as the market quotes it: units of the pair's second currency per unit of its first
    (`USDCNY 7.10`), whichever way the transfer converts."""

    pair: str
    rate: Decimal

    @property
    def currencies(self) -> tuple[str, str]:
        """Base and quote currency, offshore RMB (CNH) read as CNY like everywhere else."""
        return _onshore(self.pair[:3]), _onshore(self.pair[3:])

    def rate_for(self, *, debtor: str, creditor: str) -> Decimal | None:
        """Creditor-currency units per debtor-currency unit; None when the pair is not these two
        currencies."""
        base, quote = self.currencies
        if (base, quote) == (debtor, creditor):
            return self.rate
        if (base, quote) == (creditor, debtor):
            return 1 / self.rate
        return None


def _onshore(currency: str) -> str:
    return "CNY" if currency == "CNH" else currency


@dataclass(frozen=True)
class TransferRequest:
    """A treasurer's instruction, validated for shape by the caller."""

    debtor_account_id: str
    amount: Money
    value_date: date
    purpose: Purpose
    creditor_account_id: str | None = None
    counterparty_id: str | None = None
    creditor: dict[str, Any] | None = None
    fx_rate: Decimal | None = None
    bop_code: str | None = None
    wealth_product_risk_rating: int | None = None
    references: dict[str, str] = field(default_factory=dict)
    remark: str | None = None
    fx_quote: FxQuote | None = None  # instead of fx_rate, in market convention


@dataclass(frozen=True)
class Transfer:
    """A transfer on record, whatever its outcome."""

    id: str
    status: TransferStatus
    debtor_account_id: str
    creditor_account_id: str | None
    counterparty_id: str | None
    creditor: dict[str, Any] | None
    amount: Money
    creditor_amount: Money | None
    fx_rate: Decimal | None
    requested_value_date: date
    value_date: date | None
    purpose: Purpose
    bop_code: str | None
    wealth_product_risk_rating: int | None
    references: dict[str, str]
    remark: str | None
    crosses_border: bool
    back_valued: bool
    findings: tuple[Finding, ...]
    route: dict[str, Any] | None
    journal_id: str | None
    review_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    market: str | None = None  # CNH for offshore RMB (the amount itself carries CNY)
    fx_quote: FxQuote | None = None
    cancellation: Cancellation | None = None


@dataclass(frozen=True)
class Cancellation:
    """Who cancelled a transfer, when and why, and the entry that reversed its booking."""

    reason: str
    cancelled_by: str
    cancelled_at: datetime
    reversal_entry_id: str | None


INSUFFICIENT_FUNDS_RULE = "INSUFFICIENT_FUNDS"


def insufficient_funds_finding(*, amount: Money, available: Money) -> Finding:
    """The finding that rejects a transfer beyond balance plus overdraft."""
    return Finding(
        rule=INSUFFICIENT_FUNDS_RULE,
        severity=Severity.BLOCK,
        message=(
            f"{amount} exceeds the available {available} (balance less reservations plus overdraft)"
        ),
        message_zh=f"{amount} 超过可用余额 {available}（余额减预留加透支额度）",
        rule_version="ledger-1",
    )


def overdrawn_record_finding(*, amount: Money, available: Money) -> Finding:
    """A back-valued record the bank already paid beyond what was available: booked, reviewed.

    The ledger must show what the bank did (DESIGN §4.4), so the record is never refused; an
    officer looks at why the account went below its limit.
    """
    return Finding(
        rule=INSUFFICIENT_FUNDS_RULE,
        severity=Severity.REVIEW,
        message=(
            f"the bank paid {amount} against an available {available}: the account is overdrawn "
            "beyond its limit"
        ),
        message_zh=f"银行已付 {amount}，可用余额仅 {available}：账户超出透支额度",
        rule_version="ledger-1",
    )


def request_of(transfer: Transfer) -> TransferRequest:
    """The instruction a recorded transfer was made from (to run it on after a review)."""
    return TransferRequest(
        debtor_account_id=transfer.debtor_account_id,
        amount=transfer.amount,
        value_date=transfer.requested_value_date,
        purpose=transfer.purpose,
        creditor_account_id=transfer.creditor_account_id,
        counterparty_id=transfer.counterparty_id,
        creditor=transfer.creditor,
        # A quoted rate is kept as quoted; the pipeline derives the rate from it again.
        fx_rate=None if transfer.fx_quote is not None else transfer.fx_rate,
        fx_quote=transfer.fx_quote,
        bop_code=transfer.bop_code,
        wealth_product_risk_rating=transfer.wealth_product_risk_rating,
        references=dict(transfer.references),
        remark=transfer.remark,
    )
