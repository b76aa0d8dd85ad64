"""Full-coverage cross-border financing: worked examples of regulation.md §2.7, rules of §2.8."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from pooling.cross_border_financing import (
    CombineRule,
    Contract,
    DebtBalance,
    DebtKind,
    Headroom,
    Weights,
    certificate_valid,
    effective_cap,
    investment_gap_used,
    is_short_term,
    macro_cap,
    no_audited_base,
    risk_weighted_balance,
    term_factor,
    weight,
)

WEIGHTS = Weights(
    term_short=Decimal("1.5"),
    term_long=Decimal(1),
    on_balance_sheet=Decimal(1),
    fx_factor=Decimal("0.5"),
)


def debt(amount: str, days: int, *, fx: bool, kind: DebtKind = DebtKind.LOAN) -> DebtBalance:
    start = date(2026, 1, 5)
    short = is_short_term(drawdown=start, maturity=start + timedelta(days=days), years=1)
    return DebtBalance(Decimal(amount), short, fx, kind)


def test_example_1_caps_under_the_current_and_the_previous_mu() -> None:
    assert macro_cap(net_assets=Decimal(500), leverage=Decimal(2), mu=Decimal("1.75")) == 1750
    assert macro_cap(net_assets=Decimal(500), leverage=Decimal(2), mu=Decimal("1.5")) == 1500


def test_example_1_risk_weighted_balance_step_by_step() -> None:
    existing = [debt("355", 3 * 365, fx=True)]
    assert risk_weighted_balance(existing, WEIGHTS) == Decimal("532.5")
    with_rmb = [*existing, debt("400", 182, fx=False)]
    assert risk_weighted_balance(with_rmb, WEIGHTS) == Decimal("1132.5")
    headroom = Headroom(cap=Decimal(1750), used=Decimal("532.5"))
    assert headroom.admits(Decimal(600))
    after = Headroom(cap=Decimal(1750), used=Decimal("1132.5"))
    usd_700 = debt("700", 182, fx=True)
    assert weight(usd_700, WEIGHTS) * 700 == 1400
    assert not after.admits(Decimal(1400))
    assert after.headroom / weight(usd_700, WEIGHTS) == Decimal("308.75")
    assert after.admits(Decimal("308.75") * 2)
    assert not after.admits(Decimal("308.76") * 2)


def test_example_2_facilitation_quota_with_the_max_rule() -> None:
    macro = macro_cap(net_assets=Decimal(10), leverage=Decimal(2), mu=Decimal("1.75"))
    assert macro == 35
    facilitation = Decimal(10) * Decimal("7.1")
    assert effective_cap(macro=macro, facilitation=facilitation, rule=CombineRule.MAX) == 71
    assert effective_cap(macro=macro, facilitation=facilitation, rule=CombineRule.SUM) == 106


def test_rule_1_cap_multiple_by_date() -> None:
    net = Decimal(100)
    assert macro_cap(net_assets=net, leverage=Decimal(2), mu=Decimal("1.75")) == 3 * net + net / 2
    assert macro_cap(net_assets=net, leverage=Decimal(2), mu=Decimal("1.5")) == 3 * net


@pytest.mark.parametrize(("days", "factor"), [(365, Decimal("1.5")), (366, Decimal(1))])
def test_rule_2_exactly_one_year_is_short(days: int, factor: Decimal) -> None:
    assert weight(debt("1", days, fx=False), WEIGHTS) == factor


@pytest.mark.parametrize(
    ("drawdown", "maturity", "short"),
    [
        (date(2027, 3, 1), date(2028, 3, 1), True),  # 366 days across 29 February: one year
        (date(2027, 3, 1), date(2028, 3, 2), False),
        (date(2028, 2, 29), date(2029, 2, 28), True),  # one year from 29 February
        (date(2028, 2, 29), date(2029, 3, 1), False),
        (date(2026, 1, 5), date(2028, 1, 5), False),
    ],
)
def test_one_year_or_less_by_the_calendar(drawdown: date, maturity: date, short: bool) -> None:
    assert is_short_term(drawdown=drawdown, maturity=maturity, years=1) is short
    assert term_factor(short, WEIGHTS) == (Decimal("1.5") if short else Decimal(1))


def test_a_contract_is_outstanding_from_drawdown_until_maturity_less_repayments() -> None:
    contract = Contract(
        "c",
        DebtKind.LOAN,
        "CNY",
        Decimal(100),
        date(2026, 12, 1),
        date(2027, 6, 1),
        ((date(2026, 12, 10), Decimal(30)),),
    )
    assert contract.outstanding(date(2026, 11, 30)) == 0
    assert contract.outstanding(date(2026, 12, 1)) == 100
    assert contract.outstanding(date(2026, 12, 10)) == 70
    assert contract.outstanding(date(2027, 5, 31)) == 70
    assert contract.outstanding(date(2027, 6, 1)) == 0  # repaid at maturity
    assert contract.drawn(date(2027, 6, 1)) == 100


def test_rule_3_fx_add_on() -> None:
    assert weight(debt("1", 400, fx=True), WEIGHTS) == Decimal("1.5")
    assert weight(debt("1", 400, fx=False), WEIGHTS) == Decimal(1)


def test_rules_4_and_5_trade_credit_and_pool_liabilities_weigh_nothing() -> None:
    assert weight(debt("9", 90, fx=True, kind=DebtKind.TRADE_CREDIT), WEIGHTS) == 0
    assert weight(debt("9", 90, fx=True, kind=DebtKind.POOL_LIABILITY), WEIGHTS) == 0
    assert weight(debt("9", 90, fx=True, kind=DebtKind.BOND), WEIGHTS) == 2


def test_rule_6_a_mu_cut_blocks_new_draws_but_forces_no_repayment() -> None:
    used = Decimal(1600)
    cut = Headroom(
        cap=macro_cap(net_assets=Decimal(500), leverage=Decimal(2), mu=Decimal(1)), used=used
    )
    assert cut.headroom == 0
    assert not cut.admits(Decimal("0.01"))


def test_rule_8_young_entity_without_audited_net_assets() -> None:
    on = date(2026, 11, 26)
    assert no_audited_base(net_assets=None, established_on=date(2026, 3, 1), on=on)
    assert not no_audited_base(net_assets=Decimal(1), established_on=date(2026, 3, 1), on=on)
    assert not no_audited_base(net_assets=None, established_on=date(2020, 1, 1), on=on)


def test_rule_9_certificate_valid_on_the_draw_date_only() -> None:
    certificate = {"kind": "high_tech", "valid_until": "2026-12-31"}
    assert certificate_valid(certificate, date(2026, 12, 31))
    assert not certificate_valid(certificate, date(2027, 1, 1))
    assert not certificate_valid(None, date(2026, 1, 1))


def test_investment_gap_counts_long_term_drawdowns_and_short_term_balances() -> None:
    used = investment_gap_used(
        [(Decimal(100), Decimal(40), False), (Decimal(50), Decimal(20), True)]
    )
    assert used == Decimal(120)
