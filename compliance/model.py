"""Findings and the context a screening rule sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from treasury.accounts.model import BankAccount, Counterparty, LegalEntity
from treasury.money import Money


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
    """Everything a rule may look at, assembled by the caller (transfer, sweep leg, review)."""

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


def worst(findings: list[Finding]) -> Severity | None:
    """The most severe finding's severity: block over review over info."""
    severities = {finding.severity for finding in findings}
    for severity in (Severity.BLOCK, Severity.REVIEW, Severity.INFO):
        if severity in severities:
            return severity
    return None
