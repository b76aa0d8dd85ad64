"""Eligibility of an integrated_251 pool (regulation.md §1.2, rules 1–4 and 8 of §1.9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from pooling.model import Regime, eligibility_failures
from treasury.accounts.model import CrossBorderDebtMode, EntityKind, LegalEntity
from treasury.money import Money

BN = Decimal(1_000_000_000)
PARAMETERS = {
    "pool251.min_bop_cny": 7 * BN,
    "pool251.min_onshore_rev_cny": 10 * BN,
    "pool251.min_offshore_rev_cny": 2 * BN,
    "pool251.min_members": Decimal(3),
    "pool279.min_onshore_rev_cny": BN,
    "pool279.min_offshore_rev_cny": BN / 5,
}
ON = date(2026, 11, 26)


def entity(
    code: str, country: str = "CN", *, revenue: Decimal = 0 * BN, volume: Decimal = 0 * BN
) -> LegalEntity:
    return LegalEntity(
        id=code,
        code=code,
        name=code,
        country=country,
        kind=EntityKind.ENTERPRISE,
        trade_fx_class="A",
        owners_equity=None,
        net_assets=None,
        lending_in_business_scope=False,
        quality_enterprise=False,
        established_on=date(2010, 1, 1),
        prior_year_revenue=Money.of(revenue, "CNY"),
        prior_year_cross_border_volume=Money.of(volume, "CNY"),
        parent_entity_id=None,
        cross_border_debt_mode=CrossBorderDebtMode.MACRO_PRUDENTIAL,
        facilitation_certificate=None,
        shareholding_ratio=Decimal(1),
        total_investment=None,
        uscc=None,
        lei=None,
    )


def group(
    *, volume: Decimal = 8 * BN, onshore: Decimal = 12 * BN, offshore: Decimal = 3 * BN
) -> tuple[LegalEntity, list[LegalEntity]]:
    host = entity("HOST", revenue=onshore / 2, volume=volume / 2)
    members = [
        host,
        entity("SZ", revenue=onshore / 2, volume=volume / 2),
        entity("HK", "HK", revenue=offshore),
    ]
    return host, members


def failures(host: LegalEntity, members: list[LegalEntity], **ratios: Decimal) -> list[str]:
    return [
        failure.rule
        for failure in eligibility_failures(
            regime=Regime.INTEGRATED_251,
            host=host,
            members=members,
            ratios=ratios,
            parameters=PARAMETERS,
            on=ON,
        )
    ]


def test_an_eligible_group() -> None:
    host, members = group()
    assert failures(host, members) == []


def test_rule_1_excluded_kinds_and_a_finance_company_only_as_host() -> None:
    host, members = group()
    for kind in (EntityKind.LGFV, EntityKind.REAL_ESTATE, EntityKind.FINANCIAL_INSTITUTION):
        assert failures(host, [*members[:2], replace(members[2], kind=kind)]) == ["rule 1"]
    finance_member = replace(members[1], kind=EntityKind.FINANCE_COMPANY)
    assert failures(host, [host, finance_member, members[2]]) == ["rule 1"]
    finance_host = replace(host, kind=EntityKind.FINANCE_COMPANY)
    assert failures(finance_host, [finance_host, *members[1:]]) == []


def test_rule_2_cross_border_volume_below_seven_billion() -> None:
    host, members = group(volume=Decimal("6.9") * BN)
    assert failures(host, members) == ["rule 2"]


def test_rule_2_revenue_thresholds() -> None:
    host, members = group(onshore=Decimal("9.9") * BN, offshore=Decimal("1.9") * BN)
    assert failures(host, members) == ["rule 2", "rule 2"]


def test_rule_3_a_class_b_member_makes_the_group_ineligible() -> None:
    host, members = group()
    assert failures(host, [*members[:2], replace(members[2], trade_fx_class="B")]) == []  # offshore
    assert failures(host, [host, replace(members[1], trade_fx_class="B"), members[2]]) == ["rule 3"]


def test_rule_4_an_offshore_host_is_refused() -> None:
    _, members = group()
    offshore_host = members[2]
    assert "rule 4" in failures(offshore_host, members)


def test_at_least_three_member_entities() -> None:
    host, members = group()
    assert failures(host, members[:2]) == ["§1.2 members", "rule 2"]


def test_rule_8_finance_company_host_may_not_concentrate_outbound_lending() -> None:
    host, members = group()
    finance_host = replace(host, kind=EntityKind.FINANCE_COMPANY)
    assert failures(finance_host, [finance_host, *members[1:]], SZ=Decimal("0.5")) == ["rule 8"]


def test_a_pool_dated_before_its_regime_is_ineligible_naming_the_regime() -> None:
    host, members = group()
    before_251 = {k: v for k, v in PARAMETERS.items() if not k.startswith("pool251.")}
    failures = eligibility_failures(
        regime=Regime.INTEGRATED_251,
        host=host,
        members=members,
        ratios={},
        parameters=before_251,
        on=date(2025, 12, 25),
    )
    assert [str(f) for f in failures] == [
        "§1.1 regime: the integrated_251 regime is not in force on 2025-12-25: "
        "pool251.min_members has no value"
    ]


def test_a_279_pool_banks_with_at_most_pool279_max_banks() -> None:
    host, members = group(onshore=2 * BN, offshore=BN)
    parameters = {**PARAMETERS, "pool279.max_banks": Decimal(3)}

    def failures(banks: int) -> list[str]:
        return [
            str(failure)
            for failure in eligibility_failures(
                regime=Regime.RMB_279,
                host=host,
                members=members,
                ratios={},
                parameters=parameters,
                on=ON,
                banks=banks,
            )
        ]

    assert failures(3) == []
    assert failures(4) == ["§1.2 legacy 279: 4 settlement banks, at most 3 (pool279.max_banks)"]
