"""The cash-pool quota screening rule: a sweep leg over a quota is held (policy hold) or noted."""

from __future__ import annotations

import pytest

from compliance import rules
from compliance.model import Severity
from tests.unit.test_compliance_rules import GROUP_ACCOUNT, payment, verdicts
from treasury.accounts.model import AccountKind


def _leg(purpose: str, quota: dict[str, object] | None) -> list[tuple[str, Severity]]:
    facts: dict[str, object] = {"debtor_is_pool_master": True}
    if quota is not None:
        facts["pool_quota"] = quota
    context = payment(
        purpose,
        kind=AccountKind.POOL_MASTER,
        creditor_account=GROUP_ACCOUNT,
        references={"pool_filing": "F-1"},
        facts=facts,
    )
    return verdicts(rules.screen(context))


def test_a_breach_under_the_hold_policy_goes_to_review() -> None:
    found = _leg("cash_pool", {"breached": ["foreign_debt"], "policy": "hold", "requested": "1"})
    assert ("POOL_QUOTA_EXCEEDED", Severity.REVIEW) in found


def test_a_capped_leg_is_noted_not_held() -> None:
    found = _leg("cash_pool", {"breached": ["outbound_lending"], "policy": "cap", "requested": "9"})
    assert ("POOL_QUOTA_CAPPED", Severity.INFO) in found
    assert all(
        severity is not Severity.REVIEW for rule, severity in found if rule.startswith("POOL")
    )


@pytest.mark.parametrize(
    ("purpose", "quota"),
    [
        ("cash_pool", None),
        ("cash_pool", {"breached": [], "policy": "hold", "requested": "1"}),
        ("intercompany_loan", {"breached": ["foreign_debt"], "policy": "hold", "requested": "1"}),
    ],
)
def test_no_breach_or_no_pool_leg_no_finding(purpose: str, quota: dict[str, object] | None) -> None:
    assert not any(rule.startswith("POOL_QUOTA") for rule, _ in _leg(purpose, quota))
