"""Screening rules: small pure functions over a `PaymentContext`, each returning findings.

The rule set is empty until the compliance capability lands (capital-account negative list, BOP
codes, document thresholds, quotas); the pipeline already calls `screen` at its one place.
"""

from __future__ import annotations

from collections.abc import Callable

from compliance.model import Finding, PaymentContext

Rule = Callable[[PaymentContext], list[Finding]]

RULES: tuple[Rule, ...] = ()


def screen(context: PaymentContext, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Every finding of every rule, in rule order."""
    return [finding for rule in rules for finding in rule(context)]
