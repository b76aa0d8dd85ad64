"""Findings and the context a screening rule sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from treasury.accounts.model import BankAccount, Counterparty, LegalEntity
from treasury.money import Money
from treasury.refdata.model import BopCode, Parameter


class Severity(StrEnum):
    """What a finding does to a payment: block rejects, review holds, info only records."""

    BLOCK = "block"
    REVIEW = "review"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one payment, in English and Chinese, with the rule set's version."""

    rule: str
    severity: Severity
    message: str
    message_zh: str
    rule_version: str

    def to_document(self) -> dict[str, str]:
        """The finding as stored and shown."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "message_zh": self.message_zh,
            "rule_version": self.rule_version,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Finding:
        """A finding read back from storage."""
        return cls(
            rule=document["rule"],
            severity=Severity(document["severity"]),
            message=document["message"],
            message_zh=document["message_zh"],
            rule_version=document["rule_version"],
        )


@dataclass(frozen=True)
class PaymentContext:
    """Everything a rule may look at, assembled by the caller (transfer, sweep leg, review).

    `parameters` are those in force on the value date; `usd_equivalent` is the amount in USD at the
    reference rate of the value date (None when no rate is loaded); `bop_entry` is the code's row
    in the loaded table (None when absent); `facts` carry what only the caller knows, e.g.
    `debtor_is_pool_master`, `creditor_is_pool_master`, `petty_cash_month_to_date_usd`.
    """

    amount: Money
    purpose: str
    value_date: date
    debtor_account: BankAccount
    debtor_entity: LegalEntity
    crosses_border: bool
    outbound: bool
    bop_code: str | None
    references: dict[str, str]
    creditor_account: BankAccount | None = None
    creditor_entity: LegalEntity | None = None
    counterparty: Counterparty | None = None
    wealth_product_risk_rating: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    usd_equivalent: Decimal | None = None
    bop_entry: BopCode | None = None

    @property
    def direction(self) -> str:
        """The resident side's view: `payment` when money leaves a resident, else `receipt`."""
        return "payment" if self.debtor_account.resident else "receipt"

    @property
    def creditor_affiliated(self) -> bool:
        """A group account or an affiliated counterparty; an inline creditor never is."""
        if self.creditor_account is not None:
            return True
        return self.counterparty is not None and self.counterparty.affiliated


def worst(findings: list[Finding]) -> Severity | None:
    """The most severe finding's severity: block over review over info."""
    severities = {finding.severity for finding in findings}
    for severity in (Severity.BLOCK, Severity.REVIEW, Severity.INFO):
        if severity in severities:
            return severity
    return None


class ReviewStatus(StrEnum):
    """Where a review item stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # its transfer was cancelled: nothing left to decide


class ReviewKind(StrEnum):
    """`hold`: the transfer waits for the decision; `post_event`: a back-valued record to see."""

    HOLD = "hold"
    POST_EVENT = "post_event"


class Decision(StrEnum):
    """An officer's decision."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class ReviewState:
    """What the maker-checker rules need to know of a review item."""

    status: ReviewStatus
    required_approvals: int
    approved_by: tuple[str, ...]
    creator_token_id: str


class DecisionRefused(Exception):
    """A decision the maker-checker rules do not allow; `kind` says which family."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "conflict" | "forbidden"


def decide(state: ReviewState, *, officer_token_id: str, decision: Decision) -> ReviewStatus:
    """The status after this officer's decision (maker-checker, dual approval).

    Raises:
        DecisionRefused: the item is closed, the officer created the transfer, or already approved.
    """
    if state.status is not ReviewStatus.PENDING:
        raise DecisionRefused("conflict", f"the review is {state.status.value} already")
    if officer_token_id == state.creator_token_id:
        raise DecisionRefused("forbidden", "the transfer's creator may not decide on it")
    if officer_token_id in state.approved_by:
        raise DecisionRefused("conflict", "this officer has approved already; another must")
    if decision is Decision.REJECT:
        return ReviewStatus.REJECTED
    approvals = len(state.approved_by) + 1
    return ReviewStatus.APPROVED if approvals >= state.required_approvals else ReviewStatus.PENDING


@dataclass(frozen=True)
class CurrentAccountFlow:
    """A centralised current-account collection, payment or net settlement through a pool's
    master (经常项目集中收付 / 轧差净额结算, regulation.md §1.6) as the day's close sees it: the
    actual flow, and the net of its restored (还原) per-member records (None: none recorded)."""

    transfer_id: str
    amount: Money
    value_date: date
    restored_net: Decimal | None
